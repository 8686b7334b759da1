"""A collection's page: its items as thumbnails, a page at a time, in a chosen order."""

from __future__ import annotations

import dataclasses
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import Response

from app.web.pages.site import Site
from iiif.presentation.collection import cover
from repo.search import SearchQuery, Sort

COLLECTION_PAGE_SIZE = 24
COLLECTION_SORTS = (Sort.TITLE, Sort.DATE_ASC, Sort.DATE_DESC, Sort.NEWEST)


def collection_page(site: Site, request: Request) -> Response:
    slug = request.path_params["slug"]
    collection = site.catalog.get_collection(slug)
    if collection is None:
        return site.render(
            request, "refusal.html", 404, heading="Not found", message="There is no collection here.", item=None
        )
    asked = SearchQuery.from_params({k: request.query_params.getlist(k) for k in ("sort", "page", "cursor")})
    query = dataclasses.replace(
        asked,
        filters={"collection": (slug,)},
        page_size=COLLECTION_PAGE_SIZE,
        sort=asked.sort if asked.sort in COLLECTION_SORTS else Sort.TITLE,
    )
    results = site.search.search(query, facets=False)  # the page shows none
    path = f"/collections/{quote(slug, safe='')}"

    def page_link(cursor: str) -> str:
        params = {"sort": asked.sort.value} if asked.sort in COLLECTION_SORTS and asked.sort else {}
        return f"{path}?{urlencode(params | {'cursor': cursor})}"

    return site.render(
        request,
        "collection.html",
        collection=collection,
        cover=cover(site.catalog, collection),
        results=results,
        sorts=COLLECTION_SORTS,
        path=path,
        page_link=page_link,
    )
