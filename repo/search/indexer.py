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
from repo.catalog.full_text import FullText, full_text_for
from repo.catalog.search_documents import read_document, read_documents
from repo.catalog.search_index_rows import (
    clear_index,
    count_uncounted,
    drops_indexes_in_bulk,
    indexable_item_ids,
    indexed_count,
    remove_document,
    remove_documents,
    secondary_indexes_dropped,
    write_document,
    write_documents,
)
from repo.catalog.search_queue_rows import dequeue, queued_count, queued_items

log = logging.getLogger("muniment.search")
BATCH = 200
# A queue this long that is also at least the size of the index is indexed in bulk (see catch_up).
BULK_FROM = 10_000
# MB of pages a catch-up's SQLite connection keeps: the index's ten indexes of search_docs outgrow
# the default 2 MB within a batch (measured: 100,000 items index 28% faster).
WRITE_CACHE_MB = 256


def index_item(db: Database, item_id: str) -> None:
    """(Re)index one item from its catalog rows; an item no longer in the catalog is removed."""
    fts = full_text_for(db)
    with db.transaction():
        fts.lock(db)
        _index(db, fts, item_id)
        dequeue(db, [item_id])


def _index(db: Database, fts: FullText, item_id: str) -> None:
    # Read under the lock, in the transaction that clears the queue: a change committed after
    # this read queues the item again.
    doc = read_document(db, item_id)
    remove_document(db, fts, item_id)
    if doc is not None:
        write_document(db, fts, doc)


def remove_item(db: Database, item_id: str) -> None:
    fts = full_text_for(db)
    with db.transaction():
        fts.lock(db)
        remove_document(db, fts, item_id)


def catch_up(db: Database, batch: int = BATCH, *, bulk_from: int = BULK_FROM) -> int:
    """Index every queued item, ``batch`` to a transaction; how many were indexed.

    On SQLite, a queue of at least ``bulk_from`` items and at least as many as are indexed already
    (a catalog seeded or rebuilt straight into its tables) is indexed in bulk instead: in one
    transaction, with the index's secondary indexes dropped and made again at the end
    (``secondary_indexes_dropped``), so that a crash leaves the old index and its queue. That
    transaction holds the catalog's one write lock until it ends; readers read the old index."""
    fts = full_text_for(db)
    done = 0
    with db.larger_cache(WRITE_CACHE_MB):
        queued = queued_count(db)
        if drops_indexes_in_bulk(db) and queued >= bulk_from and queued >= indexed_count(db):
            with db.transaction():
                fts.lock(db)
                with secondary_indexes_dropped(db):
                    while (indexed := _index_queued(db, fts, batch)) > 0:
                        done += indexed
            log.info("search index caught up in bulk: %d items", done)
            return done
        while True:
            with db.transaction():
                fts.lock(db)  # another process catching up too takes the next batch, not this one
                indexed = _index_queued(db, fts, batch)
            done += indexed
            if indexed < batch:
                if done:
                    log.info("search index caught up: %d items", done)
                return done


def _index_queued(db: Database, fts: FullText, batch: int) -> int:
    """Index up to ``batch`` queued items, in the caller's transaction under the index's lock."""
    ids = queued_items(db, batch)
    if ids:
        # Read under the lock, in the transaction that clears the queue (see ``_index``), and
        # written a statement a table for the whole batch.
        docs = read_documents(db, ids)
        remove_documents(db, fts, ids)
        write_documents(db, fts, docs)
        dequeue(db, ids)
    return len(ids)


def pending(db: Database) -> int:
    return queued_count(db)


def reindex_all(db: Database) -> int:
    """Index every catalog item again (after ``rebuild-catalog``, or to repair); returns the count."""
    ids = indexable_item_ids(db)
    fts = full_text_for(db)
    with db.larger_cache(WRITE_CACHE_MB), db.transaction():
        fts.lock(db)
        clear_index(db, fts)
        # The tables are empty now: write each document without the per-item delete, which
        # scans an FTS table and would make a rebuild quadratic; and uncounted, then counted
        # in one statement a table (one merge into the facet counts, not one a batch); the
        # secondary indexes made once at the end.
        with secondary_indexes_dropped(db):
            for first in range(0, len(ids), BATCH):
                write_documents(db, fts, read_documents(db, ids[first : first + BATCH]), counted=False)
            count_uncounted(db)
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
