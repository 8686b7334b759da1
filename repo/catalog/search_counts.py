"""Public items per facet value, read from the counts that triggers keep (``search_counts``,
repo.catalog.schema migration 8) in the transaction of every change to the index or to an item's
visibility: browsing everything and the home page read a few hundred rows, whatever the size of
the catalog, and no request after a change counts the catalog again.

A row counts the indexed items of one value that are public now ('' in ``opens``) or once an
embargo ends (its end in ``opens``), so the count at any moment sums the rows whose ``opens`` has
passed: an embargo ending changes the counts without a write, compared as repo.access compares.
"""

from __future__ import annotations

from repo.catalog.db import Database


def public_value_count(db: Database, facet: str, value: str, now: str) -> int:
    """How many public items have ``value`` in ``facet``."""
    row = db.query_one(
        "SELECT COALESCE(SUM(n), 0) AS n FROM search_counts WHERE facet = ? AND value = ? AND opens <= ?",
        (facet, value, now),
    )
    return int(row["n"]) if row else 0


def public_total(db: Database, now: str) -> int:
    return public_value_count(db, "total", "", now)  # the one 'total' value, '' (schema._DOC_FACETS)


def public_counts(db: Database, facet: str, now: str, limit: int | None = None) -> list[tuple[str, int]]:
    """(value, count) of ``facet``'s values with public items, the most first, then by value."""
    rows = db.query(
        "SELECT value, SUM(n) AS items FROM search_counts WHERE facet = ? AND opens <= ?"
        " GROUP BY value HAVING SUM(n) > 0 ORDER BY items DESC, value" + (" LIMIT ?" if limit is not None else ""),
        (facet, now, *([limit] if limit is not None else [])),
    )
    return [(str(r["value"]), int(r["items"])) for r in rows]
