"""HTTP for the image server: one lean ASGI endpoint for everything under the mount (``/iiif/3``).

It answers the base URI (303 to info.json), info.json (JSON-LD by negotiation) and image requests,
with CORS on every response and preflight answers, ETag/Last-Modified and 304s, Cache-Control, and
the canonical and profile Link headers. Every failure is an IIIF status with a JSON body: no
traceback or server path ever reaches a client. Identifiers are checked against a conservative
character set before anything is resolved or opened.

A GET answered 200 is remembered by its raw path (with Host and Accept): the same request again,
unconditional, skips parsing, resolving and header building while the resolver answer it came
from is still usable, and is answered without leaving the event loop when its bytes are ready
(cached, or a stored tile the operating system holds in memory). This memo by text stays in front
of the request values that key the service's caches (``ImageService``): equivalent URLs share those
entries, and a repeated URL skips even making its value.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

from starlette.datastructures import URLPath
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

from iiif.image.cache import LRU
from iiif.image.config import ImageServerConfig
from iiif.image.errors import AccessDenied, IIIFError, error_body
from iiif.image.fastpath import AlignedTile
from iiif.image.info import CONTEXT, PROFILE, PROFILE_URI, PROTOCOL
from iiif.image.pyramid import Pyramid, StoredImage
from iiif.image.request import ResolvedRequest
from iiif.image.resolver import ANONYMOUS, Credentials, ImageResolver
from iiif.image.service import ImageService, PreparedImage, Validators

log = logging.getLogger("muniment.iiif")

Headers = list[tuple[bytes, bytes]]
Answer = tuple[int, Headers, bytes]

# Letters, digits and - . _ ~ (RFC 3986 unreserved), not starting with a dot: nothing that a path,
# URL, or shell could read specially, and nothing to percent-encode when written back into URLs.
_IDENTIFIER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._~-]{0,199}", re.ASCII)
_HOST = re.compile(r"(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?", re.ASCII)
_ENTITY_TAG = re.compile(r'(?:W/)?("[^"]*")')
_HEADER_LIST = re.compile(r"[A-Za-z0-9, -]{1,500}", re.ASCII)
_WANTED = frozenset(
    {b"host", b"accept", b"if-none-match", b"if-modified-since", b"access-control-request-headers", b"authorization"}
)
_PRIVATE = (b"cache-control", b"private, no-cache")  # an image not everyone may have: no shared cache keeps it

_LD_JSON = f'application/ld+json;profile="{CONTEXT}"'.encode()
_CONTEXT_LINK = f'<{CONTEXT}>;rel="http://www.w3.org/ns/json-ld#context";type="application/ld+json"'
_PROFILE_LINK = f'<{PROFILE_URI}>;rel="profile"'
_CORS: Headers = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-expose-headers", b"Link, ETag, Last-Modified"),
]
_NOT_FOUND = IIIFError(404, "no image with this identifier")
_MEMO_ENTRIES = 8192
MemoKey = tuple[bytes, bytes | None, bytes | None]


@dataclass(slots=True)
class _Memo:
    """What a remembered request is answered with: info.json's whole answer, or an image's headers
    (less Content-Length) and what makes its bytes, without its pyramid: the memo holds no file
    open (the pyramid store bounds those)."""

    resolution: object  # the resolver answer it depends on (see ``ImageService.usable``)
    identifier: str
    headers: Headers
    body: bytes = b""
    image: _MemoImage | None = None


@dataclass(slots=True)
class _MemoImage:
    """A ``PreparedImage`` less its pyramid."""

    request: ResolvedRequest
    stored: StoredImage
    validators: Validators
    tile: AlignedTile | None
    passthrough: bool

    @classmethod
    def of(cls, p: PreparedImage) -> _MemoImage:
        return cls(p.request, p.stored, p.validators, p.tile, p.passthrough)

    def prepared(self, identifier: str, pyramid: Pyramid) -> PreparedImage:
        return PreparedImage(
            identifier, self.request, self.stored, pyramid, self.validators, self.tile, self.passthrough
        )


def _memo_key(scope: Scope) -> MemoKey | None:
    """Raw path, Host and Accept of an unconditional request (conditional ones are not remembered)."""
    raw = scope.get("raw_path")
    if not raw:
        return None
    host = accept = None
    for name, value in scope["headers"]:
        if name == b"host":
            host = value
        elif name == b"accept":
            accept = value
        elif name == b"if-none-match" or name == b"if-modified-since" or name == b"authorization":
            return None  # an answer to one caller's credentials is never remembered for others
    return raw, host, accept


def authorization_only(scope: Scope) -> Credentials:
    """The default credentials of a request: its Authorization header alone."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            return Credentials(value.decode("latin-1"))
    return ANONYMOUS


CredentialsOf = Callable[[Scope], Credentials]


def _shared(resolution: Any) -> bool:
    """Whether anyone may have the image (else no shared cache may keep it)."""
    image = getattr(resolution, "image", None)
    return image is None or image.public


def _anyones(resolution: Any) -> bool:
    """Whether an answer came from anyone's resolution (so that it may be remembered for anyone)."""
    return getattr(resolution, "credentials", None) == ANONYMOUS


def _route_path(scope: Scope) -> str:
    """The path below the mount point, decoded, starting with '/'."""
    path, root = scope["path"], scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def _etag_matches(header: str, etag: str) -> bool:
    """Weak comparison against each entity-tag of an If-None-Match list (ours contain commas)."""
    if header.strip() == "*":
        return True
    return etag in _ENTITY_TAG.findall(header)


def _not_modified(headers: dict[bytes, bytes], v: Validators) -> bool:
    if_none_match = headers.get(b"if-none-match")
    if if_none_match is not None:  # takes precedence over If-Modified-Since (RFC 9110)
        return _etag_matches(if_none_match.decode("latin-1"), v.etag)
    since = headers.get(b"if-modified-since")
    if since is None:
        return False
    try:
        when = parsedate_to_datetime(since.decode("latin-1"))
    except (TypeError, ValueError, IndexError):
        return False
    return v.modified <= (when if when.tzinfo else when.replace(tzinfo=UTC))


class ImageEndpoint:
    """The ASGI app behind the route; see the module doc."""

    def __init__(
        self, service: ImageService, config: ImageServerConfig, credentials: CredentialsOf = authorization_only
    ) -> None:
        self.service = service
        self._credentials = credentials
        self._config = config
        self._cache_control = (b"cache-control", config.cache_control.encode("latin-1"))
        self._configured_base = config.base_url.rstrip("/") if config.base_url else ""
        self._bases: LRU[tuple[str, bytes, str], str] = LRU(64)
        self._memo: dict[MemoKey, _Memo] = {}  # only touched on the event loop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        method = scope["method"]
        key = _memo_key(scope) if method == "GET" else None
        if key is not None:
            memo = self._memo.get(key)
            if (
                memo is not None
                and self.service.usable(memo.resolution, memo.identifier)  # type: ignore[arg-type]
                and await self._remembered(memo, send)
            ):
                return
        try:
            status, headers, body = await self._dispatch(scope, method, key)
        except IIIFError as exc:
            status, headers, body = self._error(exc.status, exc.message, exc.retry_after)
        except Exception:
            log.exception("unexpected error in the image server")
            status, headers, body = self._error(500, "internal server error")
        if status not in (204, 304):
            headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})

    async def _remembered(self, memo: _Memo, send: Send) -> bool:
        """Answer from the memo; False (nothing sent) when the image's pyramid is no longer open."""
        image = memo.image
        if image is None:
            headers, body = list(memo.headers), memo.body  # a copy: middleware may edit the list
        else:
            service = self.service
            cached = service.cached_body(memo.identifier, image.request, image.stored)
            if cached is None:
                pyramid = service.open_pyramid(image.stored)
                if pyramid is None:
                    return False
                prepared = image.prepared(memo.identifier, pyramid)
                cached = service.ready_body(prepared)
                if cached is None:
                    try:
                        cached = await service.render_body(prepared)
                    except IIIFError as exc:
                        status, headers, body = self._error(exc.status, exc.message, exc.retry_after)
                        headers.append((b"content-length", str(len(body)).encode()))
                        await send({"type": "http.response.start", "status": status, "headers": headers})
                        await send({"type": "http.response.body", "body": body})
                        return True
            body = cached
            headers = [*memo.headers, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return True

    def _remember(self, key: MemoKey, memo: _Memo) -> None:
        memos = self._memo
        if len(memos) >= _MEMO_ENTRIES:
            try:
                del memos[next(iter(memos))]  # the oldest: a plain dict keeps insertion order
            except (KeyError, RuntimeError, StopIteration):
                memos.clear()
        memos[key] = memo

    def _error(self, status: int, message: str, retry_after: int | None = None) -> Answer:
        headers = [*_CORS, (b"content-type", b"application/json")]
        if status == 405:
            headers.append((b"allow", b"GET, HEAD, OPTIONS"))
        if retry_after is not None:
            headers.append((b"retry-after", str(retry_after).encode()))
        return status, headers, error_body(status, message)

    async def _dispatch(self, scope: Scope, method: str, key: MemoKey | None) -> Answer:
        headers = {k: v for k, v in scope["headers"] if k in _WANTED}
        if method == "OPTIONS":
            return self._preflight(headers)
        if method not in ("GET", "HEAD"):
            raise IIIFError(405, "only GET, HEAD and OPTIONS are supported")
        raw = scope.get("raw_path") or b""
        if b"%2f" in raw or b"%2F" in raw or b"%5c" in raw or b"%5C" in raw:
            raise _NOT_FOUND  # an encoded slash can only be in an identifier, and ours have none
        segments = _route_path(scope)[1:].split("/")
        identifier = segments[0]
        if not _IDENTIFIER.fullmatch(identifier) or ".." in identifier:
            raise _NOT_FOUND
        if len(segments) == 1 or segments[1:] == [""]:
            await self.service.check(identifier, self._credentials(scope))
            location = f"{self._base(scope, headers)}/{identifier}/info.json"
            return 303, [*_CORS, (b"location", location.encode())], b""
        if segments[1:] == ["info.json"]:
            return await self._info(scope, headers, identifier, key)
        if len(segments) == 5:
            return await self._image(scope, headers, identifier, "/".join(segments[1:]), key)
        raise _NOT_FOUND

    def _base(self, scope: Scope, headers: dict[bytes, bytes]) -> str:
        """The public URL of the mount point: configured, or from the request (Host checked)."""
        if self._configured_base:
            return self._configured_base
        key = (scope.get("scheme", "http"), headers.get(b"host", b""), scope.get("root_path", ""))
        base = self._bases.get(key)
        if base is None:
            host = key[1].decode("latin-1")
            if not _HOST.fullmatch(host):
                server = scope.get("server") or ("localhost", None)
                host = server[0] if server[1] in (None, 80, 443) else f"{server[0]}:{server[1]}"
            base = f"{key[0]}://{host}{quote(key[2], safe='/')}"
            self._bases.put(key, base)
        return base

    def _refused_info(self, exc: AccessDenied, image_id: str) -> Answer:
        """A refused info.json that still declares the image's authorization services (Auth 1.0
        clients, Mirador's among them, read them from this answer), with the error."""
        body = {
            "@context": [*exc.contexts, CONTEXT],
            "id": image_id,
            "type": "ImageService3",
            "protocol": PROTOCOL,
            "profile": PROFILE,
            "service": list(exc.services),
            "error": {"status": exc.status, "message": exc.message},
        }
        headers = [*_CORS, (b"content-type", b"application/json"), _PRIVATE]
        return exc.status, headers, json.dumps(body).encode()

    def _preflight(self, headers: dict[bytes, bytes]) -> Answer:
        answer = [
            (b"access-control-allow-origin", b"*"),
            (b"access-control-allow-methods", b"GET, HEAD, OPTIONS"),
            (b"access-control-max-age", b"86400"),
        ]
        requested = headers.get(b"access-control-request-headers", b"")
        if _HEADER_LIST.fullmatch(requested.decode("latin-1")):
            answer.append((b"access-control-allow-headers", requested))
        return 204, answer, b""

    def _validator_headers(self, v: Validators, shared: bool = True) -> Headers:
        return [
            *_CORS,
            (b"etag", v.etag.encode()),
            (b"last-modified", v.last_modified.encode()),
            self._cache_control if shared else _PRIVATE,
        ]

    async def _info(self, scope: Scope, headers: dict[bytes, bytes], identifier: str, key: MemoKey | None) -> Answer:
        base = self._base(scope, headers)
        try:
            doc, resolution = await self.service.info_with_resolution(
                identifier, base, f"{base}/{identifier}", self._credentials(scope)
            )
        except AccessDenied as exc:
            if not exc.services:
                raise
            return self._refused_info(exc, f"{base}/{identifier}")
        answer = self._validator_headers(doc.validators, _shared(resolution))
        answer.append((b"vary", b"Accept"))
        accept = headers.get(b"accept")
        # No Accept header: JSON-LD, as the spec says; an Accept without it: plain JSON plus context link.
        if accept is None or b"application/ld+json" in accept:
            answer += [(b"content-type", _LD_JSON), (b"link", _PROFILE_LINK.encode())]
        else:
            answer += [
                (b"content-type", b"application/json"),
                (b"link", f"{_CONTEXT_LINK}, {_PROFILE_LINK}".encode()),
            ]
        if _not_modified(headers, doc.validators):
            return 304, answer, b""
        if key is not None and _anyones(resolution):
            whole = [*answer, (b"content-length", str(len(doc.body)).encode())]
            self._remember(key, _Memo(resolution, identifier, whole, doc.body))
        return 200, answer, doc.body

    async def _image(
        self, scope: Scope, headers: dict[bytes, bytes], identifier: str, text: str, key: MemoKey | None
    ) -> Answer:
        prepared, resolution = await self.service.prepare_with_resolution(identifier, text, self._credentials(scope))
        answer = self._validator_headers(prepared.validators, _shared(resolution))
        canonical = f"{self._base(scope, headers)}/{identifier}/{prepared.request.canonical}"
        answer.append((b"link", f'<{canonical}>;rel="canonical", {_PROFILE_LINK}'.encode()))
        if _not_modified(headers, prepared.validators):
            return 304, answer, b""
        body = await self.service.body(prepared)
        answer.append((b"content-type", prepared.request.media_type.encode()))
        if key is not None and _anyones(resolution):
            self._remember(key, _Memo(resolution, identifier, list(answer), image=_MemoImage.of(prepared)))
        return 200, answer, body


class ImageMount(BaseRoute):
    """The image server at ``path`` (``/iiif/3``) of a Starlette app, like a ``Mount``
    but matched by a string prefix and without a nested router: every request below it reaches the
    endpoint, ``root_path`` set as a Mount sets it."""

    def __init__(self, path: str, endpoint: ImageEndpoint) -> None:
        self.path = path.rstrip("/")
        self._below = self.path + "/"
        self.endpoint = endpoint

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http":
            return Match.NONE, {}
        path, root = scope["path"], scope.get("root_path", "")
        if root and path.startswith(root):  # as Starlette's get_route_path
            path = "" if path == root else path[len(root) :] if path[len(root)] == "/" else path
        if path == self.path or path.startswith(self._below):
            return Match.FULL, {"app_root_path": scope.get("app_root_path", root), "root_path": root + self.path}
        return Match.NONE, {}

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.endpoint(scope, receive, send)


def image_mount(
    path: str, resolver: ImageResolver, config: ImageServerConfig, credentials: CredentialsOf = authorization_only
) -> ImageMount:
    """One route serving the image server at ``path`` (``/iiif/3``): the lean form of the Mount above."""
    return ImageMount(path, ImageEndpoint(ImageService(resolver, config), config, credentials))
