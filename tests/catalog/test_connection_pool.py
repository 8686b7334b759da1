"""The PostgreSQL catalog's bounded connection pool, on a real server: many threads share fewer
connections than there are threads, the server never sees more than the pool's size, a thread
finding every connection busy past the wait fails with one clear error, and a connection that
broke or was left inside a transaction is never handed on as it was."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

import psycopg
import pytest

from repo.catalog import Catalog
from repo.catalog.db import Database, DatabaseOptions
from repo.catalog.pool import PoolExhausted
from tests.servers.postgres import PostgresServer


@pytest.fixture
def database_url(postgres: PostgresServer) -> str:
    return postgres.create_database(f"pool_{uuid.uuid4().hex[:12]}")


def server_connections(postgres: PostgresServer, url: str) -> int:
    """Connections the server holds to this test's database, counted by the server itself."""
    watcher = Database(postgres.url())
    try:
        row = watcher.query_one(
            "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = ?", (urlparse(url).path.lstrip("/"),)
        )
        return int(row["n"]) if row else 0
    finally:
        watcher.close()


def test_many_threads_share_a_few_connections(postgres: PostgresServer, database_url: str) -> None:
    catalog = Catalog.open(database_url, DatabaseOptions(pool_size=3))
    db = catalog.db
    db.execute("CREATE TABLE counted (thread INTEGER, n INTEGER)")
    most_seen = 0
    seen_lock = threading.Lock()

    def work(thread: int) -> None:
        nonlocal most_seen
        for n in range(10):
            with db.transaction():  # a connection held across statements, then given back
                db.execute("INSERT INTO counted (thread, n) VALUES (?, ?)", (thread, n))
                db.execute("INSERT INTO counted (thread, n) VALUES (?, ?)", (thread, -n))
            assert db.query_one("SELECT COUNT(*) AS n FROM counted WHERE thread = ?", (thread,)) == {"n": 2 * n + 2}
            if n == 5:
                seen = server_connections(postgres, database_url)
                with seen_lock:
                    most_seen = max(most_seen, seen)

    with ThreadPoolExecutor(max_workers=24) as threads:
        list(threads.map(work, range(24)))
    assert db.query_one("SELECT COUNT(*) AS n FROM counted") == {"n": 24 * 20}
    assert db._pool is not None and db._pool.opened <= 3
    assert 1 <= most_seen <= 3  # the server saw the pool, not one connection a thread
    catalog.close()
    assert connections_after_close(postgres, database_url) == 0


def connections_after_close(postgres: PostgresServer, url: str, within: float = 10.0) -> int:
    """A backend leaves pg_stat_activity a moment after its client closed the socket (the server
    ends it on its own time): wait for it, then report what is left."""
    deadline = time.monotonic() + within
    while (left := server_connections(postgres, url)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def test_a_thread_waiting_past_the_timeout_gets_a_clear_error(database_url: str) -> None:
    db = Database(database_url, DatabaseOptions(pool_size=1, pool_timeout=0.3))
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with db.transaction():
            db.query_one("SELECT 1 AS one")
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(10)
    failed: list[BaseException] = []
    waiter = threading.Thread(target=lambda: _catch(failed, lambda: db.query_one("SELECT 2 AS two")))
    waiter.start()
    waiter.join(10)
    assert len(failed) == 1 and isinstance(failed[0], PoolExhausted)
    message = str(failed[0])
    assert "all 1 catalog database connections" in message and "MUNIMENT_DATABASE_POOL_SIZE" in message
    assert failed[0].status == 503
    release.set()
    holder.join(10)
    assert db.query_one("SELECT 3 AS three") == {"three": 3}  # free again once given back
    db.close()


def test_a_broken_or_unfinished_connection_is_not_handed_on(postgres: PostgresServer, database_url: str) -> None:
    db = Database(database_url, DatabaseOptions(pool_size=1))
    pid = db.query_one("SELECT pg_backend_pid() AS pid")
    assert pid is not None
    watcher = Database(postgres.url())
    watcher.query_one("SELECT pg_terminate_backend(?) AS done", (pid["pid"],))
    watcher.close()
    with pytest.raises(psycopg.OperationalError):  # the statement meeting the lost connection fails ...
        db.query_one("SELECT 1 AS one")
    assert db.query_one("SELECT 1 AS one") == {"one": 1}  # ... and the next gets a new one
    db.execute("CREATE TABLE t (n INTEGER)")
    with pytest.raises(RuntimeError), db.transaction():
        db.execute("INSERT INTO t VALUES (1)")
        raise RuntimeError("stopped midway")
    with db._use() as conn:  # a connection left in a transaction, given back as it is
        conn.execute("BEGIN")
        conn.execute("INSERT INTO t VALUES (2)")
    assert db.query_one("SELECT COUNT(*) AS n FROM t") == {"n": 0}  # rolled back, not carried on
    db.close()


def _catch(into: list[BaseException], call: object) -> None:
    try:
        call()  # type: ignore[operator]
    except BaseException as exc:
        into.append(exc)
