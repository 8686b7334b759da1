"""Search totals and facet counts kept in the catalog, so every process of a site shares them.

Counting a common word's matches at 1,000,000 items takes seconds of the database's time; each web
worker, on every machine, kept its own counts (``repo.search.summary``) and so counted the same
query again. On PostgreSQL a worker now asks here first: the counts of a query at a catalog version
are counted by one process and read by the others, and those asking meanwhile wait for it (an
advisory lock per query; this runs in the background, and a request still waits only its budget).
SQLite is one machine's catalog, counted in process at a fraction of the cost, and a row written
there would queue behind the write lock a bulk index holds for minutes: each process counts.

A row is a query's counts at one version; a newer version's replaces it, and rows not counted for a
day are removed as others are written, so the table holds about a day's distinct queries (the
table: ``repo.catalog.schema.SEARCH_SUMMARIES``).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import TypeVar

from repo.catalog.db import Database
from repo.catalog.version import Version

KEPT_SECONDS = 86_400.0
T = TypeVar("T")
_LOCK_CLASS = 0x6D756E69  # "muni": with the query's hash, this table's key among advisory locks


def shared_counts(
    db: Database, key: str, version: Version, count: Callable[[], T], dump: Callable[[T], str], load: Callable[[str], T]
) -> T:
    """The counts of the query ``key`` at ``version``: on PostgreSQL read (``load``) when a process
    has kept them, else made by ``count`` and kept (``dump``); on SQLite made by ``count``."""
    if db.dialect != "postgresql":
        return count()
    # By digest: a query's words can be longer than an index entry may be (about 2.7 KB).
    key = hashlib.sha256(key.encode()).hexdigest()
    with db.transaction():
        db.query_one("SELECT pg_advisory_xact_lock(?, hashtext(?))", (_LOCK_CLASS, key))
        found = _read(db, key, version)  # under the lock: another process may have just counted it
        if found is not None:
            return load(found)
        counts = count()
        _write(db, key, version, dump(counts))
        return counts


def _read(db: Database, key: str, version: Version) -> str | None:
    row = db.query_one(
        "SELECT counts FROM search_summaries WHERE key = ? AND version = ? AND embargo = ?", (key, *version)
    )
    return str(row["counts"]) if row else None


def _write(db: Database, key: str, version: Version, counts: str) -> None:
    now = time.time()
    db.execute("DELETE FROM search_summaries WHERE computed < ?", (now - KEPT_SECONDS,))
    db.execute(
        "INSERT INTO search_summaries (key, version, embargo, counts, computed) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (key) DO UPDATE SET version = excluded.version, embargo = excluded.embargo,"
        " counts = excluded.counts, computed = excluded.computed"
        # A process that read the version before a change does not replace the newer counts.
        " WHERE search_summaries.version <= excluded.version",
        (key, *version, counts, now),
    )
