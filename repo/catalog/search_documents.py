"""What the search index holds about one item (``SearchDocument``), read from the catalog's
``items``, ``metadata`` and ``page_text`` rows."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from repo.catalog.db import Database
from repo.catalog.index_words import sort_key


@dataclass(frozen=True)
class SearchDocument:
    item_id: str
    collection: str
    title: str
    creators: str
    subjects: tuple[str, ...]
    description: str
    full_text: str
    type: str | None
    language: str | None
    date: str | None
    date_start: int | None
    date_end: int | None

    @property
    def sort_title(self) -> str:
        return sort_key(self.title)

    @property
    def subject_text(self) -> str:
        return "\n".join(self.subjects)


_DOCUMENT_ROWS = (
    "SELECT i.id, i.collection, i.title, m.dc_json, m.description, m.full_text, m.type, m.language,"
    " m.date, m.date_start, m.date_end FROM items i LEFT JOIN metadata m ON m.item_id = i.id"
)


def read_document(db: Database, item_id: str) -> SearchDocument | None:
    found = read_documents(db, [item_id])
    return found[0] if found else None


def read_documents(db: Database, item_ids: Sequence[str]) -> list[SearchDocument]:
    """The documents of those of ``item_ids`` still in the catalog, in two statements whatever
    their number (a batch of the queue: one statement an item cost more than indexing it)."""
    if not item_ids:
        return []
    marks = ", ".join("?" for _ in item_ids)
    rows = db.query(f"{_DOCUMENT_ROWS} WHERE i.id IN ({marks})", list(item_ids))
    pages: dict[str, list[str]] = {}
    for item_id, text in db.query_values(
        f"SELECT item_id, text FROM page_text WHERE item_id IN ({marks}) ORDER BY item_id, seq", list(item_ids)
    ):
        pages.setdefault(item_id, []).append(text)
    return [_document(row, pages.get(row["id"], [])) for row in rows]


def _document(row: dict[str, Any], pages: list[str]) -> SearchDocument:
    # The pages' text (OCR or supplied) joins the record's full text: the index weights it least,
    # so items whose record holds the words rank before those found only in their pages.
    full_text = "\n".join([row["full_text"] or "", *pages]).strip()
    dc: dict[str, list[str]] = json.loads(row["dc_json"]) if row["dc_json"] else {}
    names = [*dc.get("creator", []), *dc.get("contributor", [])]
    subjects = tuple(dict.fromkeys(s.strip() for s in dc.get("subject", []) if s.strip()))
    return SearchDocument(
        item_id=row["id"],
        collection=row["collection"],
        title=row["title"],
        creators="\n".join(names),
        subjects=subjects,
        description=row["description"] or "",
        full_text=full_text,
        type=row["type"] or None,
        language=row["language"] or None,
        date=row["date"],
        date_start=row["date_start"],
        date_end=row["date_end"] if row["date_end"] is not None else row["date_start"],
    )
