"""Running a search: full-text match, facet filters, only public items, facet counts, one page of hits.

A page of hits is read by key (``repo.catalog.keyset``): from an index in the chosen order, up to
the page's last row, so a deep page costs what the first does. A word search ranked by relevance
ranks only its first ``candidates`` matches that pass the filters, found in index order, so a word
in every record stops early instead of scoring them all; with fewer matches the ranking is exact.
The ranked candidates are kept per catalog version, and its pages are cut from them.

With neither words nor filters (browsing everything), the total and the facet counts are read
from the counts the triggers keep (``repo.catalog.search_counts``); a query with words or filters
counts every item it matches (not only the ranked candidates), once per catalog version
(``repo.search.summary``), in the background: a request waits for it at most ``count_budget``
seconds, then shows the counts of an earlier version recounted at most ``stale_seconds`` ago,
marked as such, or says it is still counting (``SearchResults.counts``). The statements are in
``repo.catalog.search_rows``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from functools import partial
from typing import Any

from repo.catalog import Database, utc_now
from repo.catalog.full_text import full_text_for
from repo.catalog.index_words import terms
from repo.catalog.keyset import Cursor, KeysetPage, Order, page_of
from repo.catalog.search_counts import public_counts, public_total, public_value_count
from repo.catalog.search_rows import (
    HIT_ORDERS,
    Selection,
    candidate_rows,
    collection_titles,
    hit_page_rows,
    hit_rows,
    match_count,
    match_counts,
    public_selection,
    subject_title_page_rows,
)
from repo.catalog.search_summaries import shared_counts
from repo.catalog.version import catalog_version
from repo.metadata.languages import language_name
from repo.search.query import FACETS, FacetValue, Hit, SearchQuery, SearchResults, Sort
from repo.search.summary import Freshness, SummaryCache

FACET_LIMIT = 20
DEFAULT_CANDIDATES = 1000
# A request waits this long for counts not yet made for the catalog's version: a cold count of a
# common word over a million items takes seconds, and the page of hits is ready long before.
DEFAULT_COUNT_BUDGET = 0.05  # as repo.settings.Settings.search_count_budget_ms: under the 100 ms a page may take
# Counts of an earlier version are shown (marked) while recounted for at most this long after a
# request first found them out of date: a recount of the commonest word at 1,000,000 items fits.
DEFAULT_STALE_SECONDS = 60.0
RANKINGS_KEPT = 64  # word searches whose ranked candidates are kept (a thousand rows each)
ORDERS: dict[Sort, Order] = {sort: HIT_ORDERS[sort.value] for sort in Sort}
_EVERYTHING = SearchQuery().summary_key  # no words, no filters
# The date orders search_docs has an index for (repo.catalog.schema): a page of a subject can be
# read in them (reads_subject_in_order). Title order reads the subject's own rows instead.
_ORDERS_BY_INDEX = (Sort.DATE_ASC, Sort.DATE_DESC)


class Search:
    def __init__(
        self,
        db: Database,
        *,
        candidates: int = DEFAULT_CANDIDATES,
        summaries: SummaryCache | None = None,
        count_budget: float = DEFAULT_COUNT_BUDGET,
        stale_seconds: float = DEFAULT_STALE_SECONDS,
    ) -> None:
        self.db = db
        self.count_budget = count_budget
        self.stale_seconds = stale_seconds
        self.fts = full_text_for(db)
        self.candidates = candidates
        self.summaries = summaries or SummaryCache()
        self.rankings = SummaryCache(RANKINGS_KEPT)

    def _filters(self, query: SearchQuery, now: str, *, subjects_as_filter: bool = False) -> Selection:
        """The public items that pass the query's filters (words aside)."""
        return public_selection(
            now, query.filters, query.year_from, query.year_to, subjects_as_filter=subjects_as_filter
        )

    def _matching(self, query: SearchQuery, now: str, *, subjects_as_filter: bool = False) -> Selection:
        """Every item the query selects, words included (for totals and facets)."""
        selection = self._filters(query, now, subjects_as_filter=subjects_as_filter)
        words = terms(query.text)
        return selection.matching(self.fts.match(words)) if words else selection

    def search(
        self, query: SearchQuery, now: str | None = None, *, facets: bool = True, total: bool = True
    ) -> SearchResults:
        """A page of hits, the total (unless ``total`` is False: then -1) and the facets (unless not wanted)."""
        now = now or utc_now()
        words = terms(query.text)
        sort = query.effective_sort
        if sort is Sort.RELEVANCE and not words:  # words that were all punctuation
            sort = Sort.TITLE
        page = self._page(query, sort, words, now)
        hits = [
            Hit(
                item_id=r["item_id"],
                title=r["title"],
                collection=r["collection"],
                creators=tuple(n for n in r["creators"].split("\n") if n),
                description=r["description"],
                type=r["type"],
                date=r["date"],
            )
            for r in page.rows
        ]
        count, facet_values, freshness = -1, dict[str, list[FacetValue]](), Freshness.CURRENT
        if total or facets:
            count, facet_values, freshness = self._summary(query, now, facets)
        return SearchResults(
            query,
            count,
            hits,
            facet_values,
            position=page.position,
            next_cursor=page.next.encode() if page.next else None,
            previous_cursor=page.previous.encode() if page.previous else None,
            counts=freshness,
        )

    # -- a page of hits ---------------------------------------------------------------------------

    def _page(self, query: SearchQuery, sort: Sort, words: list[str], now: str) -> KeysetPage:
        order = ORDERS[sort]
        cursor = Cursor.decode(query.cursor, len(order)) if query.cursor else None
        offset = 0 if cursor is not None else (query.page - 1) * query.page_size
        if words and sort is Sort.RELEVANCE:
            ranked = self._ranked(query, words, now)
            if cursor is not None:
                key = tuple(cursor.key)
                ranked = [r for r in reversed(ranked) if r < key] if cursor.before else [r for r in ranked if r > key]
            rows = self._hit_rows(ranked[offset : offset + query.page_size + 1])
        elif self.reads_subject_by_title(query, sort, words):
            rows = subject_title_page_rows(
                self.db,
                query.filters["subject"][0],
                now,
                after=cursor.key if cursor is not None else None,
                before=cursor is not None and cursor.before,
                limit=query.page_size + 1,
                offset=offset,
            )
        else:
            rows = hit_page_rows(
                self.db,
                self._matching(query, now, subjects_as_filter=self.reads_subject_in_order(query, sort, words, now)),
                order,
                after=cursor.key if cursor is not None else None,
                before=cursor is not None and cursor.before,
                limit=query.page_size + 1,
                offset=offset,
            )
        width = len(order)
        return page_of(rows, lambda r: tuple(r[f"k{n}"] for n in range(width)), cursor, query.page_size, start=offset)

    @staticmethod
    def _one_subject_only(query: SearchQuery, words: list[str]) -> bool:
        """A browse of one subject: no words, no other filter, no span of years."""
        return (
            not words
            and set(query.filters) == {"subject"}
            and len(query.filters["subject"]) == 1
            and query.year_from is None
            and query.year_to is None
        )

    def reads_subject_by_title(self, query: SearchQuery, sort: Sort, words: list[str]) -> bool:
        """Whether a page of one subject's items in title order is read from the subject's own
        rows, which hold the sort title: k rows for a page of k, however common the subject."""
        return sort is Sort.TITLE and self._one_subject_only(query, words)

    def reads_subject_in_order(self, query: SearchQuery, sort: Sort, words: list[str], now: str) -> bool:
        """Whether a page of one subject's items by date is read in the page's order, keeping the
        rows of the subject, rather than all the subject's items read and sorted. A subject of n
        public items among N finds a page of k after about k * N / n rows in order, against n by
        subject: at 1,000,000 items a subject of 30,000 reads ~700 rows, not 30,000 (25 ms to 3 ms)."""
        if sort not in _ORDERS_BY_INDEX or not self._one_subject_only(query, words):
            return False
        items = public_value_count(self.db, "subject", query.filters["subject"][0], now)
        return items * items > (query.page_size + 1) * public_total(self.db, now)

    def _ranked(self, query: SearchQuery, words: list[str], now: str) -> list[tuple[float, str, str]]:
        """(relevance, sort title, item id) of the first ``candidates`` matches that pass the
        filters, in relevance order: ranked once per catalog version and kept, since ranking
        reads every match (SQLite's bm25 counts the documents holding each word)."""

        def compute() -> list[tuple[float, str, str]]:
            rows = candidate_rows(self.db, self._filters(query, now), self.fts.match(words), self.candidates)
            return sorted((float(r["relevance"]), str(r["sort_title"]), str(r["item_id"])) for r in rows)

        return self.rankings.get(("ranked", query.summary_key), catalog_version(self.db, now), compute)

    def _hit_rows(self, ranked: list[tuple[float, str, str]]) -> list[dict[str, Any]]:
        """The rows of a page of ranked hits, in their order, with their keys."""
        found = hit_rows(self.db, [item_id for _, _, item_id in ranked])
        return [
            {**found[item_id], "k0": relevance, "k1": sort_title, "k2": item_id}
            for relevance, sort_title, item_id in ranked
            if item_id in found
        ]

    # -- totals and facets --------------------------------------------------------------------------

    def _summary(
        self, query: SearchQuery, now: str, facets: bool
    ) -> tuple[int, dict[str, list[FacetValue]], Freshness]:
        """The total and facets, and whether they are of the catalog's version (see the module's text)."""
        key, version = ("search", query.summary_key, facets), catalog_version(self.db, now)
        if query.summary_key == _EVERYTHING:  # every public item: the counts the triggers keep, read at once
            count, values = self.summaries.get(key, version, partial(self._everything, now, facets))
            return count, values, Freshness.CURRENT

        def counted() -> tuple[int, dict[str, list[FacetValue]]]:
            selection = self._matching(query, now)
            if not facets:
                return match_count(self.db, selection), {}
            counts = match_counts(self.db, selection, FACET_LIMIT)
            if not counts.total:
                return 0, {}
            return counts.total, self._facets(counts.values.__getitem__, counts.years)

        def compute() -> tuple[int, dict[str, list[FacetValue]]]:
            # Counted once for every process of the site (repo.catalog.search_summaries).
            shared_key = json.dumps([query.summary_key, facets])
            return shared_counts(self.db, shared_key, version, counted, _encoded, _decoded)

        found, freshness = self.summaries.within(
            key, version, compute, budget=self.count_budget, stale_seconds=self.stale_seconds
        )
        if found is None:
            return -1, {}, freshness
        return found[0], found[1], freshness

    def _everything(self, now: str, facets: bool) -> tuple[int, dict[str, list[FacetValue]]]:
        count = public_total(self.db, now)
        if not (facets and count):
            return count, {}
        years = [(int(value), n) for value, n in public_counts(self.db, "year", now)]
        return count, self._facets(partial(_top, self.db, now), years)

    def _facets(
        self, top: Callable[[str], list[tuple[str, int]]], years: list[tuple[int, int]]
    ) -> dict[str, list[FacetValue]]:
        """Each facet's values from ``top`` (a facet's (value, count), most first) and the date
        facet from ``years`` ((year, count) of each start year)."""
        titles = collection_titles(self.db)
        label: dict[str, Callable[[str], str]] = {"collection": lambda v: titles.get(v, v), "language": language_name}
        facets = {
            name: [
                FacetValue(value, n, label[name](value) if name in label else "")
                for value, n in top(name)
                if value.strip()
            ]
            for name in ("collection", "type", "subject", "language")
        }
        facets["date"] = _date_facet(years)
        return {name: facets[name] for name in FACETS if facets[name]}

    # -- browsing -----------------------------------------------------------------------------

    def collection_counts(self, now: str | None = None) -> dict[str, int]:
        """Public indexed items per collection slug (collections without any are absent)."""
        return dict(public_counts(self.db, "collection", now or utc_now()))


def _encoded(counts: tuple[int, dict[str, list[FacetValue]]]) -> str:
    total, facets = counts
    return json.dumps([total, {name: [dataclasses.astuple(v) for v in values] for name, values in facets.items()}])


def _decoded(text: str) -> tuple[int, dict[str, list[FacetValue]]]:
    total, facets = json.loads(text)
    return int(total), {name: [FacetValue(*v) for v in values] for name, values in facets.items()}


def _top(db: Database, now: str, facet: str) -> list[tuple[str, int]]:
    return public_counts(db, facet, now, FACET_LIMIT)


def _date_facet(years: list[tuple[int, int]]) -> list[FacetValue]:
    """Years counted into spans of 1, 10 or 100 years, as wide as the years found need."""
    if not years:
        return []
    low, high = min(y for y, _ in years), max(y for y, _ in years)
    width = 100 if high - low >= 200 else 10 if high - low >= 20 else 1
    spans: dict[int, int] = {}
    for year, n in years:
        start = int(year / width) * width  # towards zero, as integer division in SQL was
        spans[start] = spans.get(start, 0) + n
    values = []
    for start in sorted(spans):
        end = start + width - 1
        label = str(start) if width == 1 else f"{start}s" if width == 10 else f"{start}–{end}"
        values.append(FacetValue(f"{start}-{end}", spans[start], label, start, end))
    return values
