"""What IIIF Presentation (``iiif.presentation``) and the admin API's item list read from the
catalog: an item with its collection's change time, a manifest's canvases, a collection's
public members, and a filtered page of items."""

from __future__ import annotations

from collections.abc import Sequence

from repo.access import public_items_sql
from repo.catalog.db import Database, Row
from repo.catalog.models import utc_now


def item_and_collection_modified(db: Database, item_id: str) -> Row | None:
    """The item's row with ``collection_modified`` (its collection's record, for the manifest's ETag)."""
    return db.query_one(
        "SELECT i.*, c.modified AS collection_modified FROM items i"
        " LEFT JOIN collections c ON c.slug = i.collection WHERE i.id = ?",
        (item_id,),
    )


def canvas_rows(db: Database, item_id: str) -> list[Row]:
    # Only the four columns a canvas uses: a 2,000-page book reads in a few milliseconds.
    return db.query("SELECT seq, label, width, height FROM files WHERE item_id = ? ORDER BY seq", (item_id,))


def count_public_members(db: Database, slug: str, now: str) -> int:
    row = db.query_one(
        f"SELECT COUNT(*) AS n FROM items i WHERE i.collection = ? AND {public_items_sql('i')}", (slug, now)
    )
    return int(row["n"]) if row else 0


def public_cover_row(db: Database, slug: str, item_id: str) -> Row | None:
    """The item chosen to stand for a collection, with its first page, if it is in the collection and public."""
    return db.query_one(
        "SELECT i.id, i.title, f.seq, f.width, f.height FROM items i"
        " JOIN files f ON f.item_id = i.id AND f.seq = (SELECT MIN(seq) FROM files WHERE item_id = i.id)"
        f" WHERE i.id = ? AND i.collection = ? AND {public_items_sql('i')}",
        (item_id, slug, utc_now()),
    )


def public_member_rows(db: Database, slug: str, *, limit: int = -1, offset: int = 0) -> list[Row]:
    """The public items of a collection (``limit`` of them from ``offset``, in title order): id,
    title, language and the first page's seq, width and height, in one query."""
    # The offset is read from the index items_collection_title alone, which holds all that the
    # access decision needs: no item row is read for the members skipped.
    return db.query(
        "SELECT i.id, i.title, m.language, f.seq, f.width, f.height FROM"
        f" (SELECT i.id, i.title FROM items i WHERE i.collection = ? AND {public_items_sql('i')}"
        "  ORDER BY i.title, i.id LIMIT ? OFFSET ?) i"
        " LEFT JOIN metadata m ON m.item_id = i.id"
        " LEFT JOIN files f ON f.item_id = i.id AND f.seq = (SELECT MIN(seq) FROM files WHERE item_id = i.id)"
        " ORDER BY i.title, i.id",
        (slug, utc_now(), limit if limit >= 0 else 2**62, offset),
    )


def filtered_items(
    db: Database, equal: Sequence[tuple[str, object]], *, public_only: bool, limit: int, offset: int
) -> tuple[list[Row], int]:
    """A page of items whose ``equal`` columns (collection, status, visibility) have the values
    given, oldest ingest first, only what the public may see when ``public_only``; and the total."""
    clauses, params = ["1 = 1"], list[object]()
    if public_only:
        clauses.append(public_items_sql("i"))
        params.append(utc_now())
    for column, value in equal:
        if column not in ("collection", "status", "visibility"):  # interpolated: our own names only
            raise ValueError(f"not a filter column: {column}")
        clauses.append(f"i.{column} = ?")
        params.append(value)
    where = " AND ".join(clauses)
    rows = db.query(
        f"SELECT i.* FROM items i WHERE {where} ORDER BY i.created, i.id LIMIT ? OFFSET ?", (*params, limit, offset)
    )
    total = db.query_one(f"SELECT COUNT(*) AS n FROM items i WHERE {where}", params)
    return rows, int(total["n"]) if total else 0
