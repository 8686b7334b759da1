"""Counts of a query off the request path (repo.search.summary): the first request of a query
waits for its counts at most the budget and says when they are not ready; after a change, the
counts of the earlier version are shown marked as such while they are recounted, for a bounded
time; once counted, they equal a straightforward count, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from app.errors import HANDLERS
from app.web.pages import public_pages
from repo.catalog import Catalog
from repo.search import Search, SearchQuery
from repo.search.summary import Freshness, SummaryCache
from repo.services import Services
from repo.settings import Settings
from tests.presentation import samples

NOW = "2025-06-01T00:00:00Z"
WORD = SearchQuery(text="letter")


@pytest.fixture
def catalog(catalog_url: str) -> Iterator[Catalog]:
    opened = Catalog.open(catalog_url)
    for n in range(12):
        samples.add(
            opened,
            samples.item(f"i{n:02d}", title=f"Letter {n}", visibility="restricted" if n % 5 == 3 else "public"),
            samples.record(f"Letter {n}", language=("en", "fr")[n % 2]),
        )
    yield opened
    opened.close()


def straightforward(catalog: Catalog) -> int:
    """The public items whose title holds the word, counted by hand."""
    rows = catalog.db.query("SELECT title, visibility, status FROM items")
    return sum(
        1 for r in rows if "letter" in r["title"].lower() and r["visibility"] == "public" and r["status"] == "active"
    )


def counted(search: Search, query: SearchQuery) -> None:
    """Wait until the background count of ``query`` is in the cache."""
    deadline = time.monotonic() + 30
    while search.search(query, now=NOW).counts is not Freshness.CURRENT:
        assert time.monotonic() < deadline, "the background count never landed"
        time.sleep(0.02)


def test_the_first_request_waits_at_most_the_budget_and_says_it_is_counting(catalog: Catalog) -> None:
    search = Search(catalog.db, count_budget=0.0)  # nothing is ready in no time: the honest answer shows
    began = time.perf_counter()
    first = search.search(WORD, now=NOW)
    assert time.perf_counter() - began < 1.0
    assert first.counts is Freshness.COUNTING and first.counting
    assert first.total == -1 and first.facets == {}
    assert len(first.hits) == straightforward(catalog)  # the page of hits is there all the same
    counted(search, WORD)
    ready = search.search(WORD, now=NOW)
    assert ready.total == straightforward(catalog)
    by_language = catalog.db.query(
        "SELECT m.language AS value, COUNT(*) AS n FROM items i JOIN metadata m ON m.item_id = i.id"
        " WHERE i.visibility = 'public' AND i.status = 'active' GROUP BY m.language"
    )
    assert {v.value: v.count for v in ready.facets["language"]} == {r["value"]: r["n"] for r in by_language}


def test_while_a_long_count_runs_the_requests_after_the_first_are_told_at_once() -> None:
    """Each worker counts a common word of a large catalog once, for seconds: only the first request
    waits the budget; the others are told "counting" at once, not kept waiting the budget each."""
    cache: SummaryCache = SummaryCache()
    release = threading.Event()

    def slow_count() -> int:
        release.wait(30)
        return 7

    began = time.monotonic()
    assert cache.within("word", 1, slow_count, budget=1.0, stale_seconds=0) == (None, Freshness.COUNTING)
    assert time.monotonic() - began >= 1.0
    again = time.monotonic()
    assert cache.within("word", 1, slow_count, budget=1.0, stale_seconds=0) == (None, Freshness.COUNTING)
    assert time.monotonic() - again < 0.5
    release.set()
    deadline = time.monotonic() + 30
    while (found := cache.within("word", 1, slow_count, budget=1.0, stale_seconds=0))[1] is not Freshness.CURRENT:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert found == (7, Freshness.CURRENT)


def test_after_an_ingest_the_earlier_counts_are_shown_marked_then_refreshed(catalog: Catalog) -> None:
    search = Search(catalog.db, count_budget=0.0, stale_seconds=60)
    search.search(WORD, now=NOW)
    counted(search, WORD)
    before = search.search(WORD, now=NOW).total
    samples.add(catalog, samples.item("new", title="Letter new"), samples.record("Letter new"))
    stale = search.search(WORD, now=NOW)
    assert stale.counts is Freshness.STALE and stale.total == before  # the earlier figure, said to be so
    counted(search, WORD)
    fresh = search.search(WORD, now=NOW)
    assert fresh.total == before + 1 == straightforward(catalog)


def test_counts_older_than_the_bound_are_not_shown(catalog: Catalog) -> None:
    search = Search(catalog.db, count_budget=0.0, stale_seconds=0.0)
    search.search(WORD, now=NOW)
    counted(search, WORD)
    samples.add(catalog, samples.item("new", title="Letter new"), samples.record("Letter new"))
    after = search.search(WORD, now=NOW)
    assert after.counts in (Freshness.COUNTING, Freshness.CURRENT)  # never the old figure
    if after.counts is Freshness.COUNTING:
        assert after.total == -1
    counted(search, WORD)
    assert search.search(WORD, now=NOW).total == straightforward(catalog)


def test_with_a_budget_a_small_catalog_is_counted_on_the_first_request(catalog: Catalog) -> None:
    first = Search(catalog.db).search(WORD, now=NOW)  # the default budget
    assert first.counts is Freshness.CURRENT and first.total == straightforward(catalog)


def test_the_search_page_says_it_is_counting_and_then_shows_the_count(tmp_path: Path, catalog_url: str) -> None:
    services = Services.open(
        Settings(data_dir=tmp_path, database_url=catalog_url, base_url="http://testserver", search_count_budget_ms=0)
    )
    try:
        for n in range(3):
            samples.add(services.catalog, samples.item(f"p{n}", title=f"Letter {n}"), samples.record(f"Letter {n}"))
        app = Starlette(routes=public_pages(services), exception_handlers=HANDLERS)
        with TestClient(app) as client:
            first = client.get("/search", params={"q": "letter"})
            assert first.status_code == 200
            assert "Counting items…" in first.text and "Letter 0" in first.text  # the hits, usable
            deadline = time.monotonic() + 30
            while "3 items" not in (page := client.get("/search", params={"q": "letter"})).text:
                assert time.monotonic() < deadline, page.text
                time.sleep(0.02)
            assert "Counting items…" not in page.text
    finally:
        services.close()
