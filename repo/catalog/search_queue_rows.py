"""The queue of items the search index has still to (re)index, ``search_pending``: a trigger adds
an item in the transaction of every change to its rows (repo.catalog.schema migration 3), whoever
makes it; ``repo.search.indexer`` takes items off it as it indexes them."""

from __future__ import annotations

from collections.abc import Sequence

from repo.catalog.db import Database


def queued_items(db: Database, limit: int) -> list[str]:
    """Up to ``limit`` queued items, in no particular order."""
    return [row["item_id"] for row in db.query("SELECT item_id FROM search_pending LIMIT ?", (limit,))]


def dequeue(db: Database, item_ids: Sequence[str]) -> None:
    db.executemany("DELETE FROM search_pending WHERE item_id = ?", [(i,) for i in item_ids])


def queued_count(db: Database) -> int:
    row = db.query_one("SELECT COUNT(*) AS n FROM search_pending")
    return int(row["n"]) if row else 0
