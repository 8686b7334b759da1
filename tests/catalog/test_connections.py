"""A connection per thread, closed once its thread has ended: a thread pool's threads come and go."""

from __future__ import annotations

import os
import threading
import uuid
from pathlib import Path

from repo.catalog.db import Database
from tests.servers.postgres import PostgresServer


def _open_on(path: Path) -> int:
    """This process's file descriptors open on ``path`` (or its -wal and -shm files)."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        count += target.startswith(str(path))
    return count


def test_connections_of_ended_threads_are_closed(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite3"
    db = Database(f"sqlite:///{path}")
    db.execute("CREATE TABLE t (n INTEGER)")
    one_thread = _open_on(path)
    for n in range(30):  # threads that each query once, then end
        thread = threading.Thread(target=db.execute, args=("INSERT INTO t VALUES (?)", (n,)))
        thread.start()
        thread.join()
    db.execute("SELECT count(*) FROM t")
    # This thread's connection, at most the last thread's (closed at the next connection), no more.
    assert _open_on(path) <= 2 * one_thread
    db.close()
    assert _open_on(path) == 0


def test_postgresql_connections_plan_each_statement_for_its_values(postgres: PostgresServer) -> None:
    """Generic plans of prepared statements made 1 in 100 Content Search phrases 20x slower; the
    server options a URL gives are kept beside the catalog's own."""
    url = postgres.create_database(f"t_{uuid.uuid4().hex[:12]}")
    db = Database(url)
    assert db.query_one("SHOW plan_cache_mode") == {"plan_cache_mode": "force_custom_plan"}
    db.close()
    given = Database(f"{url}?options=-c%20statement_timeout%3D4321")
    assert given.query_one("SHOW statement_timeout") == {"statement_timeout": "4321ms"}
    assert given.query_one("SHOW plan_cache_mode") == {"plan_cache_mode": "force_custom_plan"}
    given.close()
