"""Search links and query parsing: what a facet click or a page turn asks for."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from app.web.pages.links import search_link
from repo.search import SearchQuery, Sort


def params(link: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(link).query)


def test_query_from_params_ignores_what_it_cannot_read() -> None:
    query = SearchQuery.from_params(
        {
            "q": ["  mill "],
            "type": ["Text", "Text", ""],
            "from": ["18x0"],
            "to": ["1900"],
            "sort": ["bogus"],
            "page": ["-3"],
            "unknown": ["x"],
        }
    )
    assert query.text == "mill" and query.filters == {"type": ("Text",)}
    assert (query.year_from, query.year_to, query.sort, query.page) == (None, 1900, None, 1)
    assert SearchQuery.from_params({"page": ["99999"]}).page == 500


def test_effective_sort() -> None:
    assert SearchQuery().effective_sort is Sort.TITLE
    assert SearchQuery(text="x").effective_sort is Sort.RELEVANCE
    assert SearchQuery(sort=Sort.RELEVANCE).effective_sort is Sort.TITLE
    assert SearchQuery(text="x", sort=Sort.DATE_DESC).effective_sort is Sort.DATE_DESC


def test_links_change_one_thing_and_go_back_to_the_first_page() -> None:
    query = SearchQuery(text="mill", filters={"type": ("Text",)}, year_from=1800, sort=Sort.TITLE, page=3)
    assert params(search_link(query, add=("subject", "Wool"))) == [
        ("q", "mill"),
        ("type", "Text"),
        ("from", "1800"),
        ("sort", "title"),
        ("subject", "Wool"),
    ]
    assert params(search_link(query, remove=("type", "Text"))) == [("q", "mill"), ("from", "1800"), ("sort", "title")]
    assert ("to", "1899") in params(search_link(query, years=(1800, 1899)))
    assert params(search_link(query, years=(None, None))) == [("q", "mill"), ("type", "Text"), ("sort", "title")]
    assert params(search_link(query, page=4))[-1] == ("page", "4")
    assert ("sort", "newest") in params(search_link(query, sort=Sort.NEWEST))
    assert search_link(None) == "/search"
