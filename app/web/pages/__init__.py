"""The public web pages: home, collections, search and item pages (server-rendered, Jinja2).

``public_pages`` is the route provider; it comes last in ``app.web.app.PROVIDERS`` because it owns ``/``.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from app.web.pages import browse, home, item, item_text, linked_data, records, search_page
from app.web.pages.site import STATIC, Site
from repo.search import follow
from repo.services import Services

Handler = Callable[[Site, Request], Response]
INDEX_INTERVAL_SECONDS = 5.0


def public_pages(services: Services) -> list[BaseRoute]:
    site = Site(services)
    # Items queued for the index (seeded, or left by a process that died) are indexed in the
    # background: the server answers at once, whatever the size of the catalog.
    follow(services.catalog.db, INDEX_INTERVAL_SECONDS)

    def route(path: str, handler: Handler) -> Route:
        def endpoint(request: Request) -> Response:
            return handler(site, request)

        return Route(path, endpoint, methods=["GET"], name=handler.__name__)

    return [
        route("/", home.home),
        route("/search", search_page.search_page),
        route("/collections/{slug}", browse.collection_page),
        route("/items/{item}", item.item_page),
        route("/items/{item}/mods.xml", records.mods_record),
        route("/items/{item}/dc.xml", records.dc_record),
        route("/items/{item}/thumbnail", records.thumbnail),
        route("/items/{item}/dc.ttl", linked_data.turtle_record),
        route("/items/{item}/dc.jsonld", linked_data.jsonld_record),
        route("/items/{item}/download", item.download),
        route("/items/{item}/text", item_text.item_text),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
