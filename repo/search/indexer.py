"""Keeping the index in step with the catalog.

Every change to an item's rows queues the item in ``search_pending``, by a trigger in the same
transaction (schema migration 3), whoever made it. Ingest and edits index their item at once
(``index_item``); ``catch_up`` indexes whatever is still queued (items written straight into the
catalog, a process that died between its write and its indexing), a batch at a time, and a web
worker runs it in the background (``follow``), so a server answers at once on any catalog while the
index catches up. ``reindex_all`` rebuilds the whole index from the catalog.
"""

from __future__ import annotations

import logging
import threading

from repo.catalog import Database
from repo.catalog.schema import OPENS
from repo.search.document import SearchDocument, read_document, read_documents
from repo.search.fts import FullText, full_text_for

log = logging.getLogger("muniment.search")
BATCH = 200


def index_item(db: Database, item_id: str) -> None:
    """(Re)index one item from its catalog rows; an item no longer in the catalog is removed."""
    fts = full_text_for(db)
    with db.transaction():
        fts.lock(db)
        _index(db, fts, item_id)
        db.execute("DELETE FROM search_pending WHERE item_id = ?", (item_id,))


def _index(db: Database, fts: FullText, item_id: str, *, counted: bool = True) -> None:
    # Read under the lock, in the transaction that clears the queue: a change committed after
    # this read queues the item again.
    doc = read_document(db, item_id)
    _remove(db, fts, item_id)
    if doc is not None:
        _write(db, fts, doc, counted=counted)


def _count(db: Database, ids: list[str] | None = None) -> None:
    """Count uncounted rows (of ``ids``, or all) into the facet counts, one statement a table: on
    PostgreSQL its trigger merges them all at once (see repo.catalog.schema._counted_rows)."""
    which = "" if ids is None else f" AND item_id IN ({', '.join('?' for _ in ids)})"
    for table in ("search_docs", "search_subjects"):
        db.execute(
            f"UPDATE {table} SET opens = (SELECT {OPENS.format(t='i')} FROM items i WHERE i.id = {table}.item_id)"
            f" WHERE opens IS NULL{which}",
            ids or (),
        )


def _write(db: Database, fts: FullText, doc: SearchDocument, *, counted: bool = True) -> None:
    fts.write(db, doc, counted=counted)
    # The subjects take the document's ``opens`` (see repo.catalog.schema.OPENS): counted with it or not.
    db.executemany(
        "INSERT INTO search_subjects (item_id, subject, opens) SELECT ?, ?, opens FROM search_docs WHERE item_id = ?",
        [(doc.item_id, subject, doc.item_id) for subject in doc.subjects],
    )


def _write_many(db: Database, fts: FullText, docs: list[SearchDocument]) -> None:
    """``_write`` of each of ``docs``, uncounted."""
    fts.write_many(db, docs)
    db.executemany(
        "INSERT INTO search_subjects (item_id, subject, opens) VALUES (?, ?, NULL)",
        [(doc.item_id, subject) for doc in docs for subject in doc.subjects],
    )


def _remove_many(db: Database, fts: FullText, item_ids: list[str]) -> None:
    fts.delete_many(db, item_ids)
    marks = ", ".join("?" for _ in item_ids)
    db.execute(f"DELETE FROM search_subjects WHERE item_id IN ({marks})", item_ids)
    db.execute(f"DELETE FROM search_docs WHERE item_id IN ({marks})", item_ids)


def remove_item(db: Database, item_id: str) -> None:
    fts = full_text_for(db)
    with db.transaction():
        fts.lock(db)
        _remove(db, fts, item_id)


def _remove(db: Database, fts: FullText, item_id: str) -> None:
    fts.delete(db, item_id)
    db.execute("DELETE FROM search_subjects WHERE item_id = ?", (item_id,))
    db.execute("DELETE FROM search_docs WHERE item_id = ?", (item_id,))


def catch_up(db: Database, batch: int = BATCH) -> int:
    """Index every queued item, ``batch`` to a transaction; how many were indexed."""
    fts = full_text_for(db)
    done = 0
    while True:
        with db.transaction():
            fts.lock(db)  # another process catching up too takes the next batch, not this one
            ids = [r["item_id"] for r in db.query("SELECT item_id FROM search_pending LIMIT ?", (batch,))]
            if ids:
                # Read under the lock, in the transaction that clears the queue (see ``_index``), and
                # written a statement a table for the whole batch.
                docs = read_documents(db, ids)
                _remove_many(db, fts, ids)
                _write_many(db, fts, docs)
                _count(db, ids)
            db.executemany("DELETE FROM search_pending WHERE item_id = ?", [(i,) for i in ids])
        done += len(ids)
        if len(ids) < batch:
            if done:
                log.info("search index caught up: %d items", done)
            return done


def pending(db: Database) -> int:
    row = db.query_one("SELECT COUNT(*) AS n FROM search_pending")
    return int(row["n"]) if row else 0


def reindex_all(db: Database) -> int:
    """Index every catalog item again (after ``rebuild-catalog``, or to repair); returns the count."""
    ids = [row["id"] for row in db.query("SELECT id FROM items ORDER BY id")]
    fts = full_text_for(db)
    with db.transaction():
        fts.lock(db)
        for table in ("search_subjects", "search_docs", "search_pending"):
            db.execute(f"DELETE FROM {table}")
        db.execute("DELETE FROM search_counts")  # zero by now, unless something had them wrong: a repair
        fts.clear(db)
        # The tables are empty now: write each document without the per-item delete, which
        # scans an FTS table and would make a rebuild quadratic; and uncounted, then counted
        # in one statement a table (one merge into the facet counts, not one an item).
        for first in range(0, len(ids), BATCH):
            _write_many(db, fts, read_documents(db, ids[first : first + BATCH]))
        _count(db)
    log.info("search index rebuilt: %d items", len(ids))
    return len(ids)


def ensure_indexed(db: Database) -> None:
    """Index whatever is queued, now (a command, a test; a server uses ``follow``)."""
    catch_up(db)


def follow(db: Database, interval: float) -> threading.Event:
    """Catch the index up now and every ``interval`` seconds, in a daemon thread, until the event
    returned is set or the database is closed."""
    stop = threading.Event()

    def run() -> None:
        while not db.closed:
            try:
                catch_up(db)
            except Exception:  # a busy or restarting database: try again at the next interval
                if db.closed:  # closed under it: the server is stopping
                    return
                log.exception("search index catch-up failed; retrying in %.0f s", interval)
            if stop.wait(interval):
                return

    threading.Thread(target=run, name="search-index", daemon=True).start()
    return stop
