"""What the site search reads of the index (``search_docs``, ``search_subjects``): the public items
a query selects (its filters, and its words as the full-text index matches them), a page of them
read by key in one of the hit orders, the candidates of a word search with their relevance, and
the counts of a query's matches, in total, per facet value and per start year.
``repo.search.search`` decides the order, which candidates to rank, and how the counts become
facets; the counts the triggers keep for browsing everything are ``repo.catalog.search_counts``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from repo.catalog.db import Database, Row
from repo.catalog.full_text import Match
from repo.catalog.keyset import Key, Order, beyond, order_by
from repo.catalog.schema import DATE_ASC_KEY, DATE_DESC_KEY

_TIES: Order = [("d.sort_title", False), ("d.item_id", False)]
# Each order of hits by the name of its sort (repo.search.query.Sort's values).
HIT_ORDERS: dict[str, Order] = {
    "relevance": [("relevance", False), ("sort_title", False), ("item_id", False)],  # ranked in Python
    "title": _TIES,
    "date": [(DATE_ASC_KEY, False), *_TIES],
    "-date": [(DATE_DESC_KEY, False), *_TIES],
    "newest": [("i.created", True), ("d.item_id", False)],
}
FILTERED_COLUMNS = {"collection": "d.collection", "type": "d.type", "language": "d.language"}
_SUBJECTS_JOIN = "JOIN search_subjects s ON s.item_id = d.item_id"
# Each value facet's column, with the join it needs, for counting the matches of a query.
_FACET_COLUMN = {
    **{name: (column, "") for name, column in FILTERED_COLUMNS.items()},
    "subject": ("s.subject", _SUBJECTS_JOIN),
}
_ITEMS = "JOIN items i ON i.id = d.item_id"
_HIT_COLUMNS = "d.item_id, d.title, d.collection, d.creators, d.description, d.type, d.date"


@dataclass
class Selection:
    """FROM ... WHERE ... for the items a query selects (joins take no parameters)."""

    joins: list[str] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)

    def sql(self, extra_join: str = "") -> str:
        return " ".join(["FROM search_docs d", *self.joins, extra_join, "WHERE"]) + " " + " AND ".join(self.conditions)

    def matching(self, match: Match) -> Selection:
        """These items that hold the words of ``match`` too."""
        return Selection(
            [*self.joins, match.join], [*self.conditions, match.condition], [*self.params, *match.condition_params]
        )


def public_selection(
    now: str,
    filters: Mapping[str, Sequence[str]],
    year_from: int | None,
    year_to: int | None,
    *,
    subjects_as_filter: bool = False,
) -> Selection:
    """The items public at ``now`` that pass the filters (facet values, a span of years).

    ``subjects_as_filter``: the subjects only sift the rows another index reads (the page's order),
    their own index does not choose the rows (``|| ''`` hides it from the planner on both databases)."""
    # Whether an indexed item is public, kept in its row (repo.catalog.schema.OPENS) in the
    # transaction of any change: a match is checked without a look-up of its item.
    selection = Selection(conditions=["d.opens <= ?"], params=[now])
    conditions, params = selection.conditions, selection.params
    for name, values in filters.items():
        for value in values:  # every chosen value narrows: the facets list only values present
            if name == "subject":
                item = "d.item_id || ''" if subjects_as_filter else "d.item_id"
                conditions.append(f"{item} IN (SELECT item_id FROM search_subjects WHERE subject = ?)")
            else:
                conditions.append(f"{FILTERED_COLUMNS[name]} = ?")
            params.append(value)
    if year_from is not None:
        conditions.append("COALESCE(d.date_end, d.date_start) >= ?")
        params.append(year_from)
    if year_to is not None:
        conditions.append("d.date_start <= ?")
        params.append(year_to)
    return selection


def hit_page_rows(
    db: Database,
    selection: Selection,
    order: Order,
    *,
    after: Key | None = None,
    before: bool = False,
    limit: int,
    offset: int = 0,
) -> list[Row]:
    """Up to ``limit`` hits in ``order`` (reversed when ``before``), beyond the key ``after`` or
    from ``offset``, each with its keys ``k0``, ``k1``... in the order's terms."""
    conditions, params = list(selection.conditions), list(selection.params)
    if after is not None:
        condition, key_params = beyond(order, after, reverse=before)
        conditions.append(condition)
        params += key_params
    keys = ", ".join(f"{expr} AS k{n}" for n, (expr, _) in enumerate(order))
    # The items only for an order that reads them (their ingest time): PostgreSQL otherwise joins
    # them by scanning them all.
    items = _ITEMS if any(expr.startswith("i.") for expr, _ in order) else ""
    return db.query(
        f"SELECT {_HIT_COLUMNS}, {keys} FROM search_docs d {items} {' '.join(selection.joins)}"
        f" WHERE {' AND '.join(conditions)}"
        f" ORDER BY {order_by(order, reverse=before)} LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )


# One subject's public items in title order, read from the subject's own rows, which keep each
# item's sort title and ``opens`` (index search_subjects_title): a page reads its own rows and no
# more, whether the subject has 30 items or 30,000. Its keys are the title order's.
SUBJECT_TITLE_ORDER: Order = [("s.sort_title", False), ("s.item_id", False)]


def subject_title_page_rows(
    db: Database, subject: str, now: str, *, after: Key | None, before: bool, limit: int, offset: int
) -> list[Row]:
    """``hit_page_rows`` of the public items of one ``subject`` in title order."""
    selection = Selection(
        joins=[_SUBJECTS_JOIN],
        conditions=["s.subject = ?", "s.opens <= ?"],
        params=[subject, now],
    )
    return hit_page_rows(db, selection, SUBJECT_TITLE_ORDER, after=after, before=before, limit=limit, offset=offset)


def candidate_rows(db: Database, selection: Selection, match: Match, limit: int) -> list[Row]:
    """(item_id, sort_title, relevance) of the first ``limit`` items of ``selection`` holding the
    words of ``match``, in index order (not ranked)."""
    return db.query(
        f"SELECT d.item_id AS item_id, d.sort_title AS sort_title, {match.relevance} AS relevance"
        f" {selection.sql(match.join)} AND {match.condition} LIMIT ?",
        [*match.relevance_params, *selection.params, *match.condition_params, limit],
    )


def hit_rows(db: Database, item_ids: Sequence[str]) -> dict[str, Row]:
    """The hit columns of each of ``item_ids`` still indexed, by item."""
    if not item_ids:
        return {}
    rows = db.query(
        f"SELECT {_HIT_COLUMNS} FROM search_docs d WHERE d.item_id IN ({', '.join('?' for _ in item_ids)})",
        list(item_ids),
    )
    return {r["item_id"]: r for r in rows}


def match_count(db: Database, selection: Selection) -> int:
    row = db.query_one(f"SELECT COUNT(*) AS n {selection.sql()}", selection.params)
    return int(row["n"]) if row else 0


def facet_value_counts(db: Database, selection: Selection, facet: str, limit: int) -> list[tuple[str, int]]:
    """(value, items) of ``facet``'s ``limit`` commonest values among ``selection``, then by value."""
    column, join = _FACET_COLUMN[facet]
    rows = db.query(
        f"SELECT {column} AS value, COUNT(*) AS n {selection.sql(join)} AND {column} IS NOT NULL"
        f" GROUP BY {column} ORDER BY n DESC, value LIMIT {int(limit)}",
        selection.params,
    )
    return [(str(r["value"]), int(r["n"])) for r in rows]


@dataclass(frozen=True)
class MatchCounts:
    """What a query's facets are made of: its total, each value facet's commonest values and the start years."""

    total: int
    values: dict[str, list[tuple[str, int]]]  # by facet: (value, items), most first, then by value
    years: list[tuple[int, int]]  # (start year, items)


# The columns of search_docs counted in one scan on PostgreSQL (GROUPING SETS): the filtered ones
# and the start year. Subjects are rows of another table, counted with it joined.
_GROUPED_COLUMNS = (*FILTERED_COLUMNS.values(), "d.date_start")


def match_counts(db: Database, selection: Selection, limit: int) -> MatchCounts:
    """The total of ``selection``, the ``limit`` commonest values of each value facet and the count
    of each start year.

    On PostgreSQL the total, the filtered columns and the years come from one scan of the matches
    (GROUPING SETS) and the subjects from a second: a common word at 1,000,000 items matches most
    of them, and a scan each cost six times the reading (2.5 s at 100,000 for ``letter``). SQLite
    has no grouping sets and reads in process: a query each, none once the total is 0."""
    if db.dialect != "postgresql":
        total = match_count(db, selection)
        if not total:
            return MatchCounts(0, {}, [])
        values = {facet: facet_value_counts(db, selection, facet, limit) for facet in _FACET_COLUMN}
        return MatchCounts(total, values, start_year_counts(db, selection))
    columns = ", ".join(_GROUPED_COLUMNS)
    # In each grouping set one column is grouped and the others are NULL: their COALESCE is its value.
    value = "COALESCE(" + ", ".join(f"{c}::text" for c in _GROUPED_COLUMNS) + ")"
    sets = ", ".join(f"({c})" for c in _GROUPED_COLUMNS)
    rows = db.query(
        f"SELECT g, value, n FROM (SELECT GROUPING({columns}) AS g, {value} AS value, COUNT(*) AS n"
        f" {selection.sql()} GROUP BY GROUPING SETS ({sets}, ())) AS c ORDER BY g, n DESC, value",
        selection.params,
    )
    # GROUPING(...) sets a bit for each column not grouped, the first column's the highest.
    width = len(_GROUPED_COLUMNS)
    grouped_by = {(1 << width) - 1 - (1 << (width - 1 - i)): i for i in range(width)}
    total, by_column = 0, [list[tuple[str, int]]() for _ in _GROUPED_COLUMNS]
    for row in rows:
        if row["g"] == (1 << width) - 1:
            total = int(row["n"])
        elif row["value"] is not None:
            by_column[grouped_by[row["g"]]].append((str(row["value"]), int(row["n"])))
    if not total:
        return MatchCounts(0, {}, [])
    values = {facet: by_column[i][:limit] for i, facet in enumerate(FILTERED_COLUMNS)}
    values["subject"] = facet_value_counts(db, selection, "subject", limit)
    years = [(int(year), n) for year, n in by_column[-1]]
    return MatchCounts(total, values, years)


def start_year_counts(db: Database, selection: Selection) -> list[tuple[int, int]]:
    """(year, items) of each start year among ``selection``."""
    rows = db.query(
        f"SELECT d.date_start AS year, COUNT(*) AS n {selection.sql()} AND d.date_start IS NOT NULL"
        " GROUP BY d.date_start",
        selection.params,
    )
    return [(int(r["year"]), int(r["n"])) for r in rows]


def collection_titles(db: Database) -> dict[str, str]:
    return {r["slug"]: r["title"] for r in db.query("SELECT slug, title FROM collections")}
