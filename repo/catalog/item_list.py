"""The staff's list of items: every item (any visibility or status), filtered, newest ingest first,
paged by keyset (the last row's ``created`` and ``id``), so that page 500 costs what page 1 does."""

from __future__ import annotations

import re
from dataclasses import dataclass

from repo.catalog.db import Database
from repo.catalog.full_text import full_text_for
from repo.catalog.index_words import terms
from repo.catalog.models import Item

_CURSOR = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)~([A-Za-z0-9._-]{1,200})")


@dataclass(frozen=True)
class ItemFilter:
    collection: str = ""
    visibility: str = ""  # public | restricted | embargoed; '' for any
    status: str = ""  # active | withdrawn | purged; '' for any
    ingested_from: str = ""  # YYYY-MM-DD, inclusive
    ingested_to: str = ""  # YYYY-MM-DD, inclusive
    text: str = ""  # every word in the item's indexed text (title, names, ...), or the item's id exactly


@dataclass(frozen=True)
class ItemPage:
    items: list[Item]
    next_cursor: str  # '' on the last page


def cursor_of(item: Item) -> str:
    return f"{item.created}~{item.id}"


def list_items_page(db: Database, where: ItemFilter, *, after: str = "", limit: int = 50) -> ItemPage:
    """One page of items matching ``where``, after the cursor (a malformed cursor starts at the top)."""
    clauses, params = ["1 = 1"], list[object]()
    for column in ("collection", "visibility", "status"):
        value = getattr(where, column)
        if value:
            clauses.append(f"{column} = ?")
            params.append(value)
    if where.ingested_from:
        clauses.append("created >= ?")
        params.append(f"{where.ingested_from}T00:00:00Z")
    if where.ingested_to:
        clauses.append("created <= ?")
        params.append(f"{where.ingested_to}T23:59:59Z")
    text = where.text.strip()
    if text:
        # The search index holds every item's words (title, names, subjects, description, page
        # text): a word query there, rather than a LIKE that reads every row.
        words = terms(text)
        if words:
            found = full_text_for(db).match(words)
            matching = f"SELECT d.item_id FROM search_docs d {found.join} WHERE {found.condition}"
            clauses.append(f"(id IN ({matching}) OR id = ?)")
            params += [*found.condition_params, text]
        else:
            clauses.append("id = ?")
            params.append(text)
    match = _CURSOR.fullmatch(after)
    if match:
        clauses.append("(created, id) < (?, ?)")  # a row value: both databases seek the index with it
        params += list(match.groups())
    rows = db.query(
        f"SELECT * FROM items WHERE {' AND '.join(clauses)} ORDER BY created DESC, id DESC LIMIT ?",
        (*params, limit + 1),
    )
    items = [Item.from_row(r) for r in rows[:limit]]
    return ItemPage(items, cursor_of(items[-1]) if len(rows) > limit else "")
