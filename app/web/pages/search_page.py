"""The search page: words, facets, a date range, an order; results a page at a time."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app.web.pages.links import search_link
from app.web.pages.site import Site
from repo.metadata.languages import language_name
from repo.search import FACETS, SearchQuery, Sort
from repo.search.snippets import snippets_of


def search_page(site: Site, request: Request) -> Response:
    params = request.query_params
    query = SearchQuery.from_params({key: params.getlist(key) for key in params})
    results = site.search.search(query)
    # Passages of page text where the words occur, for hits found in their pages' text.
    snippets = snippets_of(site.catalog.db, [hit.item_id for hit in results.hits], query.text)
    titles = {c.slug: c.title for c in site.catalog.list_collections()}

    def facet_label(name: str, value: str) -> str:
        """What a chosen filter reads as: a collection's title, a language's name."""
        if name == "collection":
            return titles.get(value, value)
        return language_name(value) if name == "language" else value

    sorts = [s for s in Sort if s is not Sort.RELEVANCE or query.text]
    return site.render(
        request,
        "search.html",
        query=query,
        results=results,
        snippets=snippets,
        facet_names=FACETS,
        collection_titles=titles,
        facet_label=facet_label,
        sorts=sorts,
        page_link=lambda cursor: search_link(query, cursor=cursor),
    )
