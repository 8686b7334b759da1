"""Content Search's hits and totals (``page_text.find_words``), read from the counts kept with the
words (``page_terms``, ``page_pairs``), are those of a straightforward reading of every word of
every page: for a common word, a rare one, phrases of two and three words, a word repeated, on
both catalogs, before and after a page is read again."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest

from repo.catalog import Catalog, Database
from repo.ocr.page_text import PageText, Word
from repo.search import page_text
from tests.servers.postgres import PostgresServer

# Skewed like prose: "the" is most of the words, "quire" a few, "vellum" on two pages only; ","
# alone is no word (a gap in the positions).
VOCABULARY = ["the"] * 12 + ["of"] * 6 + ["Book,"] * 3 + ["book"] * 2 + ["quire", ","]
QUERIES = ["the", "quire", "vellum", "book", "the of", "of the", "the the", "book the of", "the the the", "of quire"]


def _page(rng: random.Random, count: int, rare: int | None = None) -> PageText:
    words = [
        Word(rng.choice(VOCABULARY), 10 + (n % 10) * 60, 10 + (n // 10) * 30, 50 + n % 7, 20, n // 10)
        for n in range(count)
    ]
    if rare is not None:
        words[rare] = Word("Vellum", 10, 10, 50, 20, 0)
    return PageText(700, 900, tuple(words))


@pytest.fixture(params=["sqlite", "postgresql"], scope="module")
def db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('find') / 'catalog.sqlite3'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        url = server.create_database(f"t_find_{request.param}_{random.randrange(10**9)}")
    catalog = Catalog.open(url)
    catalog.ensure_collection("texts", "Texts")
    catalog.db.execute(
        "INSERT INTO items (id, collection, content_key, title, visibility, status, page_count, created, datestamp)"
        " VALUES ('b', 'texts', 'k', 'Book', 'public', 'active', 30, '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z')"
    )
    rng = random.Random(18)
    for seq in range(1, 31):
        page_text.save_page(
            catalog.db, "b", seq, _page(rng, 80, {2: 5, 9: 40}.get(seq)), b"<alto/>", source="tesseract", version=1
        )
    yield catalog.db
    catalog.close()


def _reference(db: Database, query: str) -> list[tuple[int, int, str, tuple[int, int, int, int]]]:
    """(page, first word, words as read, box) of each place the query's words stand together."""
    words = [page_text.index_word(w) for w in query.split()]
    pages: dict[int, dict[int, Any]] = {}
    for row in db.query("SELECT seq, n, word, text, x, y, w, h FROM page_words WHERE item_id = 'b'"):
        pages.setdefault(row["seq"], {})[row["n"]] = row
    found = []
    for seq in sorted(pages):
        for n in sorted(pages[seq]):
            span = [pages[seq].get(n + k) for k in range(len(words))]
            if all(r is not None and r["word"] == w for r, w in zip(span, words, strict=True)):
                x0, y0 = min(r["x"] for r in span), min(r["y"] for r in span)
                x1, y1 = max(r["x"] + r["w"] for r in span), max(r["y"] + r["h"] for r in span)
                found.append((seq, n, " ".join(r["text"] for r in span), (x0, y0, x1 - x0, y1 - y0)))
    return found


def _hits(db: Database, query: str, **paging: int) -> tuple[int, list[tuple[int, int, str, tuple[int, int, int, int]]]]:
    total, hits = page_text.find_words(db, "b", query, **paging)
    return total, [(h.seq, h.n, h.exact, (h.x, h.y, h.w, h.h)) for h in hits]


def _assert_same_as_reference(db: Database) -> None:
    for query in QUERIES:
        expected = _reference(db, query)
        assert expected, query  # each query has hits: the comparison is not of two empty lists
        assert _hits(db, query) == (len(expected), expected), query
        assert _hits(db, query, limit=7, offset=5) == (len(expected), expected[5:12]), query
    pairs = db.query("SELECT word, next, n FROM page_pairs WHERE item_id = 'b' ORDER BY word, next")
    counted = db.query(
        "SELECT a.word, b.word AS next, COUNT(*) AS n FROM page_words a JOIN page_words b ON b.item_id = a.item_id"
        " AND b.seq = a.seq AND b.n = a.n + 1 WHERE a.item_id = 'b' GROUP BY a.word, b.word ORDER BY a.word, b.word"
    )
    assert [dict(r) for r in pairs] == [dict(r) for r in counted]


def test_hits_and_totals_are_those_of_every_word_read_in_turn(db: Database) -> None:
    _assert_same_as_reference(db)
    absent = 0
    for first in ("the", "of", "book", "vellum"):  # every pair, with the pairs never seen together
        for second in ("the", "of", "book", "vellum"):
            expected = _reference(db, f"{first} {second}")
            assert _hits(db, f"{first} {second}") == (len(expected), expected)
            absent += not expected
    assert absent > 0


def test_a_page_read_again_leaves_the_counts_those_of_its_new_words(db: Database) -> None:
    before = {query: len(_reference(db, query)) for query in QUERIES}
    page_text.save_page(db, "b", 3, _page(random.Random(99), 40), b"<alto/>", source="tesseract", version=1)
    _assert_same_as_reference(db)
    assert {query: len(_reference(db, query)) for query in QUERIES} != before


def test_pages_asked_for_by_key_walk_every_hit_once_either_way(db: Database) -> None:
    size = 7
    for query in ("the", "quire", "of the", "book the of"):
        expected = [(seq, n) for seq, n, _, _ in _reference(db, query)]
        pages = [page_text.hit_page(db, "b", query, size)]
        while pages[-1].next is not None:
            pages.append(page_text.hit_page(db, "b", query, size, page=len(pages), start=pages[-1].next))
        assert [h.key for p in pages for h in p.hits] == expected, query
        assert all(len(p.hits) == size for p in pages[:-1]) and 1 <= len(pages[-1].hits) <= size
        assert len(pages) == pages[0].last_page + 1
        # Every page names where the last page starts, and where the one before it starts.
        assert {p.last for p in pages} == {pages[-1].hits[0].key}, query
        for number, p in enumerate(pages):
            assert p.total == len(expected)
            assert p.prev == (pages[number - 1].hits[0].key if number > 1 else None), (query, number)
        # A page asked for by number alone (no key) is the same page.
        assert page_text.hit_page(db, "b", query, size, page=len(pages) - 1).hits == pages[-1].hits
