"""Writing the search index: an item's ``search_docs`` row with its full-text part
(``repo.catalog.full_text``) and its ``search_subjects`` rows, counted into the facet counts at
once or afterwards, and removing them. ``repo.search.indexer`` decides when, in which
transactions and batches; the queue of items to index is ``repo.catalog.search_queue_rows``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from repo.catalog.db import Database
from repo.catalog.full_text import FullText
from repo.catalog.schema import OPENS
from repo.catalog.search_documents import SearchDocument


def write_document(db: Database, fts: FullText, doc: SearchDocument, *, counted: bool = True) -> None:
    """``doc``'s rows (its old ones already removed); ``counted``: in the facet counts at once."""
    fts.write(db, doc, counted=counted)
    # The subjects take the document's ``opens`` (see repo.catalog.schema.OPENS), counted with it or
    # not, and its sort title, for a subject's page in title order (repo.catalog.search_rows).
    db.executemany(
        "INSERT INTO search_subjects (item_id, subject, opens, sort_title)"
        " SELECT ?, ?, opens, sort_title FROM search_docs WHERE item_id = ?",
        [(doc.item_id, subject, doc.item_id) for subject in doc.subjects],
    )


def write_documents(db: Database, fts: FullText, docs: Sequence[SearchDocument], *, counted: bool = True) -> None:
    """``write_document`` of each of ``docs``, a statement a table for them all. Uncounted for one
    count of a whole rebuild at its end (``count_uncounted``): PostgreSQL's counts updated a batch
    at a time in one long transaction would leave versions of each that every later update walks past."""
    fts.write_many(db, docs, counted=counted)
    rows = [(doc.item_id, subject) for doc in docs for subject in doc.subjects]
    # The subjects take their document's ``opens`` and sort title, as in ``write_document``.
    if db.dialect == "postgresql":  # one statement from two arrays, as the documents (full_text.py)
        if rows:
            db.execute(
                "INSERT INTO search_subjects (item_id, subject, opens, sort_title)"
                " SELECT u.item_id, u.subject, d.opens, d.sort_title"
                " FROM unnest(?::text[], ?::text[]) AS u(item_id, subject) JOIN search_docs d ON d.item_id = u.item_id",
                [[item_id for item_id, _ in rows], [subject for _, subject in rows]],
            )
    else:
        db.executemany(
            "INSERT INTO search_subjects (item_id, subject, opens, sort_title)"
            " SELECT ?, ?, opens, sort_title FROM search_docs WHERE item_id = ?",
            [(item_id, subject, item_id) for item_id, subject in rows],
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


# Each secondary index of the tables (not the keys' own), by name, with the statement that made it.
_SECONDARY_INDEXES = (
    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
    " AND tbl_name IN ('search_docs', 'search_subjects')"
)


def drops_indexes_in_bulk(db: Database) -> bool:
    """Whether ``secondary_indexes_dropped`` drops them: on SQLite, where readers go on reading the
    last commit meanwhile. PostgreSQL's DROP INDEX locks the table against readers until the
    transaction ends, so every page reading the index would wait for the whole catch-up (and the
    gain measured there was about a fifth at 20,000 items, in noisy runs, against 1.6x on SQLite)."""
    return db.dialect == "sqlite"


@contextmanager
def secondary_indexes_dropped(db: Database) -> Iterator[None]:
    """Inside a transaction: the secondary indexes of ``search_docs`` and ``search_subjects`` (the
    orders and the facets; not the keys) dropped while the index is written in bulk, then made
    again as they were, a sort each instead of an insert a row. The drop is part of the
    transaction: a crash or an error leaves the old index with every index. PostgreSQL: nothing
    dropped (``drops_indexes_in_bulk``)."""
    if not drops_indexes_in_bulk(db):
        yield
        return
    indexes = db.query(_SECONDARY_INDEXES)
    for index in indexes:
        db.execute(f'DROP INDEX "{index["name"]}"')
    yield
    for index in indexes:
        db.execute(index["sql"])


def indexed_count(db: Database) -> int:
    row = db.query_one("SELECT COUNT(*) AS n FROM search_docs")
    return int(row["n"]) if row else 0


def indexable_item_ids(db: Database) -> list[str]:
    """Every catalog item's id, in id order."""
    return [row["id"] for row in db.query("SELECT id FROM items ORDER BY id")]
