"""A bounded pool of PostgreSQL connections, shared by a process's threads.

A connection per thread, kept for good, made a server with many threads (uvicorn runs handlers on
up to 40 a worker) hold hundreds: two servers of two workers exhausted PostgreSQL's 100. The pool
opens connections as they are needed, up to ``size``; a thread takes one for a unit of work and
gives it back; a thread finding all of them busy waits up to ``timeout`` seconds, then fails with
one clear error rather than opening another. A connection given back broken, or inside a
transaction, is closed or rolled back, never handed to the next thread as it was.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from repo.errors import ResourceError

IDLE = 0  # psycopg.pq.TransactionStatus.IDLE, without importing psycopg for SQLite catalogs


class PoolExhausted(ResourceError):
    """Every connection stayed busy past the wait: the database is slower than the traffic."""


class Pool:
    def __init__(self, connect: Callable[[], Any], size: int, timeout: float) -> None:
        if size < 1:
            raise ValueError("a connection pool holds at least one connection")
        self._connect = connect
        self.size = size
        self.timeout = timeout
        self._idle: list[Any] = []
        self._opened = 0  # connections open, idle or taken
        self._ready = threading.Condition()
        self._closed = False

    @property
    def opened(self) -> int:
        return self._opened

    def take(self) -> Any:
        deadline = time.monotonic() + self.timeout
        with self._ready:
            while True:
                if self._idle:
                    return self._idle.pop()
                if self._opened < self.size:
                    self._opened += 1
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise PoolExhausted(
                        f"all {self.size} catalog database connections (MUNIMENT_DATABASE_POOL_SIZE) stayed busy"
                        f" for {self.timeout:g} s (MUNIMENT_DATABASE_POOL_TIMEOUT); try again shortly"
                    )
                self._ready.wait(remaining)
        try:
            return self._connect()  # outside the lock: connecting takes a round trip or more
        except BaseException:
            self._forget()
            raise

    def give_back(self, conn: Any) -> None:
        if not self._reusable(conn):
            _close(conn)
            self._forget()
            return
        with self._ready:
            if not self._closed:
                self._idle.append(conn)
                self._ready.notify()
                return
        _close(conn)
        self._forget()

    def close(self) -> None:
        """Close the idle connections now and the taken ones as they come back."""
        with self._ready:
            self._closed = True
            idle, self._idle = self._idle, []
            self._opened -= len(idle)
            self._ready.notify_all()
        for conn in idle:
            _close(conn)

    def _forget(self) -> None:
        with self._ready:
            self._opened -= 1
            self._ready.notify()

    @staticmethod
    def _reusable(conn: Any) -> bool:
        if getattr(conn, "closed", False) or getattr(conn, "broken", False):
            return False
        if conn.info.transaction_status == IDLE:
            return True
        try:  # left inside a transaction (an error between BEGIN and its end): end it here
            conn.execute("ROLLBACK")
        except Exception:
            return False
        return bool(conn.info.transaction_status == IDLE)


def _close(conn: Any) -> None:
    try:
        conn.close()
    except Exception:  # closing a connection already lost: nothing more to free
        pass
