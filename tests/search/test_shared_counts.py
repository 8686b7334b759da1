"""On PostgreSQL a query's total and facet counts are counted by one process and read by every
other (the web workers of one machine or of many); on SQLite each process counts."""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from collections.abc import Iterator

import pytest

from repo.catalog import Catalog
from repo.catalog.search_summaries import KEPT_SECONDS, shared_counts
from repo.catalog.version import catalog_version
from repo.search import Search, SearchQuery, catch_up
from tests.presentation import samples
from tests.servers.postgres import PostgresServer

NOW = "2025-06-01T00:00:00Z"
AS_TEXT = (str, str)  # counts that are text already: kept and read as they are


@pytest.fixture
def catalog(catalog_url: str) -> Iterator[Catalog]:
    yield from _catalog(catalog_url)


@pytest.fixture
def pg_url(postgres: PostgresServer) -> str:
    return postgres.create_database(f"t_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def pg_catalog(pg_url: str) -> Iterator[Catalog]:
    yield from _catalog(pg_url)


def _catalog(url: str) -> Iterator[Catalog]:
    opened = Catalog.open(url)
    for n in range(12):
        samples.add(
            opened,
            samples.item(f"i{n:02d}", title=f"Mill {n}"),
            samples.record(f"Mill {n}", subjects=("Engines",), language="fr" if n % 3 else "en"),
        )
    catch_up(opened.db)
    yield opened
    opened.close()


def test_a_second_worker_shows_the_counts_the_first_counted(pg_catalog: Catalog, pg_url: str) -> None:
    catalog, query = pg_catalog, SearchQuery(text="mill")
    first = Search(catalog.db).search(query, now=NOW)
    assert first.total == 12 and {v.value: v.count for v in first.facets["language"]} == {"fr": 8, "en": 4}
    # What the first worker kept, altered where nothing else could make it so: the second worker
    # (its own connections, its own memory) shows it rather than counting again.
    row = catalog.db.query_one("SELECT counts FROM search_summaries")
    assert row is not None
    total, facets = json.loads(row["counts"])
    facets["language"][0][1] = 999
    with catalog.db.transaction():
        catalog.db.execute("UPDATE search_summaries SET counts = ?", (json.dumps([total, facets]),))
    other = Catalog.open(pg_url)
    try:
        second = Search(other.db).search(query, now=NOW)
    finally:
        other.close()
    assert second.total == 12 and second.facets["language"][0].count == 999
    assert second.facets == {**first.facets, "language": second.facets["language"]}


def test_a_change_to_the_catalog_is_counted_again(catalog: Catalog) -> None:
    query = SearchQuery(text="mill", filters={"language": ("fr",)})
    assert Search(catalog.db).search(query, now=NOW).total == 8
    samples.add(catalog, samples.item("i99", title="Mill 99"), samples.record("Mill 99", language="fr"))
    catch_up(catalog.db)
    assert Search(catalog.db).search(query, now=NOW).total == 9
    if catalog.db.dialect == "postgresql":  # the newer counts replaced the older
        assert [r["n"] for r in catalog.db.query("SELECT COUNT(*) AS n FROM search_summaries")] == [1]


def test_workers_asking_at_once_count_once(pg_catalog: Catalog, pg_url: str) -> None:
    catalog = pg_catalog
    version = catalog_version(catalog.db, NOW)
    counted: list[str] = []
    results: list[str] = []

    def count() -> str:
        counted.append(threading.current_thread().name)
        time.sleep(0.5)  # long enough for the other worker to ask meanwhile
        return '"counts"'

    def worker() -> None:
        own = Catalog.open(pg_url)  # a process of its own would have its own connections too
        try:
            results.append(shared_counts(own.db, "the same query", version, count, *AS_TEXT))
        finally:
            own.close()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ['"counts"'] * 3 and len(counted) == 1


def test_a_query_of_many_words_is_counted_and_kept(pg_catalog: Catalog) -> None:
    # About 9 KB that do not compress: more than an index entry holds.
    words = " ".join(hashlib.sha256(str(n).encode()).hexdigest()[:12] for n in range(700))
    version = catalog_version(pg_catalog.db, NOW)
    assert shared_counts(pg_catalog.db, words, version, lambda: "3", *AS_TEXT) == "3"
    assert shared_counts(pg_catalog.db, words, version, lambda: "not asked", *AS_TEXT) == "3"


def test_counts_not_made_for_a_day_are_removed_as_others_are_kept(pg_catalog: Catalog) -> None:
    catalog = pg_catalog
    version = catalog_version(catalog.db, NOW)
    shared_counts(catalog.db, "old", version, lambda: "1", *AS_TEXT)
    with catalog.db.transaction():
        catalog.db.execute("UPDATE search_summaries SET computed = ?", (time.time() - KEPT_SECONDS - 60,))
    shared_counts(catalog.db, "new", version, lambda: "2", *AS_TEXT)
    assert [r["counts"] for r in catalog.db.query("SELECT counts FROM search_summaries")] == ["2"]
