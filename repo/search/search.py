"""Running a search: full-text match, facet filters, only public items, facet counts, one page of hits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from repo.access import public_items_sql
from repo.catalog import Database, utc_now
from repo.metadata.languages import language_name
from repo.search import page_text
from repo.search.fts import full_text_for
from repo.search.query import FacetValue, Hit, SearchQuery, SearchResults, Sort
from repo.search.text import terms

FACET_LIMIT = 20
_ORDER = {
    Sort.RELEVANCE: "hit.relevance, d.sort_title, d.item_id",
    Sort.TITLE: "d.sort_title, d.item_id",
    Sort.DATE_ASC: "d.date_start IS NULL, d.date_start, d.sort_title, d.item_id",
    Sort.DATE_DESC: "d.date_start IS NULL, d.date_start DESC, d.sort_title, d.item_id",
    Sort.NEWEST: "i.created DESC, d.item_id",
}
_COLUMN = {"collection": "d.collection", "type": "d.type", "language": "d.language"}


@dataclass
class _Selection:
    """FROM ... WHERE ... for the items a query selects; join parameters come before condition ones."""

    joins: list[str] = field(default_factory=list)
    join_params: list[Any] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)
    condition_params: list[Any] = field(default_factory=list)
    ranked: bool = False

    def sql(self, extra_join: str = "") -> str:
        return " ".join(
            [
                "FROM search_docs d JOIN items i ON i.id = d.item_id",
                *self.joins,
                extra_join,
                "WHERE",
                " AND ".join(self.conditions),
            ]
        )

    @property
    def params(self) -> list[Any]:
        return [*self.join_params, *self.condition_params]


class Search:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.fts = full_text_for(db)

    def _selection(self, query: SearchQuery, now: str) -> _Selection:
        selection = _Selection(conditions=[public_items_sql("i")], condition_params=[now])
        conditions, params = selection.conditions, selection.condition_params
        words = terms(query.text)
        if words:
            match_sql, match_params = self.fts.matches(words)
            # Items whose page text holds the words too, ranked after every record match.
            text_sql, text_params = page_text.matching_items_sql(self.db, words)
            selection.joins.append(
                f"JOIN (SELECT item_id, MIN(relevance) AS relevance FROM ({match_sql} UNION ALL"
                f" SELECT item_id, 1e9 AS relevance FROM ({text_sql}) t) m GROUP BY item_id) hit"
                " ON hit.item_id = d.item_id"
            )
            selection.join_params += [*match_params, *text_params]
            selection.ranked = True
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

    def search(self, query: SearchQuery, now: str | None = None) -> SearchResults:
        selection = self._selection(query, now or utc_now())
        count = self.db.query_one(f"SELECT COUNT(*) AS n {selection.sql()}", selection.params)
        total = int(count["n"]) if count else 0
        sort = query.effective_sort
        if sort is Sort.RELEVANCE and not selection.ranked:  # words that were all punctuation
            sort = Sort.TITLE
        rows = self.db.query(
            "SELECT d.item_id, d.title, d.collection, d.creators, d.description, d.type, d.date"
            f" {selection.sql()} ORDER BY {_ORDER[sort]} LIMIT ? OFFSET ?",
            [*selection.params, query.page_size, (query.page - 1) * query.page_size],
        )
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
            for r in rows
        ]
        return SearchResults(query, total, hits, self._facets(selection) if total else {})

    # -- facets -------------------------------------------------------------------------------

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
        rows = self.db.query(
            f"SELECT i.collection, COUNT(*) AS n FROM items i WHERE {public_items_sql('i')} GROUP BY i.collection",
            (now or utc_now(),),
        )
        return {r["collection"]: int(r["n"]) for r in rows}
