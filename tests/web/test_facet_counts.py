"""The counts that triggers keep (``search_counts``): browsing everything and the home page read
them, so after ingests, edits, visibility changes, withdrawals, purges, an embargo ending and a
rebuild of the index they must equal a straightforward count of the public items, on SQLite and
PostgreSQL; and they must be right inside the very transaction of a change."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from repo.catalog import Catalog
from repo.search import Search, SearchQuery, index_item, reindex_all, remove_item
from repo.search.search import FACET_LIMIT
from tests.presentation import samples
from tests.search import COUNTED

NOW = "2025-06-01T00:00:00Z"
LATER = "2031-01-01T00:00:00Z"  # the embargoes ending in 2030 have ended
PUBLIC = "i.status = 'active' AND (i.visibility = 'public' OR (i.visibility = 'embargoed' AND i.embargo_until <= ?))"


@pytest.fixture
def catalog(catalog_url: str) -> Iterator[Catalog]:
    opened = Catalog.open(catalog_url)
    for n in range(24):
        embargoed = n % 6 == 1
        samples.add(
            opened,
            samples.item(
                f"i{n:02d}",
                collection=("letters", "maps", "plates")[n % 3],
                title=f"Letter {n}",
                visibility="embargoed" if embargoed else "restricted" if n % 7 == 3 else "public",
                embargo_until=("2020-01-01T00:00:00Z" if n % 12 == 1 else "2030-01-01") if embargoed else None,
            ),
            samples.record(
                f"Letter {n}",
                subjects=(("Engines", "Wool trade"), ("Maps",), ())[n % 3],
                language=("en", "fr", None, "en")[n % 4],
                type=("Text", "Image", None)[n % 3],
                years=None if n % 5 == 0 else (1640 + 37 * n, 1640 + 37 * n),
            ),
        )
    yield opened
    opened.close()


def straightforward(catalog: Catalog, now: str) -> tuple[int, dict[str, Counter[str]], Counter[int]]:
    """The public indexed items counted by hand, row by row."""
    rows = catalog.db.query(
        f"SELECT d.* FROM search_docs d JOIN items i ON i.id = d.item_id WHERE {PUBLIC} ORDER BY d.item_id", (now,)
    )
    counts: dict[str, Counter[str]] = {name: Counter() for name in ("collection", "type", "language", "subject")}
    years: Counter[int] = Counter()
    for row in rows:
        for name in ("collection", "type", "language"):
            if row[name]:
                counts[name][row[name]] += 1
        for subject in filter(None, row["subjects"].split("\n")):
            counts["subject"][subject] += 1
        if row["date_start"] is not None:
            years[int(row["date_start"])] += 1
    return len(rows), counts, years


def assert_counts_are_straightforward(catalog: Catalog, now: str = NOW) -> None:
    total, expected, years = straightforward(catalog, now)
    results = Search(catalog.db, count_budget=COUNTED).search(SearchQuery(), now=now)  # a new Search: nothing cached
    assert results.total == total
    for name, values in expected.items():
        ranked = sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))[:FACET_LIMIT]
        assert [(v.value, v.count) for v in results.facets.get(name, [])] == ranked, name
    dates = results.facets.get("date", [])
    assert sum(v.count for v in dates) == sum(years.values())
    for span in dates:
        assert span.year_from is not None and span.year_to is not None
        assert span.count == sum(n for year, n in years.items() if span.year_from <= year <= span.year_to)
    assert Search(catalog.db, count_budget=COUNTED).collection_counts(now) == dict(expected["collection"])


def test_counts_follow_ingests_edits_visibility_withdrawals_and_the_clock(catalog: Catalog) -> None:
    assert_counts_are_straightforward(catalog)
    samples.add(catalog, samples.item("new", collection="atlases"), samples.record("New", subjects=("Maps", "Sea")))
    assert_counts_are_straightforward(catalog)
    # An edit: another record, as the lifecycle writes it and then reindexes.
    catalog.replace_metadata("i04", "Letter 4", samples.record("Letter 4", language="de", years=(1200, 1210)), 2, [])
    index_item(catalog.db, "i04")
    assert_counts_are_straightforward(catalog)
    catalog.set_status("i02", visibility="restricted")
    catalog.set_status("i03", visibility="public")
    catalog.set_status("i05", visibility="embargoed", embargo_until="2030-06-01")
    catalog.set_status("i06", status="withdrawn", reason="at the owner's request")
    assert_counts_are_straightforward(catalog)  # the index is not caught up: the triggers did it
    catalog.db.execute("UPDATE items SET visibility = 'restricted' WHERE id IN ('i08', 'i09')")  # any writer
    assert_counts_are_straightforward(catalog)
    catalog.purge_item("i10", "purged", NOW, [])
    remove_item(catalog.db, "i10")
    assert_counts_are_straightforward(catalog)
    assert_counts_are_straightforward(catalog, LATER)  # embargoes ended by the clock alone
    assert (
        Search(catalog.db, count_budget=COUNTED).search(SearchQuery(), now=LATER).total
        > Search(catalog.db, count_budget=COUNTED).search(SearchQuery(), now=NOW).total
    )


def test_a_rebuilt_index_counts_the_same(catalog: Catalog) -> None:
    catalog.set_status("i01", visibility="restricted")
    before = catalog.db.query("SELECT facet, value, opens, n FROM search_counts WHERE n > 0 ORDER BY 1, 2, 3")
    catalog.db.execute("UPDATE search_counts SET n = n + 5 WHERE facet = 'language'")  # counts gone wrong
    assert reindex_all(catalog.db) == 24
    assert catalog.db.query("SELECT facet, value, opens, n FROM search_counts WHERE n > 0 ORDER BY 1, 2, 3") == before
    assert_counts_are_straightforward(catalog)


def test_counts_change_in_the_transaction_of_the_change(catalog: Catalog) -> None:
    search = Search(catalog.db, count_budget=COUNTED)
    before = search.search(SearchQuery(), now=NOW).total
    try:
        with catalog.db.transaction():
            catalog.db.execute("UPDATE items SET visibility = 'restricted' WHERE id = 'i00'")
            assert Search(catalog.db, count_budget=COUNTED).search(SearchQuery(), now=NOW).total == before - 1
            raise RuntimeError("rolled back")
    except RuntimeError:
        pass
    assert (
        Search(catalog.db, count_budget=COUNTED).search(SearchQuery(), now=NOW).total == before
    )  # rolled back with it
    assert_counts_are_straightforward(catalog)


def test_kept_rankings_follow_every_change(catalog: Catalog) -> None:
    search = Search(catalog.db, count_budget=COUNTED)
    query = SearchQuery(text="letter", page_size=100)
    first = [h.item_id for h in search.search(query, now=NOW).hits]
    assert [h.item_id for h in search.search(query, now=NOW).hits] == first  # kept, the same
    catalog.db.execute("UPDATE items SET visibility = 'restricted' WHERE id = ?", (first[0],))
    assert first[0] not in [h.item_id for h in search.search(query, now=NOW).hits]
    samples.add(catalog, samples.item("fresh", title="A fresh letter"), samples.record("A fresh letter"))
    assert "fresh" in [h.item_id for h in search.search(query, now=NOW).hits]
    opened = [h.item_id for h in search.search(query, now=LATER).hits]  # the 2030 embargoes have ended
    assert len(opened) > len(first)
