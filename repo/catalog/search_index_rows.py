"""Writing the search index: an item's ``search_docs`` row with its full-text part
(``repo.catalog.full_text``) and its ``search_subjects`` rows, removing them, and counting rows
written uncounted into the facet counts. ``repo.search.indexer`` decides when, in which
transactions and batches; the queue of items to index is ``repo.catalog.search_queue_rows``."""

from __future__ import annotations

from collections.abc import Sequence

from repo.catalog.db import Database
from repo.catalog.full_text import FullText
from repo.catalog.schema import OPENS
from repo.catalog.search_documents import SearchDocument


def write_document(db: Database, fts: FullText, doc: SearchDocument, *, counted: bool = True) -> None:
    """``doc``'s rows (its old ones already removed); ``counted``: in the facet counts at once."""
    fts.write(db, doc, counted=counted)
    # The subjects take the document's ``opens`` (see repo.catalog.schema.OPENS): counted with it or not.
    db.executemany(
        "INSERT INTO search_subjects (item_id, subject, opens) SELECT ?, ?, opens FROM search_docs WHERE item_id = ?",
        [(doc.item_id, subject, doc.item_id) for subject in doc.subjects],
    )


def write_documents(db: Database, fts: FullText, docs: Sequence[SearchDocument]) -> None:
    """``write_document`` of each of ``docs``, uncounted, a statement a table for them all."""
    fts.write_many(db, docs)
    db.executemany(
        "INSERT INTO search_subjects (item_id, subject, opens) VALUES (?, ?, NULL)",
        [(doc.item_id, subject) for doc in docs for subject in doc.subjects],
    )


def remove_document(db: Database, fts: FullText, item_id: str) -> None:
    fts.delete(db, item_id)
    db.execute("DELETE FROM search_subjects WHERE item_id = ?", (item_id,))
    db.execute("DELETE FROM search_docs WHERE item_id = ?", (item_id,))


def remove_documents(db: Database, fts: FullText, item_ids: Sequence[str]) -> None:
    fts.delete_many(db, item_ids)
    marks = ", ".join("?" for _ in item_ids)
    db.execute(f"DELETE FROM search_subjects WHERE item_id IN ({marks})", list(item_ids))
    db.execute(f"DELETE FROM search_docs WHERE item_id IN ({marks})", list(item_ids))


def count_uncounted(db: Database, item_ids: Sequence[str] | None = None) -> None:
    """Count uncounted rows (of ``item_ids``, or all) into the facet counts, one statement a table:
    on PostgreSQL its trigger merges them all at once (see repo.catalog.schema._counted_rows)."""
    which = "" if item_ids is None else f" AND item_id IN ({', '.join('?' for _ in item_ids)})"
    for table in ("search_docs", "search_subjects"):
        db.execute(
            f"UPDATE {table} SET opens = (SELECT {OPENS.format(t='i')} FROM items i WHERE i.id = {table}.item_id)"
            f" WHERE opens IS NULL{which}",
            list(item_ids or ()),
        )


def clear_index(db: Database, fts: FullText) -> None:
    """Empty the whole index, its queue and its facet counts (a rebuild's first step)."""
    for table in ("search_subjects", "search_docs", "search_pending"):
        db.execute(f"DELETE FROM {table}")
    db.execute("DELETE FROM search_counts")  # zero by now, unless something had them wrong: a repair
    fts.clear(db)


def indexable_item_ids(db: Database) -> list[str]:
    """Every catalog item's id, in id order."""
    return [row["id"] for row in db.query("SELECT id FROM items ORDER BY id")]
