"""A thin database layer over SQLite (default) and PostgreSQL.

SQL is written once with ``?`` placeholders; PostgreSQL gets ``%s``. One connection per thread,
because both drivers' connections must not be shared between threads mid-transaction.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from repo.errors import ConfigError, MunimentError

Row = dict[str, Any]
_PLACEHOLDER = re.compile(r"\?")


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
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
        self._all: list[tuple[threading.Thread, Any]] = []  # each connection with the thread it is for
        self._lock = threading.Lock()
        self.closed = False  # set by close(); background work on this catalog stops

    # -- connections ------------------------------------------------------------------------

    def _connect(self) -> Any:
        if self.dialect == "sqlite":
            self._path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self._path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            _set_wal(conn)
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            return conn
        return self.dedicated_connection()

    @property
    def folder(self) -> Path:
        """The SQLite file's folder (what lives beside the catalog)."""
        if self.dialect != "sqlite":
            raise ConfigError("a PostgreSQL catalog has no folder")
        return self._path.parent

    def dedicated_connection(self, *, application_name: str = "") -> Any:
        """A new PostgreSQL connection (each thread's own, or one for session state such as an
        advisory lock, which the caller closes)."""
        import psycopg
        from psycopg.rows import dict_row

        if self.dialect != "postgresql":
            raise ConfigError("dedicated connections are for a PostgreSQL catalog")
        try:
            return psycopg.connect(
                self.url, autocommit=True, row_factory=dict_row, application_name=application_name or "muniment"
            )
        except psycopg.OperationalError as exc:
            host = urlparse(self.url).hostname or "localhost"
            raise ConfigError(
                f"cannot connect to PostgreSQL at {host} (MUNIMENT_DATABASE_URL): {str(exc).strip().splitlines()[0]}"
            ) from None

    @property
    def conn(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            self._local.depth = 0
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
        with self._lock:
            for _, conn in self._all:
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
        cursor = self.conn.execute(self._sql(sql), self._params(params))
        return int(cursor.rowcount or 0)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        if self.dialect == "sqlite":
            self.conn.executemany(sql, rows)
        else:
            with self.conn.cursor() as cur:
                cur.executemany(self._sql(sql), rows)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        cursor = self.conn.execute(self._sql(sql), self._params(params))
        return [dict(row) for row in cursor.fetchall()]

    def query_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        cursor = self.conn.execute(self._sql(sql), self._params(params))
        row = cursor.fetchone()
        return dict(row) if row is not None else None

    def iterate(self, sql: str, params: Sequence[Any] = (), batch: int = 500) -> Iterator[Row]:
        """Rows fetched in batches, for long listings with flat memory."""
        cursor = self.conn.execute(self._sql(sql), self._params(params))
        while rows := cursor.fetchmany(batch):
            for row in rows:
                yield dict(row)

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """All statements inside commit together or not at all; nested uses join the outer one."""
        conn = self.conn
        depth = self._local.depth
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

    def script(self, statements: Sequence[str]) -> None:
        for statement in statements:
            self.conn.execute(statement)


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
