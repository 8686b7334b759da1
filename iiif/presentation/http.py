"""HTTP for JSON-LD documents: content type, CORS, conditional requests, gzip."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from iiif.presentation.cache import Document
from repo.access import Access
from repo.errors import error_document

JSON_LD = 'application/ld+json;profile="http://iiif.io/api/presentation/3/context.json"'
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "ETag"}
# Always revalidate: an edit must show at once, and a 304 costs a lookup, not a build. A manifest
# that only a token unlocked must stay out of shared caches, which would hand it to anyone.
CACHE_CONTROL = "public, no-cache"
PRIVATE_CACHE_CONTROL = "private, no-cache"
ANY = "*"

_MESSAGES = {
    Access.UNAUTHORIZED: "this item is not public",
    Access.NOT_FOUND: "not found",
    Access.GONE: "this item has been withdrawn",
}


def client_etags(request: Request) -> frozenset[str]:
    """The entity tags in If-None-Match; weak ones compare equal to strong ones (RFC 9110 13.1.2)."""
    header = request.headers.get("if-none-match", "")
    tags = (t.strip() for t in header.split(","))
    return frozenset(t[2:] if t.startswith("W/") else t for t in tags if t)


def _headers(etag: str, private: bool) -> dict[str, str]:
    cache_control = PRIVATE_CACHE_CONTROL if private else CACHE_CONTROL
    return {**CORS, "ETag": etag, "Cache-Control": cache_control, "Vary": "Accept-Encoding"}


def not_modified(etag: str, private: bool = False) -> Response:
    return Response(status_code=304, headers=_headers(etag, private))


def document_response(request: Request, document: Document, private: bool = False) -> Response:
    etags = client_etags(request)
    if document.etag in etags or ANY in etags:
        return not_modified(document.etag, private)
    headers = _headers(document.etag, private)
    body = document.body
    if "gzip" in request.headers.get("accept-encoding", ""):
        body = document.gzipped()
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type=JSON_LD, headers=headers)


def denied_response(access: Access) -> Response:
    return JSONResponse(error_document(access.status, _MESSAGES.get(access, "not available")), access.status, CORS)


def preflight(request: Request) -> Response:
    return Response(
        status_code=204,
        headers={
            **CORS,
            "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
            "Access-Control-Allow-Headers": request.headers.get("access-control-request-headers", "*"),
            "Access-Control-Max-Age": "86400",
        },
    )
