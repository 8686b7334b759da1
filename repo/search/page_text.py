"""The page-text index: each page's words with their boxes (``page_words``, for IIIF Content Search
and highlighting) and its text in the catalog's full-text index (``page_fts`` on SQLite, a
tsvector on PostgreSQL; for the site search). Snippets for the site search: ``repo.search.snippets``.

``page_terms`` counts each word of an item's pages (for autocomplete and a word's total) and
``page_pairs`` each pair of neighbouring words (a two-word phrase's total), kept with the words.

Words are folded as the record index folds them (``text.fold``), so "Dvořák" finds "dvorak".
A phrase is words at consecutive positions on one page; a word of a query at least
``PREFIX_MIN`` long is matched whole here (Content Search highlights exactly what was asked),
while the site search matches it as a prefix, as it does in records.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import groupby, pairwise
from operator import itemgetter
from typing import Any

from repo.catalog import Database, page_text_rows, page_word_rows, utc_now
from repo.catalog.index_words import fold, terms
from repo.ocr.page_text import PageText
from repo.search.indexer import index_item

_WORD = re.compile(r"\w+", re.UNICODE)


@lru_cache(maxsize=65536)  # a page's words repeat, and a book's pages repeat them
def index_word(text: str) -> str:
    """What a word read from a page is indexed as: folded, punctuation dropped ("Hello," -> "hello")."""
    return "".join(_WORD.findall(fold(text)))


@dataclass(frozen=True)
class StoredPage:
    item_id: str
    seq: int
    source: str  # "tesseract", or "alto"/"hocr" when supplied with the scans
    software: str
    languages: str
    width: int
    height: int
    text: str
    version: int | None  # the OCFL version that holds the page's text; None while pending

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> StoredPage:
        return cls(
            row["item_id"],
            row["seq"],
            row["source"],
            row["software"],
            row["languages"],
            row["width"],
            row["height"],
            row["text"],
            row["version"],
        )


HitKey = tuple[int, int]  # a hit's page and its first word's position: where a page of hits starts


@dataclass(frozen=True)
class WordHit:
    seq: int
    n: int  # the first word's position on the page
    count: int  # words in the hit (a phrase's length)
    x: int
    y: int
    w: int
    h: int
    exact: str  # the words as read
    before: str  # up to a few words before and after, for a snippet or a TextQuoteSelector
    after: str

    @property
    def key(self) -> HitKey:
        return self.seq, self.n


# -- writing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewPage:
    """A page's text to write: what ``save_page`` and ``add_pages`` take."""

    item_id: str
    seq: int
    page: PageText
    alto: bytes
    source: str
    software: str = ""
    languages: str = ""
    version: int | None = None


def save_page(
    db: Database,
    item_id: str,
    seq: int,
    page: PageText,
    alto: bytes,
    *,
    source: str,
    software: str = "",
    languages: str = "",
    version: int | None = None,
) -> None:
    """The page's text and words, replacing what it had, in one transaction."""
    with db.transaction():
        page_text_rows.delete_page(db, item_id, seq)
        add_pages(db, [NewPage(item_id, seq, page, alto, source, software, languages, version)])


def add_pages(db: Database, pages: Sequence[NewPage]) -> None:
    """Write pages that have no text yet, a statement a table for them all (a page's words and
    counts are added to, not replaced: ``save_page`` replaces)."""
    created = utc_now()
    rows = [
        (p.item_id, p.seq, n, word, w.text, w.line, w.x, w.y, w.w, w.h)
        for p in pages
        for n, w in enumerate(p.page.words)
        if (word := index_word(w.text))
    ]
    texts = [
        page_text_rows.PageTextRow(
            p.item_id,
            p.seq,
            p.source,
            p.software,
            p.languages,
            p.page.width,
            p.page.height,
            p.page.text,
            p.alto.decode(),
            p.version,
        )
        for p in pages
    ]
    with db.transaction():
        # PostgreSQL's tsvector holds the words folded as the record index folds them.
        page_text_rows.insert_pages(db, texts, created, fold)
        page_text_rows.insert_words(db, rows)
        page_text_rows.add_term_counts(db, [(*key, n) for key, n in Counter((row[0], row[3]) for row in rows).items()])
        # Neighbours: the next row is the same page's next position (a word that folds to nothing,
        # such as a lone dash, leaves a gap that no phrase crosses).
        pairs = Counter((a[0], a[3], b[3]) for a, b in pairwise(rows) if b[2] == a[2] + 1 and b[:2] == a[:2])
        page_text_rows.add_pair_counts(db, [(*key, n) for key, n in pairs.items()])


def mark_stored(db: Database, item_id: str, seqs: Sequence[int], version: int) -> None:
    """These pages' text is now in the object's ``version``; the site search indexes it with the
    item's record (once an item, not once a page: the item's document holds every page's text)."""
    page_text_rows.set_version(db, item_id, seqs, version)
    index_item(db, item_id)


# -- reading --------------------------------------------------------------------------------


def pages_with_text(db: Database, item_id: str) -> dict[int, StoredPage]:
    return {row["seq"]: StoredPage.from_row(row) for row in page_text_rows.page_rows(db, item_id)}


def stored_texts(db: Database, item_id: str, first: int, last: int) -> dict[int, str]:
    """The plain text of the item's pages ``first`` to ``last`` that a version holds."""
    return page_text_rows.stored_texts(db, item_id, first, last)


def has_stored_text(db: Database, item_id: str) -> bool:
    return page_text_rows.has_stored_text(db, item_id)


def stored_pages(db: Database, item_id: str) -> set[int]:
    """Pages whose text a version of the item holds (text still being read is not announced)."""
    return page_text_rows.stored_seqs(db, item_id)


def pending(db: Database, item_id: str) -> list[tuple[int, bytes, StoredPage]]:
    """ALTO read by OCR that no version holds yet: (page, ALTO, its record)."""
    rows = page_text_rows.pending_rows(db, item_id)
    return [(row["seq"], row["alto"].encode(), StoredPage.from_row(row)) for row in rows]


def page_plain_text(db: Database, item_id: str, seq: int) -> str | None:
    """One page's plain text (without reading the item's other pages)."""
    return page_text_rows.page_plain_text(db, item_id, seq)


def page_alto(db: Database, item_id: str, seq: int) -> bytes | None:
    alto = page_text_rows.page_alto(db, item_id, seq)
    return alto.encode() if alto is not None else None


def page_lines(db: Database, item_id: str, seq: int) -> list[tuple[int, int, int, int, str]]:
    """(x, y, w, h, text) of each line of the page, in reading order."""
    lines: dict[int, list[Any]] = {}
    for row in page_text_rows.page_word_rows(db, item_id, seq):
        line = lines.setdefault(row["line"], [row["x"], row["y"], row["x"] + row["w"], row["y"] + row["h"], []])
        line[0], line[1] = min(line[0], row["x"]), min(line[1], row["y"])
        line[2], line[3] = max(line[2], row["x"] + row["w"]), max(line[3], row["y"] + row["h"])
        line[4].append(row["text"])
    return [(x0, y0, x1 - x0, y1 - y0, " ".join(words)) for x0, y0, x1, y1, words in lines.values()]


@dataclass(frozen=True)
class HitPage:
    """Page ``page`` of a query's hits, in page order, with the keys of the pages linked from it
    (next, previous, last: None where there is none, or for the first page, which needs none)."""

    total: int
    page: int
    size: int
    hits: list[WordHit]
    next: HitKey | None = None
    prev: HitKey | None = None
    last: HitKey | None = None

    @property
    def last_page(self) -> int:
        return max(0, (self.total - 1) // self.size)


@dataclass(frozen=True)
class _Phrase:
    """A query's words on one item (its places start from the rarest word) and how often they
    stand together."""

    places: page_word_rows.PhrasePlaces
    total: int


def _phrase(db: Database, item_id: str, query: str) -> _Phrase | None:
    """The query's words and how often they stand together on the item's pages; None when never.

    Each word's count on the item's pages, and each pair of neighbours', answer at once when a word
    or pair is absent, and a single word's or a two-word phrase's total is a row."""
    words = [w for w in (index_word(t) for t in terms(query)) if w]
    if not words:
        return None
    found = page_word_rows.term_counts(db, item_id, words)
    if any(w not in found for w in words):
        return None
    pairs = page_word_rows.pair_counts(db, item_id, sorted(set(pairwise(words))))
    if any(pair not in pairs for pair in pairwise(words)):
        return None
    anchor = min(range(len(words)), key=lambda k: found[words[k]])
    places = page_word_rows.PhrasePlaces(item_id, words, anchor)
    if len(words) == 1:
        total = found[words[0]]
    elif len(words) == 2:
        total = pairs[(words[0], words[1])]
    else:
        total = page_word_rows.count_places(db, places)
    return _Phrase(places, total) if total else None


def find_words(
    db: Database,
    item_id: str,
    query: str,
    *,
    context: int = 5,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[int, list[WordHit]]:
    """Every place on the item's pages where the query's words stand together, in page order:
    (how many there are, the hits from ``offset``, at most ``limit``)."""
    phrase = _phrase(db, item_id, query)
    if phrase is None:
        return 0, []
    return phrase.total, _hits(db, phrase, None, limit, offset, context)


def hit_page(
    db: Database, item_id: str, query: str, size: int, *, page: int = 0, start: HitKey | None = None
) -> HitPage:
    """Page ``page`` of ``size`` hits, from the hit ``start`` when the key is known (then it costs
    the same however many hits come before it), else by offset; the keys of its neighbours and of
    the last page come from the index backwards, a page's worth at most."""
    phrase = _phrase(db, item_id, query)
    if phrase is None:
        return HitPage(0, page, size, [])
    hits = _hits(db, phrase, start, size + 1, 0 if start else page * size, 5)
    found = HitPage(phrase.total, page, size, hits[:size], next=hits[size].key if len(hits) > size else None)
    first, last = (hits[0].key if hits else None), found.last_page
    return replace(
        found,
        prev=_back(db, phrase, first, size) if page > 1 and first else None,
        last=first if last == page else _back(db, phrase, None, phrase.total - last * size),
    )


def _back(db: Database, phrase: _Phrase, before: HitKey | None, back: int) -> HitKey | None:
    """The key of the hit ``back`` places before ``before`` (None: after the last hit)."""
    return page_word_rows.place_back(db, phrase.places, before, back)


_PLACE, _BY_PLACE = itemgetter(0, 1), itemgetter(0, 1, 2)


def _hits(
    db: Database, phrase: _Phrase, start: HitKey | None, limit: int | None, offset: int, context: int
) -> list[WordHit]:
    """The phrase's hits with ``context`` words either side, in one query: the places, then the
    words of each one's window by the primary key, as tuples: a page of hits is one pass."""
    rows = page_word_rows.place_windows(db, phrase.places, start, limit, offset, context)
    count = len(phrase.places.words)
    rows.sort(key=_BY_PLACE)  # here, not by the database's sorter: the rows come nearly in order
    hits: list[WordHit] = []
    for (seq, n), window in groupby(rows, key=_PLACE):
        before: list[str] = []
        inside: list[tuple[Any, ...]] = []
        after: list[str] = []
        for row in window:
            if row[2] < n:
                before.append(row[3])
            elif row[2] < n + count:
                inside.append(row)
            else:
                after.append(row[3])
        x0, y0 = min(r[4] for r in inside), min(r[5] for r in inside)
        x1, y1 = max(r[4] + r[6] for r in inside), max(r[5] + r[7] for r in inside)
        exact = " ".join(r[3] for r in inside)
        hits.append(WordHit(seq, n, count, x0, y0, x1 - x0, y1 - y0, exact, " ".join(before), " ".join(after)))
    return hits


def complete(db: Database, item_id: str, prefix: str, limit: int = 10) -> list[tuple[str, int]]:
    """Words of the item beginning with ``prefix`` (folded) and how often each occurs, most first."""
    folded = index_word(prefix)
    if not folded:
        return []
    return page_word_rows.words_beginning(db, item_id, folded, limit)
