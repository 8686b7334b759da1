"""Keeping the index in step with the catalog: ingest and edits call these after registering an item."""

from __future__ import annotations

import logging

from repo.catalog import Database
from repo.search.document import SearchDocument, read_document
from repo.search.fts import FullText, full_text_for

log = logging.getLogger("muniment.search")


def index_item(db: Database, item_id: str) -> None:
    """(Re)index one item from its catalog rows; an item no longer in the catalog is removed."""
    fts = full_text_for(db)
    doc = read_document(db, item_id)
    with db.transaction():
        fts.lock(db)
        _remove(db, item_id)
        if doc is not None:
            _write(db, fts, doc)


def _write(db: Database, fts: FullText, doc: SearchDocument) -> None:
    fts.write(db, doc)
    db.executemany(
        "INSERT INTO search_subjects (item_id, subject) VALUES (?, ?)",
        [(doc.item_id, subject) for subject in doc.subjects],
    )


def remove_item(db: Database, item_id: str) -> None:
    with db.transaction():
        full_text_for(db).lock(db)
        _remove(db, item_id)


def _remove(db: Database, item_id: str) -> None:
    full_text_for(db).delete(db, item_id)
    db.execute("DELETE FROM search_subjects WHERE item_id = ?", (item_id,))
    db.execute("DELETE FROM search_docs WHERE item_id = ?", (item_id,))


def reindex_all(db: Database) -> int:
    """Index every catalog item again (after ``rebuild-catalog``, or to repair); returns the count."""
    ids = [row["id"] for row in db.query("SELECT id FROM items ORDER BY id")]
    fts = full_text_for(db)
    with db.transaction():
        fts.lock(db)
        for table in ("search_subjects", "search_docs"):
            db.execute(f"DELETE FROM {table}")
        fts.clear(db)
        # The tables are empty now: write each document without the per-item delete, which
        # scans an FTS table and would make a rebuild quadratic.
        for item_id in ids:
            doc = read_document(db, item_id)
            if doc is not None:
                _write(db, fts, doc)
    log.info("search index rebuilt: %d items", len(ids))
    return len(ids)


def ensure_indexed(db: Database) -> None:
    """Rebuild when the index and the catalog hold different numbers of items (cheap to ask at start-up)."""
    with db.transaction():
        full_text_for(db).lock(db)  # several workers start at once: one rebuilds, the others then find it done
        indexed = db.query_one("SELECT COUNT(*) AS n FROM search_docs")
        items = db.query_one("SELECT COUNT(*) AS n FROM items")
        if (indexed or {}).get("n") != (items or {}).get("n"):
            reindex_all(db)
