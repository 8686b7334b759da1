"""The search tables, beside the catalog's own (created here, IF NOT EXISTS, on first use)."""

from __future__ import annotations

import weakref

from repo.catalog import Database
from repo.search.fts import full_text_for

_TABLES = """
CREATE TABLE IF NOT EXISTS search_docs (
    item_id TEXT PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
    collection TEXT NOT NULL,
    title TEXT NOT NULL,
    sort_title TEXT NOT NULL,
    creators TEXT NOT NULL DEFAULT '',
    subjects TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    type TEXT,
    language TEXT,
    date TEXT,
    date_start INTEGER,
    date_end INTEGER
);
CREATE INDEX IF NOT EXISTS search_docs_collection ON search_docs(collection, sort_title);
CREATE INDEX IF NOT EXISTS search_docs_sort_title ON search_docs(sort_title, item_id);
CREATE INDEX IF NOT EXISTS search_docs_date ON search_docs(date_start, date_end);
CREATE INDEX IF NOT EXISTS search_docs_type ON search_docs(type);
CREATE INDEX IF NOT EXISTS search_docs_language ON search_docs(language);
CREATE TABLE IF NOT EXISTS search_subjects (
    item_id TEXT NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    subject TEXT NOT NULL,
    PRIMARY KEY (item_id, subject)
);
CREATE INDEX IF NOT EXISTS search_subjects_subject ON search_subjects(subject, item_id)
"""

# Databases whose search tables exist already in this process: creating is idempotent but not free.
_READY: weakref.WeakSet[Database] = weakref.WeakSet()


def ensure_search_schema(db: Database) -> None:
    if db in _READY:
        return
    statements = [s.strip() for s in _TABLES.split(";") if s.strip()]
    fts = full_text_for(db)
    with db.transaction():
        fts.lock(db)
        db.script([*statements, *fts.schema()])
    _READY.add(db)
