"""The writer locks of OCFL objects, held where the catalog is (see ``repo.preservation.object_lock``).

With PostgreSQL (several machines share the catalog) they are session advisory locks on its
server: each held lock has a connection of its own, and the server drops the lock when that
connection ends, which it does when the holding process dies. With SQLite (one machine) they are
``flock`` files in a ``locks`` folder beside the catalog file.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from repo.catalog.db import Database
from repo.preservation.errors import ObjectBusy
from repo.preservation.object_lock import FileObjectLocks, ObjectLocks, backoff, holder_description


def object_locks(db: Database, wait_seconds: float) -> ObjectLocks:
    if db.dialect == "postgresql":
        return PostgresObjectLocks(db, wait_seconds)
    return FileObjectLocks(db.folder / "locks", wait_seconds)


def _lock_key(name: str) -> int:
    """The advisory lock's 64-bit key: the first 8 bytes of the name's sha256, signed."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class PostgresObjectLocks(ObjectLocks):
    def __init__(self, db: Database, wait_seconds: float) -> None:
        super().__init__(wait_seconds)
        self.db = db

    def _acquire(self, name: str, wait: float) -> Any:
        key = _lock_key(name)
        conn = self.db.dedicated_connection(application_name=f"muniment {holder_description()}"[:63])
        deadline = time.monotonic() + wait
        delay = 0.01
        try:
            while not conn.execute("SELECT pg_try_advisory_lock(%s) AS ok", (key,)).fetchone()["ok"]:
                if time.monotonic() >= deadline:
                    raise ObjectBusy(name, self._holder(conn, key), wait)
                delay = backoff(deadline, delay)
        except BaseException:
            conn.close()
            raise
        return conn

    def _release(self, handle: Any) -> None:
        handle.close()  # ending the session releases its advisory locks

    @staticmethod
    def _holder(conn: Any, key: int) -> str:
        # A bigint advisory key shows in pg_locks as classid (high 32 bits) and objid (low 32).
        row = conn.execute(
            "SELECT a.application_name AS who FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
            " AND l.classid = %s AND l.objid = %s",
            ((key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF),
        ).fetchone()
        who = row["who"] if row else ""
        return who.removeprefix("muniment ") if who else "another session of the catalog's server"
