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
from repo.catalog.db import Row
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
    return snippets_of(db, [item_id], query, per_item=per_item, context=context).get(item_id, [])


def snippets_of(
    db: Database, item_ids: Sequence[str], query: str, *, per_item: int = 3, context: int = 6
) -> dict[str, list[Snippet]]:
    """``snippets`` of each of a page of hits (an item without matching page text has none), in
    two queries whatever the number of hits: on PostgreSQL a query is a round trip, and a query a
    hit made a page of twenty hits cost more than the rest of the search."""
    wanted = [w for w in (index_word(t) for t in terms(query)) if w]
    if not wanted or not item_ids:
        return {}
    # A long word also matches the longer words it begins, as in the site search.
    places = page_word_rows.word_places(db, item_ids, [(w, len(w) >= PREFIX_MIN) for w in wanted], MAX_CANDIDATES)
    reach = context + len(wanted)  # one word beyond each passage's end tells whether the page goes on
    chosen = {item_id: _passage_starts(rows, per_item, reach) for item_id, rows in places.items()}
    spans = [(item_id, seq, n, len(wanted) + 2) for item_id, starts in chosen.items() for seq, n in starts]
    around = page_word_rows.words_around(db, spans, context)
    out: dict[str, list[Snippet]] = {}
    for item_id, starts in chosen.items():
        passages = []
        for seq, n in starts:
            page = around.get((item_id, seq), {})
            last = n + reach
            shown = [page[k] for k in sorted(page) if n - context <= k <= last]
            parts = tuple((r["text"], _matches(r["word"], wanted)) for r in shown)
            passages.append(Snippet(seq, parts, before=n - context > 0, after=any(k > last for k in page)))
        if passages:
            out[item_id] = passages
    return out


def _passage_starts(places: Sequence[Row], per_item: int, reach: int) -> list[tuple[int, int]]:
    """The (page, word) each of at most ``per_item`` passages starts at: a place within ``reach``
    words of the previous passage's start on its page is inside it."""
    chosen: list[tuple[int, int]] = []
    for row in places:
        if len(chosen) >= per_item:
            break
        if chosen and chosen[-1][0] == row["seq"] and row["n"] - chosen[-1][1] <= reach:
            continue
        chosen.append((row["seq"], row["n"]))
    return chosen
