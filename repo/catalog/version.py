"""The catalog's version: what a count or a facet computed from it stays true for.

Triggers (schema migration 3) move ``catalog_version`` in the same transaction as any change to
items, metadata, collections or the search index, whoever makes it, so every process sees a change
at its next read. Who is public also changes with the clock, when an embargo ends: the latest
embargo end already passed names that state (with the data fixed, the set of ended embargoes is
exactly those ending at or before it). One indexed look-up gives both.
"""

from __future__ import annotations

from repo.catalog.db import Database

Version = tuple[int, str]


def catalog_version(db: Database, now: str) -> Version:
    """(version, latest embargo end at or before ``now``): equal values, equal public listings."""
    row = db.query_one(
        "SELECT (SELECT version FROM catalog_version WHERE id = 1) AS v,"
        " (SELECT MAX(embargo_until) FROM items WHERE visibility = 'embargoed' AND embargo_until <= ?) AS e",
        (now,),
    )
    if row is None:
        return (0, "")
    return (int(row["v"] or 0), str(row["e"] or ""))
