"""Listings by key, totals and facets from the version-keyed cache, the index queue: each compared
with a straightforward query (the whole listing in one ORDER BY, counts by hand) on a small catalog,
on SQLite and PostgreSQL."""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Iterator

import pytest

from repo.catalog import Catalog
from repo.search import Search, SearchQuery, Sort, catch_up, follow, pending
from repo.search.search import FACET_LIMIT
from tests.presentation import samples

NOW = "2025-06-01T00:00:00Z"
SUBJECTS = ["Engines", "Wool trade", "Parishes", "Mathematics", "Zebras", "Maps"]
# The orders of the listing before keys, written out: what every page walked by cursor must equal.
STRAIGHT_ORDER = {
    Sort.TITLE: "d.sort_title, d.item_id",
    Sort.DATE_ASC: "d.date_start IS NULL, d.date_start, d.sort_title, d.item_id",
    Sort.DATE_DESC: "d.date_start IS NULL, d.date_start DESC, d.sort_title, d.item_id",
    Sort.NEWEST: "i.created DESC, d.item_id",
}
PUBLIC = "i.status = 'active' AND (i.visibility = 'public' OR (i.visibility = 'embargoed' AND i.embargo_until <= ?))"


@pytest.fixture
def catalog(catalog_url: str) -> Iterator[Catalog]:
    opened = Catalog.open(catalog_url)
    rng = random.Random(7)
    for slug in ("letters", "maps", "plates"):
        opened.ensure_collection(slug, slug.title())
    for n in range(61):
        year = rng.choice([None, 1650, 1790, 1843, 1843, 1901])
        visibility, status, embargo = "public", "active", None
        if n % 9 == 4:
            visibility = "restricted"
        elif n % 11 == 5:
            visibility, embargo = "embargoed", rng.choice(["2020-01-01T00:00:00Z", "2030-01-01T00:00:00Z"])
        elif n % 13 == 6:
            status = "withdrawn"
        title = rng.choice(["The ", "A ", "", "¿"]) + rng.choice(["engine", "Mill", "parish", "Éclair"]) + f" {n % 7}"
        samples.add(
            opened,
            samples.item(
                f"i{n:02d}",
                collection=rng.choice(["letters", "letters", "maps", "plates"]),
                title=title,
                created=f"2024-01-{1 + n % 5:02d}T00:00:00Z",  # ties, which the item id breaks
                visibility=visibility,
                status=status,
                embargo_until=embargo,
            ),
            samples.record(
                title,
                subjects=tuple(rng.sample(SUBJECTS, 2)),
                language=rng.choice(["en", "fr", None]),
                type=rng.choice(["Text", "Image"]),
                years=None if year is None else (year, year),
                date=None if year is None else str(year),
                description=rng.choice(["On the engine.", "Accounts of wool.", "A survey."]),
            ),
        )
    yield opened
    opened.close()


def straightforward(catalog: Catalog, sort: Sort, where: str = "", params: tuple[str, ...] = ()) -> list[str]:
    rows = catalog.db.query(
        f"SELECT d.item_id FROM search_docs d JOIN items i ON i.id = d.item_id WHERE {PUBLIC} {where}"
        f" ORDER BY {STRAIGHT_ORDER[sort]}",
        (NOW, *params),
    )
    return [r["item_id"] for r in rows]


def walk(search: Search, query: SearchQuery) -> tuple[list[list[str]], list[list[str]]]:
    """Every page forwards by ``next`` links, then from the last page backwards by ``previous`` ones."""
    forwards, backwards = [], []
    results = search.search(query, now=NOW)
    while True:
        forwards.append([h.item_id for h in results.hits])
        assert results.position == sum(map(len, forwards[:-1]))
        if results.next_cursor is None:
            break
        results = search.search(SearchQuery(**{**query.__dict__, "cursor": results.next_cursor}), now=NOW)
    while results.previous_cursor is not None:
        results = search.search(SearchQuery(**{**query.__dict__, "cursor": results.previous_cursor}), now=NOW)
        backwards.append([h.item_id for h in results.hits])
    return forwards, backwards


@pytest.mark.parametrize("sort", list(STRAIGHT_ORDER))
@pytest.mark.parametrize(
    "filters, where",
    [
        ({}, ""),
        ({"collection": ("letters",)}, "AND d.collection = ?"),
        ({"language": ("fr",)}, "AND d.language = ?"),
        ({"subject": ("Engines",)}, "AND d.item_id IN (SELECT item_id FROM search_subjects WHERE subject = ?)"),
    ],
)
def test_pages_by_key_are_the_straightforward_listing(catalog: Catalog, sort: Sort, filters: dict, where: str) -> None:
    query = SearchQuery(filters=filters, sort=sort, page_size=7)
    forwards, backwards = walk(Search(catalog.db), query)
    expected = straightforward(catalog, sort, where, tuple(v for values in filters.values() for v in values))
    assert len(expected) > 7
    assert [i for page in forwards for i in page] == expected
    assert all(len(page) == 7 for page in forwards[:-1])
    assert backwards == forwards[-2::-1]  # back again, page by page, to the first


def test_old_page_numbers_still_give_the_same_pages(catalog: Catalog) -> None:
    search = Search(catalog.db)
    forwards, _ = walk(search, SearchQuery(sort=Sort.TITLE, page_size=7))
    third = search.search(SearchQuery(sort=Sort.TITLE, page_size=7, page=3), now=NOW)
    assert [h.item_id for h in third.hits] == forwards[2] and third.position == 14
    assert third.next_cursor and third.previous_cursor


def test_a_malformed_cursor_shows_the_first_page(catalog: Catalog) -> None:
    search = Search(catalog.db)
    first = search.search(SearchQuery(sort=Sort.TITLE, page_size=7), now=NOW)
    for bad in ("nonsense", "W10", "WzEsMiwzXQ", "!!", "WzAsMCxbXSwiaSJd"):
        again = search.search(SearchQuery(sort=Sort.TITLE, page_size=7, cursor=bad), now=NOW)
        assert again.hits == first.hits, bad


def expected_facets(catalog: Catalog, ids: list[str]) -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = {name: Counter() for name in ("collection", "type", "language", "subject")}
    for item_id in ids:
        doc = catalog.db.query_one("SELECT * FROM search_docs WHERE item_id = ?", (item_id,))
        assert doc is not None
        for name in ("collection", "type", "language"):
            if doc[name]:
                counts[name][doc[name]] += 1
        for subject in doc["subjects"].split("\n"):
            counts["subject"][subject] += 1
    return counts


@pytest.mark.parametrize("text", ["", "engine", "wool"])
def test_totals_and_facets_are_the_straightforward_counts(catalog: Catalog, text: str) -> None:
    search = Search(catalog.db)
    results = search.search(SearchQuery(text=text, page_size=100), now=NOW)
    every = {h.item_id for h in results.hits}
    assert results.total == len(every) > 0
    matching = [i for i in straightforward(catalog, Sort.TITLE) if i in every]
    expected = expected_facets(catalog, matching)
    for name, values in expected.items():
        ranked = sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))[:FACET_LIMIT]
        assert [(v.value, v.count) for v in results.facets.get(name, [])] == ranked, name
    starts = [catalog.db.query_one("SELECT date_start FROM search_docs WHERE item_id = ?", (i,)) for i in matching]
    years = Counter(int(row["date_start"]) for row in starts if row and row["date_start"] is not None)
    spans = results.facets["date"]  # each span counts the matches that start in it, and every one is in a span
    assert years and sum(v.count for v in spans) == sum(years.values())
    for span in spans:
        assert span.year_from is not None and span.year_to is not None
        assert span.count == sum(n for year, n in years.items() if span.year_from <= year <= span.year_to)


def test_a_common_word_ranks_its_first_matches_and_still_counts_them_all(catalog: Catalog) -> None:
    everything = Search(catalog.db).search(SearchQuery(text="engine", page_size=100), now=NOW)
    early = Search(catalog.db, candidates=5).search(SearchQuery(text="engine", page_size=3), now=NOW)
    assert early.total == everything.total > 5  # the total is every match
    assert len(early.hits) == 3 and {h.item_id for h in early.hits} <= {h.item_id for h in everything.hits}
    walked = [h.item_id for h in early.hits]
    while early.next_cursor:
        early = Search(catalog.db, candidates=5).search(
            SearchQuery(text="engine", page_size=3, cursor=early.next_cursor), now=NOW
        )
        walked += [h.item_id for h in early.hits]
    assert len(walked) == len(set(walked)) == 5  # only the candidates are ranked and listed


def test_the_relevance_order_is_kept_across_pages(catalog: Catalog) -> None:
    search = Search(catalog.db)
    whole = [h.item_id for h in search.search(SearchQuery(text="engine", page_size=100), now=NOW).hits]
    forwards, backwards = walk(search, SearchQuery(text="engine", page_size=4))
    assert [i for page in forwards for i in page] == whole
    assert backwards == forwards[-2::-1]


def test_cached_counts_follow_every_change_and_the_clock(catalog: Catalog) -> None:
    search = Search(catalog.db)
    before = search.search(SearchQuery(), now=NOW).total
    assert search.search(SearchQuery(), now=NOW).total == before and search.summaries.computed == 1  # cached
    samples.add(catalog, samples.item("new", title="A new letter"))
    assert search.search(SearchQuery(), now=NOW).total == before + 1
    catalog.db.execute("UPDATE items SET visibility = 'restricted' WHERE id = 'new'")  # any writer, even raw SQL
    assert search.search(SearchQuery(), now=NOW).total == before
    later = "2031-01-01T00:00:00Z"  # the embargoes ending in 2030 have ended
    opened = catalog.db.query_one(f"SELECT COUNT(*) AS n FROM items i WHERE {PUBLIC}", (later,))
    assert opened is not None
    assert search.search(SearchQuery(), now=later).total == opened["n"] > before
    assert search.collection_counts(later) == {
        r["collection"]: r["n"]
        for r in catalog.db.query(
            f"SELECT i.collection, COUNT(*) AS n FROM items i WHERE {PUBLIC} GROUP BY 1", (later,)
        )
    }


def test_items_written_straight_into_the_catalog_are_queued_and_caught_up(catalog: Catalog) -> None:
    db = catalog.db
    assert pending(db) == 0  # ingest-like writes index at once
    db.execute(
        "INSERT INTO items (id, collection, content_key, title, page_count, created, datestamp)"
        " VALUES ('raw', 'letters', 'k-raw', 'Raw quagga letter', 1, ?, ?)",
        (NOW, NOW),
    )
    db.execute(
        "INSERT INTO metadata (item_id, dc_json, dc_xml, mods_xml, description) VALUES ('raw', '{}', '', '', 'x')"
    )
    assert pending(db) == 1
    search = Search(db)
    assert search.search(SearchQuery(text="quagga"), now=NOW).hits == []
    stop = follow(db, 0.1)  # as a server does, in the background
    try:
        deadline = time.monotonic() + 20
        while pending(db) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
    assert [h.item_id for h in search.search(SearchQuery(text="quagga"), now=NOW).hits] == ["raw"]
    db.execute("UPDATE metadata SET description = 'now about an okapi' WHERE item_id = 'raw'")
    assert catch_up(db) == 1
    assert [h.item_id for h in search.search(SearchQuery(text="okapi"), now=NOW).hits] == ["raw"]
    db.execute("DELETE FROM metadata WHERE item_id = 'raw'")
    db.execute("DELETE FROM items WHERE id = 'raw'")
    assert catch_up(db) == 1 and search.search(SearchQuery(text="okapi"), now=NOW).hits == []


@pytest.mark.parametrize("page_size, in_order", [(3, True), (20, False)])
def test_a_subject_read_in_page_order_or_by_subject_is_the_straightforward_listing(
    catalog: Catalog, page_size: int, in_order: bool
) -> None:
    """By date, a common subject (a short page among many of its items) is read in the page's
    order and sifted; a rare one by its own index: the same listing either way, forwards and back.
    (Title order reads the subject's own rows: the next test.)"""
    search = Search(catalog.db)
    for sort in (Sort.DATE_ASC, Sort.DATE_DESC):
        query = SearchQuery(filters={"subject": ("Engines",)}, sort=sort, page_size=page_size)
        assert search.reads_subject_in_order(query, sort, [], NOW) is in_order
        forwards, backwards = walk(search, query)
        where = "AND d.item_id IN (SELECT item_id FROM search_subjects WHERE subject = ?)"
        assert [i for page in forwards for i in page] == straightforward(catalog, sort, where, ("Engines",))
        assert backwards == forwards[-2::-1]


def test_a_subject_page_by_title_reads_only_its_own_rows_in_order(tmp_path) -> None:
    """The subject's rows keep the sort title, so its index gives the page in order: no sort of all
    the subject's items (SQLite's plan names no temporary B-tree), whatever the subject's size."""
    catalog = Catalog.open(f"sqlite:///{tmp_path / 'catalog.sqlite3'}")
    for n in range(30):
        samples.add(
            catalog, samples.item(f"i{n:02d}", title=f"Mill {n}"), samples.record(f"Mill {n}", subjects=("Engines",))
        )
    catch_up(catalog.db)
    search = Search(catalog.db)
    query = SearchQuery(filters={"subject": ("Engines",)}, sort=Sort.TITLE, page_size=5)
    assert search.reads_subject_by_title(query, Sort.TITLE, [])
    statements: list[str] = []
    with catalog.db._use() as conn:
        conn.set_trace_callback(statements.append)
        try:
            second = search.search(
                SearchQuery(**{**query.__dict__, "cursor": search.search(query, now=NOW).next_cursor}), now=NOW
            )
        finally:
            conn.set_trace_callback(None)
    in_title_order = catalog.db.query("SELECT item_id FROM search_docs ORDER BY sort_title, item_id")
    assert [h.item_id for h in second.hits] == [r["item_id"] for r in in_title_order][5:10]
    page = next(sql for sql in statements if "JOIN search_subjects s" in sql and "ORDER BY" in sql)
    plan = " | ".join(str(row["detail"]) for row in catalog.db.query("EXPLAIN QUERY PLAN " + page))
    assert "search_subjects_title" in plan and "TEMP B-TREE" not in plan, plan
    catalog.close()
