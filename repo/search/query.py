"""A search as asked (words, filters, order, page) and its answer (a page of hits, facets)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum

from repo.catalog.index_words import terms
from repo.search.summary import Freshness


class Sort(Enum):
    RELEVANCE = "relevance"
    TITLE = "title"
    DATE_ASC = "date"
    DATE_DESC = "-date"
    NEWEST = "newest"

    @property
    def label(self) -> str:
        return {
            "relevance": "Relevance",
            "title": "Title A–Z",
            "date": "Date, oldest first",
            "-date": "Date, newest first",
            "newest": "Recently added",
        }[self.value]


#: Facets offered, in display order, with their labels.
FACETS = {"collection": "Collection", "type": "Type", "date": "Date", "subject": "Subject", "language": "Language"}
#: Facets that filter on a listed value; "date" filters on a range of years instead.
VALUE_FACETS = ("collection", "type", "subject", "language")
PAGE_SIZE = 20
MAX_PAGE = 500


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    year_from: int | None = None
    year_to: int | None = None
    sort: Sort | None = None  # None: relevance when there are words, else title
    page: int = 1  # an offset, for old links; pages link to each other with ``cursor``
    page_size: int = PAGE_SIZE
    cursor: str = ""  # a repo.catalog.keyset.Cursor, encoded

    @property
    def effective_sort(self) -> Sort:
        if self.sort is None or (self.sort is Sort.RELEVANCE and not self.text.strip()):
            return Sort.RELEVANCE if self.text.strip() else Sort.TITLE
        return self.sort

    @classmethod
    def from_params(cls, params: Mapping[str, Sequence[str]]) -> SearchQuery:
        """From query-string values (each a list); anything malformed is ignored, not an error."""

        def first(name: str) -> str:
            values = params.get(name) or [""]
            return values[0].strip()

        filters = {
            name: tuple(dict.fromkeys(v.strip() for v in params.get(name, []) if v.strip())) for name in VALUE_FACETS
        }
        sort = next((s for s in Sort if s.value == first("sort")), None)
        return cls(
            text=first("q")[:500],
            filters={k: v for k, v in filters.items() if v},
            year_from=_year(first("from")),
            year_to=_year(first("to")),
            sort=sort,
            page=min(max(_int(first("page")) or 1, 1), MAX_PAGE),
            cursor=first("cursor")[:2000],
        )

    @property
    def summary_key(self) -> tuple[object, ...]:
        """What the total and the facets depend on (not the order or the page)."""
        filters = tuple(sorted((name, tuple(sorted(values))) for name, values in self.filters.items()))
        return (tuple(terms(self.text)), filters, self.year_from, self.year_to)


def _int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def _year(text: str) -> int | None:
    value = _int(text)
    return value if value is not None and -9999 <= value <= 9999 else None


@dataclass(frozen=True)
class Hit:
    item_id: str
    title: str
    collection: str
    creators: tuple[str, ...]
    description: str
    type: str | None
    date: str | None


@dataclass(frozen=True)
class FacetValue:
    value: str
    count: int
    label: str = ""  # display text when it differs from the value (collection titles, date spans)
    year_from: int | None = None
    year_to: int | None = None

    @property
    def text(self) -> str:
        return self.label or self.value


@dataclass(frozen=True)
class SearchResults:
    query: SearchQuery
    total: int
    hits: list[Hit]
    facets: dict[str, list[FacetValue]]
    position: int = 0  # of the first hit, counting from 0
    next_cursor: str | None = None
    previous_cursor: str | None = None
    # Whether ``total`` and ``facets`` are of the catalog as it is now, of a recent earlier version
    # (being recounted), or not counted yet (``total`` -1): see repo.search.summary.
    counts: Freshness = Freshness.CURRENT

    @property
    def counting(self) -> bool:
        return self.counts is Freshness.COUNTING

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.page_size))
