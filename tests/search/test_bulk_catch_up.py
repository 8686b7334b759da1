"""The search index caught up from a queue as large as the index (a seeded or rebuilt catalog): on
SQLite in bulk, its secondary indexes dropped and made again in one transaction, on PostgreSQL in
batches written from arrays. The same index as item by item on both, every index made again as
it was, and a process killed half-way through the bulk leaves the old index and its queue."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from repo.catalog import Catalog, Database
from repo.search import Search, SearchQuery, catch_up, index_item, pending
from repo.search.query import Sort
from tests.presentation import samples

NOW = "2025-06-01T00:00:00Z"
ROOT = Path(__file__).resolve().parents[2]
QUERIES = [
    SearchQuery(text="engine"),
    SearchQuery(text="wool ledger", sort=Sort.TITLE),
    SearchQuery(text="dvorak"),
    SearchQuery(filters={"subject": ("Wool trade",)}),
    SearchQuery(filters={"language": ("fr",)}, sort=Sort.DATE_ASC),
    SearchQuery(sort=Sort.NEWEST),
]


def register(catalog: Catalog, first: int, last: int) -> None:
    """Items ``first`` to ``last - 1`` in the catalog's tables, queued for the index, not indexed."""
    catalog.ensure_collection("letters", "Letters")
    catalog.ensure_collection("maps", "Maps")
    for n in range(first, last):
        visibility = "restricted" if n % 7 == 3 else "embargoed" if n % 7 == 5 else "public"
        it = samples.item(
            f"b{n:03d}",
            collection="maps" if n % 3 == 0 else "letters",
            title=f"{'The mill' if n % 2 else 'An engine'} record no. {n}",
            created=f"2024-01-{1 + n % 28:02d}T00:00:00Z",
            visibility=visibility,
            embargo_until="2030-01-01T00:00:00Z" if n % 14 == 5 else "2020-01-01T00:00:00Z" if n % 7 == 5 else None,
            status="withdrawn" if n % 11 == 4 else "active",
        )
        meta = samples.record(
            it.title,
            creators=("Dvořák, Antonín",) if n % 4 == 0 else ("Babbage, Charles",),
            subjects=("Wool trade", f"Parish {n % 5}") if n % 2 else ("Mathematics",),
            language="fr" if n % 5 == 0 else "en",
            years=(1600 + 7 * n, 1610 + 7 * n),
            date=str(1600 + 7 * n),
            full_text=f"wool ledger page {n}" if n % 3 else "analytical engine notes",
        )
        catalog.register_item(it, samples.pages(it.id, 1), meta, [])


def index_state(db: Database) -> dict[str, Any]:
    """What a reader can see of the index: rows, counts, index definitions and search answers."""
    search = Search(db, count_budget=60.0)  # the counts themselves, never "still counting"
    if db.dialect == "sqlite":
        definitions = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND substr(tbl_name, 1, 7) = 'search_'"
    else:
        definitions = (
            "SELECT indexname AS name, indexdef AS sql FROM pg_indexes WHERE substr(tablename, 1, 7) = 'search_'"
        )
    return {
        "docs": db.query(
            "SELECT item_id, collection, title, sort_title, creators, subjects, description, type, language,"
            " date, date_start, date_end, opens FROM search_docs ORDER BY item_id"
        ),
        "subjects": db.query("SELECT item_id, subject, opens FROM search_subjects ORDER BY item_id, subject"),
        "counts": db.query(
            "SELECT facet, value, opens, n FROM search_counts WHERE n <> 0 ORDER BY facet, value, opens"
        ),
        "indexes": sorted((r["name"], r["sql"]) for r in db.query(definitions)),
        "answers": [
            (
                [hit.item_id for hit in found.hits],
                found.total,
                {name: [(v.value, v.count) for v in values] for name, values in found.facets.items()},
            )
            for found in (search.search(q, now=NOW) for q in QUERIES)
        ],
    }


def test_catching_up_a_large_queue_makes_the_index_that_item_by_item_indexing_makes(
    catalog_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    catalog = Catalog.open(catalog_url)
    try:
        definitions = index_state(catalog.db)["indexes"]
        register(catalog, 0, 40)
        with caplog.at_level(logging.INFO, logger="muniment.search"):
            assert catch_up(catalog.db, batch=7, bulk_from=10) == 40
        assert ("caught up in bulk: 40 items" in caplog.text) == (catalog.db.dialect == "sqlite")
        bulk = index_state(catalog.db)
        assert bulk["indexes"] == definitions  # every index made again, as it was
        assert bulk["answers"][0][0] and bulk["counts"]  # the comparison below compares something
        for n in range(40):
            index_item(catalog.db, f"b{n:03d}")
        assert index_state(catalog.db) == bulk
    finally:
        catalog.close()


def test_a_queue_smaller_than_the_index_is_caught_up_in_batches(
    catalog_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    catalog = Catalog.open(catalog_url)
    try:
        register(catalog, 0, 30)
        catch_up(catalog.db, batch=7, bulk_from=10)
        register(catalog, 30, 45)  # 15 queued against 30 indexed
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="muniment.search"):
            assert catch_up(catalog.db, batch=7, bulk_from=10) == 15
        assert "caught up: 15 items" in caplog.text and "in bulk" not in caplog.text
        assert pending(catalog.db) == 0
    finally:
        catalog.close()


# Catches the index up in bulk and dies (no exception, no rollback by Python) as the second batch
# is written: after the indexes were dropped and a batch was written, before the commit.
_DIES_HALF_WAY = """
import os, sys
import repo.search.indexer as indexer
from repo.catalog import Catalog
real, calls = indexer.write_documents, []
def write_then_die(*args, **kwargs):
    calls.append(1)
    if len(calls) == 2:
        os._exit(9)
    real(*args, **kwargs)
indexer.write_documents = write_then_die
indexer.catch_up(Catalog.open(sys.argv[1]).db, batch=5, bulk_from=10)
"""


def test_a_process_killed_during_a_bulk_catch_up_leaves_the_old_index_and_its_queue(tmp_path: Path) -> None:
    catalog_url = f"sqlite:///{tmp_path / 'catalog.sqlite3'}"  # PostgreSQL catches up in batches
    catalog = Catalog.open(catalog_url)
    try:
        register(catalog, 0, 12)
        catch_up(catalog.db)
        before = index_state(catalog.db)
        register(catalog, 12, 40)  # 28 queued against 12 indexed: in bulk
        died = subprocess.run(
            [sys.executable, "-c", _DIES_HALF_WAY, catalog_url],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert died.returncode == 9, died.stderr
        assert index_state(catalog.db) == before  # the old index, every index of it in place
        assert pending(catalog.db) == 28
        assert catch_up(catalog.db, bulk_from=10) == 28
        whole = index_state(catalog.db)
        assert whole["indexes"] == before["indexes"]
        assert len(whole["docs"]) == 40
    finally:
        catalog.close()
