"""Search and facets on SQLite (FTS5) and PostgreSQL (tsvector): the same answers from both."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from repo.catalog import Catalog
from repo.search import Search, SearchQuery, Sort, ensure_indexed, index_item, reindex_all, remove_item
from tests.presentation import samples
from tests.search import COUNTED

NOW = "2025-06-01T00:00:00Z"


@pytest.fixture
def catalog(catalog_url: str) -> Iterator[Catalog]:
    opened = Catalog.open(catalog_url)
    opened.ensure_collection("letters", "Letters")
    opened.ensure_collection("maps", "Maps and Plans")
    add = samples.add
    add(
        opened,
        samples.item("ada", title="Letter to Ada", created="2024-01-03T00:00:00Z"),
        samples.record("Letter to Ada", description="A letter about the analytical engine."),
    )
    add(
        opened,
        samples.item("mill", title="The mill accounts", created="2024-01-02T00:00:00Z"),
        samples.record(
            "The mill accounts",
            creators=("Dvořák, Antonín",),
            subjects=("Wool trade", "Mathematics"),
            description="Prices of wool and hiring of hands.",
            years=(1790, 1799),
            date="1790s",
            full_text="mill accounts wool ledger quillpen",
        ),
    )
    add(
        opened,
        samples.item("map", collection="maps", title="A map of the parish", created="2024-01-01T00:00:00Z"),
        samples.record(
            "A map of the parish",
            type="Image",
            language="fr",
            subjects=("Parishes",),
            description="Common fields and lanes.",
            years=(1650, 1650),
            date="1650",
        ),
    )
    add(
        opened,
        samples.item("undated", title="Zebra sketches", created="2024-01-04T00:00:00Z"),
        samples.record(
            "Zebra sketches", type="Image", years=None, date=None, description="Sketches.", subjects=("Zebras",)
        ),
    )
    add(
        opened,
        samples.item("secret", title="Restricted engine letter", visibility="restricted"),
        samples.record("Restricted engine letter", description="analytical engine secrets"),
    )
    add(
        opened,
        samples.item("gone", title="Withdrawn engine letter", status="withdrawn"),
        samples.record("Withdrawn engine letter", description="analytical engine"),
    )
    add(
        opened,
        samples.item(
            "later", title="Embargoed engine letter", visibility="embargoed", embargo_until="2030-01-01T00:00:00Z"
        ),
        samples.record("Embargoed engine letter", description="analytical engine"),
    )
    add(
        opened,
        samples.item(
            "past",
            title="Released engine letter",
            visibility="embargoed",
            embargo_until="2020-01-01T00:00:00Z",
            created="2024-01-05T00:00:00Z",
        ),
        samples.record("Released engine letter", description="about the engine room", subjects=("Engines",)),
    )
    yield opened
    opened.close()


def ids(catalog: Catalog, **query: object) -> list[str]:
    results = Search(catalog.db, count_budget=COUNTED).search(SearchQuery(**query), now=NOW)  # type: ignore[arg-type]
    return [hit.item_id for hit in results.hits]


def test_words_are_found_in_every_indexed_field(catalog: Catalog) -> None:
    assert set(ids(catalog, text="analytical")) == {"ada"}  # description; hidden items never show
    assert ids(catalog, text="parish") == ["map"]  # title
    assert ids(catalog, text="dvorak") == ["mill"]  # creator, diacritics folded
    assert ids(catalog, text="Wool trade") == ["mill"]  # subject, every word
    assert ids(catalog, text="quillpen") == ["mill"]  # only in the full MODS text
    assert ids(catalog, text="analyt") == ["ada"]  # a prefix of three letters or more
    assert set(ids(catalog, text="engine letter")) == {"ada", "past"}  # every word, in any field


@pytest.mark.parametrize("odd", ['"', "AND OR NOT", "title:x", "a*b", "(((", "-", "NEAR(a b)", "x' OR 1=1 --"])
def test_query_syntax_is_never_interpreted(catalog: Catalog, odd: str) -> None:
    Search(catalog.db, count_budget=COUNTED).search(SearchQuery(text=odd), now=NOW)  # no error is the test


def test_only_visible_items_are_listed_and_the_sql_agrees_with_is_public(catalog: Catalog) -> None:
    listed = set(ids(catalog, page_size=100))
    assert listed == {"ada", "mill", "map", "undated", "past"}
    for row in catalog.db.query("SELECT id FROM items"):
        item = catalog.require_item(row["id"])
        assert item.is_public(NOW) == (item.id in listed), item.id


def test_facets_count_the_current_results(catalog: Catalog) -> None:
    facets = Search(catalog.db, count_budget=COUNTED).search(SearchQuery(), now=NOW).facets
    assert {(v.value, v.count, v.text) for v in facets["collection"]} == {
        ("letters", 4, "Letters"),
        ("maps", 1, "Maps and Plans"),
    }
    assert {(v.value, v.count) for v in facets["type"]} == {("Text", 3), ("Image", 2)}
    assert {(v.value, v.count, v.text) for v in facets["language"]} == {("en", 4, "English"), ("fr", 1, "French")}
    subjects = {v.value: v.count for v in facets["subject"]}
    assert subjects["Mathematics"] == 2 and subjects["Parishes"] == 1
    dates = facets["date"]  # 1650..1843 spans less than two centuries: buckets are decades
    assert [(v.text, v.count, v.year_from, v.year_to) for v in dates] == [
        ("1650s", 1, 1650, 1659),
        ("1790s", 1, 1790, 1799),
        ("1840s", 2, 1840, 1849),
    ]
    samples.add(catalog, samples.item("old", title="Old charter"), samples.record("Old charter", years=(1450, 1450)))
    centuries = Search(catalog.db, count_budget=COUNTED).search(SearchQuery(), now=NOW).facets["date"]
    assert [(v.text, v.count) for v in centuries] == [
        ("1400–1499", 1),
        ("1600–1699", 1),
        ("1700–1799", 1),
        ("1800–1899", 2),
    ]


def test_filters_narrow(catalog: Catalog) -> None:
    assert ids(catalog, filters={"subject": ("Mathematics",)}, sort=Sort.TITLE) == ["ada", "mill"]
    assert ids(catalog, filters={"subject": ("Mathematics", "Wool trade")}) == ["mill"]
    assert ids(catalog, filters={"collection": ("maps",)}) == ["map"]
    assert ids(catalog, filters={"type": ("Image",)}, sort=Sort.TITLE) == ["map", "undated"]
    assert ids(catalog, filters={"language": ("fr",)}) == ["map"]
    assert ids(catalog, text="letter", filters={"type": ("Image",)}) == []
    facets = Search(catalog.db, count_budget=COUNTED).search(SearchQuery(filters={"type": ("Image",)}), now=NOW).facets
    assert {v.value for v in facets["type"]} == {"Image"}


def test_date_ranges_select_overlapping_items(catalog: Catalog) -> None:
    assert ids(catalog, year_from=1795, year_to=1800) == ["mill"]  # 1790-1799 overlaps
    assert ids(catalog, year_from=1800, sort=Sort.TITLE) == ["ada", "past"]
    assert ids(catalog, year_to=1700) == ["map"]


def test_sorting(catalog: Catalog) -> None:
    # Leading articles and case are ignored in title order; undated items come last by date.
    assert ids(catalog, sort=Sort.TITLE) == ["ada", "map", "mill", "past", "undated"]
    assert ids(catalog, sort=Sort.DATE_ASC)[:3] == ["map", "mill", "ada"]
    assert ids(catalog, sort=Sort.DATE_ASC)[-1] == "undated"
    assert ids(catalog, sort=Sort.DATE_DESC)[-2:] == ["map", "undated"]
    assert ids(catalog, sort=Sort.NEWEST) == ["past", "undated", "ada", "mill", "map"]


def test_relevance_puts_title_matches_first(catalog: Catalog) -> None:
    catalog.ensure_collection("letters")
    samples.add(catalog, samples.item("wool", title="Wool"), samples.record("Wool", description="On sheep."))
    found = ids(catalog, text="wool")
    assert found[0] == "wool" and set(found) == {"wool", "mill"}


def test_pages_of_results(catalog: Catalog) -> None:
    search = Search(catalog.db, count_budget=COUNTED)
    first = search.search(SearchQuery(page_size=2, sort=Sort.TITLE), now=NOW)
    third = search.search(SearchQuery(page_size=2, page=3, sort=Sort.TITLE), now=NOW)
    assert first.total == 5 and first.pages == 3
    assert [h.item_id for h in first.hits] == ["ada", "map"] and [h.item_id for h in third.hits] == ["undated"]


def test_the_index_follows_the_catalog(catalog: Catalog) -> None:
    new = samples.record("Letter to Ada", description="On bernoulli numbers.")
    catalog.replace_metadata("ada", "Letter to Ada", new, 2, [])
    assert ids(catalog, text="bernoulli") == []
    index_item(catalog.db, "ada")
    assert ids(catalog, text="bernoulli") == ["ada"] and ids(catalog, text="analytical") == []
    remove_item(catalog.db, "ada")
    assert "ada" not in ids(catalog, page_size=100)
    assert reindex_all(catalog.db) == 8
    assert ids(catalog, text="bernoulli") == ["ada"]


def test_items_registered_before_search_existed_are_indexed_at_start(catalog: Catalog) -> None:
    it = samples.item("late", title="Late arrival")
    catalog.register_item(it, samples.pages("late", 1), samples.record("Late arrival"), [])
    assert ids(catalog, text="arrival") == []
    ensure_indexed(catalog.db)
    assert ids(catalog, text="arrival") == ["late"]


def test_collection_counts_are_of_public_items(catalog: Catalog) -> None:
    assert Search(catalog.db, count_budget=COUNTED).collection_counts(NOW) == {"letters": 4, "maps": 1}


def test_workers_starting_together_index_once_without_errors(catalog_url: str) -> None:
    first = Catalog.open(catalog_url)
    first.ensure_collection("letters")
    for n in range(20):
        it = samples.item(f"w{n}", title=f"Ledger {n}")
        first.register_item(it, samples.pages(it.id, 1), samples.record(it.title), [])  # not indexed
    errors: list[BaseException] = []

    def start_worker() -> None:
        catalog = Catalog.open(catalog_url)  # each worker its own connection, as uvicorn's processes have
        try:
            ensure_indexed(catalog.db)
        except BaseException as exc:
            errors.append(exc)
        finally:
            catalog.close()

    threads = [threading.Thread(target=start_worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(ids(first, text="ledger", page_size=100)) == 20
    first.close()
