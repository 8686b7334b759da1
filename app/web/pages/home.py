"""The home page: the collections, each with its number of public items."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app.web.pages.site import Site


def home(site: Site, request: Request) -> Response:
    counts = site.search.collection_counts()
    collections = [(c, counts.get(c.slug, 0)) for c in site.catalog.list_collections()]
    return site.render(request, "home.html", collections=collections, total=sum(counts.values()))
