"""Snippets of page text for the site search: where a hit's pages hold the query's words, a few
passages with those words marked, each naming its page, so a reader goes straight to it.

Words are matched as the site search matches them (``repo.catalog.index_words``): folded, and a query
word of at least ``PREFIX_MIN`` letters also matches longer words it begins. Passages come in page
order, one per stretch of text, a few per item.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from repo.catalog import Database, page_word_rows
from repo.catalog.index_words import PREFIX_MIN, terms
from repo.search.page_text import index_word

MAX_CANDIDATES = 200  # word hits looked at per item: enough for a few passages in page order


@dataclass(frozen=True)
class Snippet:
    seq: int  # the page
    parts: tuple[tuple[str, bool], ...]  # (word as read, marked) in order: a marked word matched the query
    before: bool  # the page has words before the passage (show an ellipsis)
    after: bool  # and after it


def _matches(word: str, wanted: Sequence[str]) -> bool:
    return any(word == w or (len(w) >= PREFIX_MIN and word.startswith(w)) for w in wanted)


def snippets(db: Database, item_id: str, query: str, *, per_item: int = 3, context: int = 6) -> list[Snippet]:
    """Up to ``per_item`` passages of the item's pages where the query's words occur, words marked;
    a passage is ``context`` words either side of its first match (and of the query's other words)."""
    wanted = [w for w in (index_word(t) for t in terms(query)) if w]
    if not wanted:
        return []
    # A long word also matches the longer words it begins, as in the site search.
    hits = page_word_rows.word_places(db, item_id, [(w, len(w) >= PREFIX_MIN) for w in wanted], MAX_CANDIDATES)
    chosen: list[tuple[int, int]] = []
    for row in hits:
        if len(chosen) >= per_item:
            break
        if chosen and chosen[-1][0] == row["seq"] and row["n"] - chosen[-1][1] <= context + len(wanted):
            continue  # inside the previous passage
        chosen.append((row["seq"], row["n"]))
    # One word beyond each passage's end tells whether the page goes on.
    reach = context + len(wanted)
    around = page_word_rows.words_around(db, item_id, [(seq, n, len(wanted) + 2) for seq, n in chosen], context)
    out = []
    for seq, n in chosen:
        page = around.get(seq, {})
        last = n + reach
        shown = [page[k] for k in sorted(page) if n - context <= k <= last]
        parts = tuple((r["text"], _matches(r["word"], wanted)) for r in shown)
        out.append(Snippet(seq, parts, before=n - context > 0, after=any(k > last for k in page)))
    return out


def snippets_of(db: Database, item_ids: Sequence[str], query: str, *, per_item: int = 3) -> dict[str, list[Snippet]]:
    """Snippets of each of a page of hits (an item without matching page text has none)."""
    if not terms(query):
        return {}
    found = {item_id: snippets(db, item_id, query, per_item=per_item) for item_id in item_ids}
    return {item_id: passages for item_id, passages in found.items() if passages}
