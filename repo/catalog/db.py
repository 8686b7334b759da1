"""A thin database layer over SQLite (default) and PostgreSQL.

SQL is written once with ``?`` placeholders; PostgreSQL gets ``%s``. A connection serves one thread
at a time, because neither driver's connections may be shared mid-transaction. SQLite: one
connection per thread (a file handle; reads are memory-mapped, so the threads share the operating
system's cache of the file). PostgreSQL: a bounded pool (``repo.catalog.pool``); a thread holds a
connection for one unit of work (a statement, a transaction, an iteration) and gives it back, so a
server's many threads need only as many connections as run at once.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from repo.catalog.pool import Pool
from repo.errors import ConfigError, MunimentError

Row = dict[str, Any]
_PLACEHOLDER = re.compile(r"\?")


@dataclass(frozen=True)
class DatabaseOptions:
    pool_size: int = 10  # PostgreSQL connections at most, per process
    pool_timeout: float = 30.0  # seconds a unit of work waits for one before it fails
    sqlite_mmap_mb: int = 1024  # of the SQLite file read through memory mapping; 0: none


class Database:
    def __init__(self, url: str, options: DatabaseOptions | None = None) -> None:
        self.url = url
        self.options = options or DatabaseOptions()
        parsed = urlparse(url)
        if parsed.scheme == "sqlite":
            self.dialect = "sqlite"
            self._path = Path(url[len("sqlite:///") :]) if url.startswith("sqlite:///") else Path(parsed.path)
        elif parsed.scheme in ("postgresql", "postgres"):
            self.dialect = "postgresql"
        else:
            raise ConfigError(
                f"MUNIMENT_DATABASE_URL: unsupported database {url.split(':')[0]!r}; use sqlite:/// or postgresql://"
            )
        self._local = threading.local()
        self._all: list[tuple[threading.Thread, Any]] = []  # SQLite: each connection with the thread it is for
        self._lock = threading.Lock()
        self._pool = (
            Pool(self.dedicated_connection, self.options.pool_size, self.options.pool_timeout)
            if self.dialect == "postgresql"
            else None
        )
        self.closed = False  # set by close(); background work on this catalog stops

    # -- connections ------------------------------------------------------------------------

    def _connect_sqlite(self) -> Any:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self._path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        _set_wal(conn)
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        # A search's candidates are lookups by key all over a large catalog: without the mapping
        # each reads its pages by a system call into a small cache of each connection's own.
        conn.execute(f"PRAGMA mmap_size={self.options.sqlite_mmap_mb * 1024 * 1024}")
        return conn

    @property
    def folder(self) -> Path:
        """The SQLite file's folder (what lives beside the catalog)."""
        if self.dialect != "sqlite":
            raise ConfigError("a PostgreSQL catalog has no folder")
        return self._path.parent

    def dedicated_connection(self, *, application_name: str = "") -> Any:
        """A new PostgreSQL connection (the pool's, or one for session state such as an advisory
        lock, which the caller closes)."""
        import psycopg
        from psycopg.rows import dict_row

        if self.dialect != "postgresql":
            raise ConfigError("dedicated connections are for a PostgreSQL catalog")
        try:
            return psycopg.connect(
                self.url,
                autocommit=True,
                row_factory=dict_row,
                application_name=application_name or "muniment",
                options=_with_custom_plans(self.url),
            )
        except psycopg.OperationalError as exc:
            host = urlparse(self.url).hostname or "localhost"
            raise ConfigError(
                f"cannot connect to PostgreSQL at {host} (MUNIMENT_DATABASE_URL): {str(exc).strip().splitlines()[0]}"
            ) from None

    @contextmanager
    def _use(self) -> Iterator[Any]:
        """The thread's connection for one unit of work: its own (SQLite), else the pooled one it
        holds already (inside a transaction), else one from the pool, given back at the end."""
        if self._pool is None:
            yield self._sqlite_connection()
            return
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._pool.take()
        self._local.uses = getattr(self._local, "uses", 0) + 1
        try:
            yield conn
        finally:
            self._local.uses -= 1
            if self._local.uses == 0:
                self._local.conn = None
                self._pool.give_back(conn)

    def _sqlite_connection(self) -> Any:
        conn = getattr(self._local, "sqlite", None)
        if conn is None:
            conn = self._local.sqlite = self._connect_sqlite()
            with self._lock:
                self._close_orphans()
                self._all.append((threading.current_thread(), conn))
        return conn

    def _close_orphans(self) -> None:
        """Close the connections of threads that have ended (a thread pool's idle threads end and
        new ones start): kept, each held its files (two for SQLite) and cache for good."""
        alive = []
        for thread, conn in self._all:
            if thread.is_alive():
                alive.append((thread, conn))
                continue
            try:
                conn.close()
            except Exception:  # its thread is gone: nothing else can use it
                pass
        self._all = alive

    def close(self) -> None:
        self.closed = True
        if self._pool is not None:
            self._pool.close()
        current = threading.current_thread()
        with self._lock:
            for thread, conn in self._all:
                if thread is not current and thread.is_alive():
                    # Closed under a statement that thread runs, the sqlite3 module crashes the
                    # process: that connection closes when the thread lets go of it (its last
                    # reference, the replaced thread-local below, goes).
                    continue
                try:
                    conn.close()
                except Exception:  # closing is best effort at shutdown
                    pass
            self._all.clear()
        self._local = threading.local()

    # -- statements -------------------------------------------------------------------------

    def _sql(self, sql: str) -> str:
        return _PLACEHOLDER.sub("%s", sql) if self.dialect == "postgresql" else sql

    def _params(self, params: Sequence[Any]) -> tuple[Any, ...]:
        """PostgreSQL text cannot hold NUL (psycopg raises a DataError): refuse it with a clear message."""
        values = tuple(params)
        if self.dialect == "postgresql" and any(isinstance(v, str) and "\x00" in v for v in values):
            raise MunimentError("text values may not contain NUL characters")
        return values

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        with self._use() as conn:
            cursor = conn.execute(self._sql(sql), self._params(params))
            return int(cursor.rowcount or 0)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        with self._use() as conn:
            if self.dialect == "sqlite":
                conn.executemany(sql, rows)
            else:
                with conn.cursor() as cur:
                    cur.executemany(self._sql(sql), rows)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self._use() as conn:
            cursor = conn.execute(self._sql(sql), self._params(params))
            return [dict(row) for row in cursor.fetchall()]

    def query_values(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows as tuples of the columns selected: for many rows read in one pass, where making
        each a dict costs as much as the query."""
        with self._use() as conn:
            if self.dialect == "sqlite":
                cursor = conn.cursor()
                cursor.row_factory = None
                return list(cursor.execute(sql, self._params(params)).fetchall())
            from psycopg.rows import tuple_row

            with conn.cursor(row_factory=tuple_row) as cursor:
                cursor.execute(self._sql(sql), self._params(params))
                return list(cursor.fetchall())

    def query_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        with self._use() as conn:
            cursor = conn.execute(self._sql(sql), self._params(params))
            row = cursor.fetchone()
            return dict(row) if row is not None else None

    def iterate(self, sql: str, params: Sequence[Any] = (), batch: int = 500) -> Iterator[Row]:
        """Rows fetched in batches, for long listings with flat memory."""
        if self._pool is not None and getattr(self._local, "conn", None) is None:
            # A pooled connection of the iteration's own, not the thread's: a generator dropped
            # unfinished is closed by whichever thread collects it.
            conn = self._pool.take()
            try:
                yield from _rows(conn.execute(self._sql(sql), self._params(params)), batch)
            finally:
                self._pool.give_back(conn)
            return
        with self._use() as conn:
            yield from _rows(conn.execute(self._sql(sql), self._params(params)), batch)

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """All statements inside commit together or not at all; nested uses join the outer one."""
        with self._use() as conn:
            depth = getattr(self._local, "depth", 0)
            if depth == 0:
                conn.execute("BEGIN IMMEDIATE" if self.dialect == "sqlite" else "BEGIN")
            self._local.depth = depth + 1
            try:
                yield self
            except BaseException:
                self._local.depth = depth
                if depth == 0:
                    conn.execute("ROLLBACK")
                raise
            self._local.depth = depth
            if depth == 0:
                conn.execute("COMMIT")

    @contextmanager
    def larger_cache(self, mb: int) -> Iterator[None]:
        """SQLite: the thread's connection keeps up to ``mb`` of pages until the end, then its own
        size again (and gives the pages back). For a bulk write: its indexes outgrow the default
        2 MB, and each page pushed out mid-transaction is written to the log and read back. PostgreSQL
        caches in the server: nothing to do."""
        if self.dialect != "sqlite":
            yield
            return
        with self._use() as conn:
            before = conn.execute("PRAGMA cache_size").fetchone()[0]
            conn.execute(f"PRAGMA cache_size = {-1024 * int(mb)}")  # negative: in KiB
            try:
                yield
            finally:
                conn.execute(f"PRAGMA cache_size = {int(before)}")

    def script(self, statements: Sequence[str]) -> None:
        with self._use() as conn:
            for statement in statements:
                conn.execute(statement)


def _with_custom_plans(url: str) -> str:
    """The URL's server options and ``plan_cache_mode=force_custom_plan``. psycopg prepares a
    statement run often; after five runs PostgreSQL may plan it once for any value, and the catalog's
    best plans depend on the values (a word on three pages or on every page): such generic plans made
    1 in 100 Content Search phrases 20 times slower (bench/search.py --database postgresql)."""
    from psycopg.conninfo import conninfo_to_dict

    given = str(conninfo_to_dict(url).get("options") or "")
    return f"{given} -c plan_cache_mode=force_custom_plan".strip()


def _rows(cursor: Any, batch: int) -> Iterator[Row]:
    while rows := cursor.fetchmany(batch):
        for row in rows:
            yield dict(row)


def _set_wal(conn: sqlite3.Connection, wait: float = 30.0) -> None:
    """WAL mode, which a new catalog file switches to once: the switch needs the file to itself and
    answers "database is locked" at once, without the busy timeout, while another process that
    opened the new file at the same time writes its tables: then ask again."""
    deadline = time.monotonic() + wait
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
