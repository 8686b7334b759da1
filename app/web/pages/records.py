"""An item's metadata records (MODS, DC) and its thumbnail, as files."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from app.web.pages.site import Site, caching_of
from iiif.presentation.parts import thumbnail_request
from repo.access import Access
from storage import StorageError

MODS_TYPE = "application/mods+xml; charset=utf-8"  # RFC 6207
DC_TYPE = "application/xml; charset=utf-8"
CORS = {"Access-Control-Allow-Origin": "*"}


def _record(site: Site, request: Request, which: str) -> Response:
    item, access = site.item_access(request, request.path_params["item"])
    if item is None or access is not Access.VISIBLE:
        return site.refuse(request, access, item)
    meta = site.catalog.metadata(item.id)
    if meta is None:
        return site.refuse(request, Access.NOT_FOUND, item)
    body, media_type = (meta.mods_xml, MODS_TYPE) if which == "mods" else (meta.dc_xml, DC_TYPE)
    return Response(body, media_type=media_type, headers={**CORS, **caching_of(item)})


def mods_record(site: Site, request: Request) -> Response:
    return _record(site, request, "mods")


def dc_record(site: Site, request: Request) -> Response:
    return _record(site, request, "dc")


def thumbnail(site: Site, request: Request) -> Response:
    """The first page's ready-made thumbnail from access storage, else one from the image server."""
    item, access = site.item_access(request, request.path_params["item"])
    if item is None or access is not Access.VISIBLE:
        return Response(status_code=access.status)
    files = site.catalog.files(item.id)
    if not files:
        return Response(status_code=404)
    first = files[0]
    if first.thumbnail_key:
        try:
            data = site.services.access.get_bytes(first.thumbnail_key)
        except StorageError:
            data = b""  # not made (yet): the image server can make one
        if data:
            caching = caching_of(item) or {"Cache-Control": "public, max-age=3600"}
            return Response(data, media_type="image/jpeg", headers=caching)
    size = thumbnail_request(first.width, first.height)
    return RedirectResponse(site.urls.image(item.id, first.seq, size), status_code=307, headers=caching_of(item))
