"""Change Discovery endpoints: `/iiif/discovery/` (also `/iiif/discovery/all-changes`, its id),
`/iiif/discovery/page-{n}` and `/iiif/discovery/activity/{seq}`.

Only what the public may see is listed (``repo.catalog.changes``), so every answer is public and
the same for everyone. A final page and an activity never change: cached for a week. The
collection and the last page grow: revalidated each time, cheaply (ETag, 304).
"""

from __future__ import annotations

import hashlib

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from iiif.discovery import documents
from iiif.discovery.documents import DiscoveryUrls
from iiif.presentation.cache import Document
from iiif.presentation.http import CACHE_CONTROL, CORS, client_etags, denied_response, preflight
from iiif.presentation.ids import Urls
from iiif.presentation.manifest import to_json_bytes
from repo.access import Access
from repo.catalog import changes
from repo.services import Services

JSON_LD = 'application/ld+json;profile="http://iiif.io/api/discovery/1/context.json"'
FINAL_CACHE_CONTROL = "public, max-age=604800"


def discovery_routes(services: Services) -> list[BaseRoute]:
    db = services.catalog.db
    du = DiscoveryUrls(Urls(services.settings.base_url))
    size = max(1, services.settings.iiif_discovery_page_size)

    def collection(request: Request) -> Response:
        changes.catch_up(db)
        return _answer(request, documents.collection(du, changes.total(db), size), CACHE_CONTROL)

    def page(request: Request) -> Response:
        number = request.path_params["number"]
        changes.catch_up(db)
        total = changes.total(db)
        last = documents.last_page(total, size)
        if number > last:
            return denied_response(Access.NOT_FOUND)
        items = changes.activities(db, number * size + 1, (number + 1) * size)
        cache_control = FINAL_CACHE_CONTROL if number < last else CACHE_CONTROL
        return _answer(request, documents.page(du, number, items, total, size), cache_control)

    def activity(request: Request) -> Response:
        seq = request.path_params["seq"]
        found = changes.activities(db, seq, seq)
        if not found:
            return denied_response(Access.NOT_FOUND)
        return _answer(request, documents.activity_document(du, found[0]), FINAL_CACHE_CONTROL)

    paths = [
        ("/iiif/discovery", collection),
        ("/iiif/discovery/", collection),
        ("/iiif/discovery/all-changes", collection),
        ("/iiif/discovery/page-{number:int}", page),
        ("/iiif/discovery/activity/{seq:int}", activity),
    ]
    routes: list[BaseRoute] = []
    for path, endpoint in paths:
        routes += [Route(path, endpoint, methods=["GET"]), Route(path, preflight, methods=["OPTIONS"])]
    return routes


def _answer(request: Request, data: object, cache_control: str) -> Response:
    body = to_json_bytes(data)
    document = Document(f'"{hashlib.sha256(body).hexdigest()[:32]}"', body)
    headers = {**CORS, "ETag": document.etag, "Cache-Control": cache_control, "Vary": "Accept-Encoding"}
    etags = client_etags(request)
    if document.etag in etags or "*" in etags:
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(document.gzipped(), media_type=JSON_LD, headers=headers)
    return Response(body, media_type=JSON_LD, headers=headers)
