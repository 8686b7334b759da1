"""An item's Dublin Core as linked data: Turtle and JSON-LD, at ``/items/ID/dc.ttl`` and
``/items/ID/dc.jsonld`` (declared in the manifest's ``seeAlso``) and on the item's own URL to a
client whose ``Accept`` asks for one of them (content negotiation; the page is the default)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app.web.pages.site import Site
from repo.access import Access
from repo.metadata.languages import language_tag
from repo.metadata.rdf import dc_jsonld, dc_turtle

TURTLE = "text/turtle"
JSON_LD = "application/ld+json"


def negotiated(request: Request) -> str | None:
    """The RDF media type the client prefers to HTML, if any (``q`` weights honoured)."""
    best, best_q, html_q = None, 0.0, 0.0
    for part in request.headers.get("accept", "").split(","):
        media, _, params = part.strip().partition(";")
        media = media.strip().lower()
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if media in (TURTLE, JSON_LD) and q > best_q:
            best, best_q = media, q
        elif media in ("text/html", "application/xhtml+xml", "*/*", "text/*"):
            html_q = max(html_q, q)
    return best if best is not None and best_q > html_q else None


def turtle_record(site: Site, request: Request) -> Response:
    return linked_data(site, request, TURTLE)


def jsonld_record(site: Site, request: Request) -> Response:
    return linked_data(site, request, JSON_LD)


def linked_data(site: Site, request: Request, media_type: str) -> Response:
    item, access = site.item_access(request, request.path_params["item"])
    if item is None or access is not Access.VISIBLE:
        return site.refuse(request, access, item)
    meta = site.catalog.metadata(item.id)
    dc = meta.dc if meta is not None else {}
    language = language_tag(meta.language) if meta is not None else None  # BCP 47: "en", not "eng"
    uri = site.urls.item_page(item.id)
    body = dc_turtle(uri, dc, language) if media_type == TURTLE else dc_jsonld(uri, dc, language)
    caching = "public, max-age=300" if item.is_public() else "private, no-cache"
    headers = {"Access-Control-Allow-Origin": "*", "Vary": "Accept", "Cache-Control": caching}
    return Response(body, media_type=f"{media_type}; charset=utf-8", headers=headers)
