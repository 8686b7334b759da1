"""What the index holds about one item, read from the catalog tables."""

from __future__ import annotations

import json
from dataclasses import dataclass

from repo.catalog import Database
from repo.search.text import sort_key


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


def read_document(db: Database, item_id: str) -> SearchDocument | None:
    row = db.query_one(
        "SELECT i.id, i.collection, i.title, m.dc_json, m.description, m.full_text, m.type, m.language,"
        " m.date, m.date_start, m.date_end FROM items i LEFT JOIN metadata m ON m.item_id = i.id"
        " WHERE i.id = ?",
        (item_id,),
    )
    if row is None:
        return None
    # The pages' text (OCR or supplied) joins the record's full text: the index weights it least,
    # so items whose record holds the words rank before those found only in their pages.
    pages = db.query("SELECT text FROM page_text WHERE item_id = ? ORDER BY seq", (item_id,))
    full_text = "\n".join([row["full_text"] or "", *(p["text"] for p in pages)]).strip()
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
