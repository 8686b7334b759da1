"""Search page links: the current search with one thing changed (a facet added, a page turned)."""

from __future__ import annotations

from urllib.parse import urlencode

from repo.search import SearchQuery, Sort


def _pairs(query: SearchQuery) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    if query.text:
        pairs.append(("q", query.text))
    for name, values in query.filters.items():
        pairs += [(name, v) for v in values]
    if query.year_from is not None:
        pairs.append(("from", str(query.year_from)))
    if query.year_to is not None:
        pairs.append(("to", str(query.year_to)))
    if query.sort is not None:
        pairs.append(("sort", query.sort.value))
    return pairs


def search_link(
    query: SearchQuery | None = None,
    *,
    add: tuple[str, str] | None = None,
    remove: tuple[str, str] | None = None,
    years: tuple[int | None, int | None] | None = None,
    sort: Sort | None = None,
    page: int = 1,
    cursor: str | None = None,
    path: str = "/search",
) -> str:
    """A link to ``query`` changed as asked; any change but ``page`` or ``cursor`` (a keyset
    position, see repo.catalog.keyset) goes back to the first page."""
    pairs = _pairs(query or SearchQuery())
    if remove is not None:
        pairs = [p for p in pairs if p != remove]
    if add is not None and add not in pairs:
        pairs.append(add)
    if years is not None:
        pairs = [p for p in pairs if p[0] not in ("from", "to")]
        pairs += [(name, str(year)) for name, year in zip(("from", "to"), years, strict=True) if year is not None]
    if sort is not None:
        pairs = [p for p in pairs if p[0] != "sort"] + [("sort", sort.value)]
    if cursor:
        pairs.append(("cursor", cursor))
    elif page > 1:
        pairs.append(("page", str(page)))
    return f"{path}?{urlencode(pairs)}" if pairs else path
