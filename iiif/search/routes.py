"""Content Search endpoints and page text: `/iiif/{item}/search/1|2?q=`,
`/iiif/{item}/autocomplete/1|2?q=`, `/iiif/{item}/text/p{seq}.txt`, `/iiif/{item}/alto/p{seq}.xml`,
`/iiif/{item}/lines/p{seq}` (the page's lines as a supplementing annotation page).

A restricted item's text follows the item's access decision, as its images do.
"""

from __future__ import annotations

from collections.abc import Callable

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from iiif.presentation.http import CACHE_CONTROL, CORS, PRIVATE_CACHE_CONTROL, denied_response, preflight
from iiif.presentation.ids import Urls
from iiif.search import documents
from iiif.search.documents import PAGE_SIZE, SearchUrls
from repo.access import Access, decide_access
from repo.auth import request_principal
from repo.catalog import Item
from repo.metadata.languages import language_tag
from repo.search import page_text
from repo.search.page_text import HitKey
from repo.services import Services

SEARCH_JSON = "application/ld+json"
MAX_QUERY = 200  # characters of q read; the rest is ignored


def search_routes(services: Services) -> list[BaseRoute]:
    catalog = services.catalog
    su = SearchUrls(Urls(services.settings.base_url))

    def of_visible_item(handler: Callable[[Request, Item], Response]) -> Callable[[Request], Response]:
        """The endpoint that answers ``handler(request, item)`` for an item the asker may see, and
        the access decision's refusal otherwise."""

        def endpoint(request: Request) -> Response:
            item = catalog.get_item(request.path_params["item"])
            access = decide_access(item, lambda: request_principal(request))
            if item is None or access is not Access.VISIBLE:
                return denied_response(access)
            return handler(request, item)

        return endpoint

    def answer(body: bytes, media_type: str, item: Item) -> Response:
        cache = CACHE_CONTROL if item.is_public() else PRIVATE_CACHE_CONTROL
        return Response(body, media_type=media_type, headers={**CORS, "Cache-Control": cache})

    def query(request: Request) -> tuple[str, int]:
        text = " ".join(request.query_params.getlist("q"))[:MAX_QUERY].strip()
        page = request.query_params.get("page", "0")
        return text, int(page) if page.isdigit() and len(page) < 7 else 0

    def start(request: Request, page: int) -> HitKey | None:
        """The first hit of the page asked for, as its links name it (page 0 always starts at the first)."""
        return documents.parse_key(request.query_params.get("from", "")) if page else None

    @of_visible_item
    def search(request: Request, item: Item) -> Response:
        version = request.path_params["version"]
        if version not in (1, 2):
            return denied_response(Access.NOT_FOUND)
        text, page = query(request)
        found = page_text.hit_page(catalog.db, item.id, text, PAGE_SIZE, page=page, start=start(request, page))
        build = documents.search_2 if version == 2 else documents.search_1
        return answer(orjson.dumps(build(su, item.id, text, found)), SEARCH_JSON, item)

    @of_visible_item
    def autocomplete(request: Request, item: Item) -> Response:
        version = request.path_params["version"]
        if version not in (1, 2):
            return denied_response(Access.NOT_FOUND)
        text, _ = query(request)
        terms = page_text.complete(catalog.db, item.id, text)
        build = documents.autocomplete_2 if version == 2 else documents.autocomplete_1
        return answer(orjson.dumps(build(su, item.id, text, terms)), SEARCH_JSON, item)

    @of_visible_item
    def plain_text(request: Request, item: Item) -> Response:
        text = page_text.page_plain_text(catalog.db, item.id, request.path_params["seq"])
        if text is None:
            return denied_response(Access.NOT_FOUND)
        return answer((text + "\n").encode(), "text/plain; charset=utf-8", item)

    @of_visible_item
    def alto(request: Request, item: Item) -> Response:
        data = page_text.page_alto(catalog.db, item.id, request.path_params["seq"])
        if data is None:
            return denied_response(Access.NOT_FOUND)
        return answer(data, "application/xml", item)

    @of_visible_item
    def lines(request: Request, item: Item) -> Response:
        seq = request.path_params["seq"]
        found = page_text.page_lines(catalog.db, item.id, seq)
        if not found:
            return denied_response(Access.NOT_FOUND)
        metadata = catalog.metadata(item.id)
        language = language_tag(metadata.language) if metadata else None
        document = documents.line_annotations(su, item.id, seq, found, language)
        return answer(orjson.dumps(document), SEARCH_JSON, item)

    routes: list[BaseRoute] = []
    for path, endpoint in (
        ("/iiif/{item}/search/{version:int}", search),
        ("/iiif/{item}/autocomplete/{version:int}", autocomplete),
        ("/iiif/{item}/text/p{seq:int}.txt", plain_text),
        ("/iiif/{item}/alto/p{seq:int}.xml", alto),
        ("/iiif/{item}/lines/p{seq:int}", lines),
    ):
        routes += [Route(path, endpoint, methods=["GET"]), Route(path, preflight, methods=["OPTIONS"])]
    return routes
