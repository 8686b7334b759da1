"""Running a search: full-text match, facet filters, only public items, facet counts, one page of hits.

A page of hits is read by key (``repo.catalog.keyset``): from an index in the chosen order, up to
the page's last row, so a deep page costs what the first does. A word search ranked by relevance
ranks only its first ``candidates`` matches that pass the filters, found in index order, so a word
in every record stops early instead of scoring them all; with fewer matches the ranking is exact.
Totals and facet counts are computed over every match, once per catalog version
(``repo.search.summary``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from repo.access import public_items_sql
from repo.catalog import Database, utc_now
from repo.catalog.keyset import Cursor, KeysetPage, Order, beyond, order_by, page_of
from repo.catalog.schema import DATE_ASC_KEY, DATE_DESC_KEY
from repo.catalog.version import catalog_version
from repo.metadata.languages import language_name
from repo.search.fts import full_text_for
from repo.search.query import FacetValue, Hit, SearchQuery, SearchResults, Sort
from repo.search.summary import SummaryCache
from repo.search.text import terms

FACET_LIMIT = 20
DEFAULT_CANDIDATES = 1000
_TIES: list[tuple[str, bool]] = [("d.sort_title", False), ("d.item_id", False)]
ORDERS: dict[Sort, Order] = {
    Sort.RELEVANCE: [("hit.relevance", False), *_TIES],
    Sort.TITLE: _TIES,
    Sort.DATE_ASC: [(DATE_ASC_KEY, False), *_TIES],
    Sort.DATE_DESC: [(DATE_DESC_KEY, False), *_TIES],
    Sort.NEWEST: [("i.created", True), ("d.item_id", False)],
}
_COLUMN = {"collection": "d.collection", "type": "d.type", "language": "d.language"}
_ITEMS = "JOIN items i ON i.id = d.item_id"
_HIT_COLUMNS = "d.item_id, d.title, d.collection, d.creators, d.description, d.type, d.date"


@dataclass
class _Selection:
    """FROM ... WHERE ... for the items a query selects (joins take no parameters)."""

    joins: list[str] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)

    def sql(self, extra_join: str = "") -> str:
        return (
            " ".join(["FROM search_docs d", _ITEMS, *self.joins, extra_join, "WHERE"])
            + " "
            + " AND ".join(self.conditions)
        )


class Search:
    def __init__(
        self, db: Database, *, candidates: int = DEFAULT_CANDIDATES, summaries: SummaryCache | None = None
    ) -> None:
        self.db = db
        self.fts = full_text_for(db)
        self.candidates = candidates
        self.summaries = summaries or SummaryCache()

    def _filters(self, query: SearchQuery, now: str) -> _Selection:
        """The public items that pass the query's filters (words aside)."""
        selection = _Selection(conditions=[public_items_sql("i")], params=[now])
        conditions, params = selection.conditions, selection.params
        for name, values in query.filters.items():
            for value in values:  # every chosen value narrows: the facets list only values present
                if name == "subject":
                    conditions.append("d.item_id IN (SELECT item_id FROM search_subjects WHERE subject = ?)")
                else:
                    conditions.append(f"{_COLUMN[name]} = ?")
                params.append(value)
        if query.year_from is not None:
            conditions.append("COALESCE(d.date_end, d.date_start) >= ?")
            params.append(query.year_from)
        if query.year_to is not None:
            conditions.append("d.date_start <= ?")
            params.append(query.year_to)
        return selection

    def _matching(self, query: SearchQuery, now: str) -> _Selection:
        """Every item the query selects, words included (for totals and facets)."""
        selection = self._filters(query, now)
        words = terms(query.text)
        if words:
            match = self.fts.match(words)
            selection.joins.append(match.join)
            selection.conditions.append(match.condition)
            selection.params += match.condition_params
        return selection

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
        count, facet_values = -1, dict[str, list[FacetValue]]()
        if total or facets:
            count, facet_values = self._summary(query, now, facets)
        return SearchResults(
            query,
            count,
            hits,
            facet_values,
            position=page.position,
            next_cursor=page.next.encode() if page.next else None,
            previous_cursor=page.previous.encode() if page.previous else None,
        )

    # -- a page of hits ---------------------------------------------------------------------------

    def _page(self, query: SearchQuery, sort: Sort, words: list[str], now: str) -> KeysetPage:
        order = ORDERS[sort]
        cursor = Cursor.decode(query.cursor, len(order)) if query.cursor else None
        keys = ", ".join(f"{expr} AS k{n}" for n, (expr, _) in enumerate(order))
        if words and sort is Sort.RELEVANCE:
            # Rank the first matches found that pass the filters, not every match.
            match, selection = self.fts.match(words), self._filters(query, now)
            candidates = (
                f"SELECT d.item_id AS item_id, {match.relevance} AS relevance {selection.sql(match.join)}"
                f" AND {match.condition} LIMIT ?"
            )
            source = f"FROM ({candidates}) hit JOIN search_docs d ON d.item_id = hit.item_id {_ITEMS}"
            conditions: list[str] = []
            params = [*match.relevance_params, *selection.params, *match.condition_params, self.candidates]
        else:
            selection = self._matching(query, now)
            source = f"FROM search_docs d {_ITEMS} {' '.join(selection.joins)}"
            conditions, params = list(selection.conditions), list(selection.params)
        if cursor is not None:
            condition, key_params = beyond(order, cursor.key, reverse=cursor.before)
            conditions.append(condition)
            params += key_params
        offset = 0 if cursor is not None else (query.page - 1) * query.page_size
        rows = self.db.query(
            f"SELECT {_HIT_COLUMNS}, {keys} {source} WHERE {' AND '.join(conditions) or '1 = 1'}"
            f" ORDER BY {order_by(order, reverse=cursor is not None and cursor.before)} LIMIT ? OFFSET ?",
            [*params, query.page_size + 1, offset],
        )
        width = len(order)
        return page_of(rows, lambda r: tuple(r[f"k{n}"] for n in range(width)), cursor, query.page_size, start=offset)

    # -- totals and facets --------------------------------------------------------------------------

    def _summary(self, query: SearchQuery, now: str, facets: bool) -> tuple[int, dict[str, list[FacetValue]]]:
        def compute() -> tuple[int, dict[str, list[FacetValue]]]:
            selection = self._matching(query, now)
            row = self.db.query_one(f"SELECT COUNT(*) AS n {selection.sql()}", selection.params)
            count = int(row["n"]) if row else 0
            return count, self._facets(selection) if facets and count else {}

        return self.summaries.get(("search", query.summary_key, facets), catalog_version(self.db, now), compute)

    def _facets(self, selection: _Selection) -> dict[str, list[FacetValue]]:
        titles = {r["slug"]: r["title"] for r in self.db.query("SELECT slug, title FROM collections")}
        facets = {
            "collection": [
                FacetValue(v.value, v.count, titles.get(v.value, v.value))
                for v in self._counts("d.collection", selection)
            ],
            "type": self._counts("d.type", selection),
            "date": self._dates(selection),
            "subject": self._counts("s.subject", selection, "JOIN search_subjects s ON s.item_id = d.item_id"),
            "language": [
                FacetValue(v.value, v.count, language_name(v.value)) for v in self._counts("d.language", selection)
            ],
        }
        return {name: values for name, values in facets.items() if values}

    def _counts(self, column: str, selection: _Selection, join: str = "") -> list[FacetValue]:
        rows = self.db.query(
            f"SELECT {column} AS value, COUNT(*) AS n {selection.sql(join)} AND {column} IS NOT NULL"
            f" GROUP BY {column} ORDER BY n DESC, value LIMIT {FACET_LIMIT}",
            selection.params,
        )
        return [FacetValue(str(r["value"]), int(r["n"])) for r in rows if str(r["value"]).strip()]

    def _dates(self, selection: _Selection) -> list[FacetValue]:
        span = self.db.query_one(
            f"SELECT MIN(d.date_start) AS lo, MAX(d.date_start) AS hi {selection.sql()}", selection.params
        )
        if not span or span["lo"] is None:
            return []
        low, high = int(span["lo"]), int(span["hi"])
        width = 100 if high - low >= 200 else 10 if high - low >= 20 else 1
        # width is ours, never the user's: safe to write into the statement.
        bucket = f"(d.date_start / {width}) * {width}" if width > 1 else "d.date_start"
        rows = self.db.query(
            f"SELECT {bucket} AS start, COUNT(*) AS n {selection.sql()} AND d.date_start IS NOT NULL"
            f" GROUP BY {bucket} ORDER BY start",
            selection.params,
        )
        values = []
        for row in rows:
            start = int(row["start"])
            end = start + width - 1
            label = str(start) if width == 1 else f"{start}s" if width == 10 else f"{start}–{end}"
            values.append(FacetValue(f"{start}-{end}", int(row["n"]), label, start, end))
        return values

    # -- browsing -----------------------------------------------------------------------------

    def collection_counts(self, now: str | None = None) -> dict[str, int]:
        """Public items per collection slug (collections without any are absent)."""
        now = now or utc_now()

        def compute() -> dict[str, int]:
            rows = self.db.query(
                f"SELECT i.collection, COUNT(*) AS n FROM items i WHERE {public_items_sql('i')} GROUP BY i.collection",
                (now,),
            )
            return {r["collection"]: int(r["n"]) for r in rows}

        return self.summaries.get(("collections",), catalog_version(self.db, now), compute)
