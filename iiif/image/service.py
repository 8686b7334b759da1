"""The image server without HTTP: identifiers to pyramids, requests to encoded bytes, with caches.

Everything that can be remembered is: resolver answers (for ``resolve_ttl`` seconds), open
pyramids, parsed and resolved requests, info.json bytes and encoded images. Blocking work (the
resolver, reading a TIFF's structure, rendering) runs in worker threads; rendering is bounded by
``render_concurrency`` so that a burst queues instead of thrashing (asyncio event loops only).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import anyio
import anyio.to_thread

from iiif.image.cache import LRU, ResponseCache
from iiif.image.config import ImageServerConfig
from iiif.image.errors import IIIFError
from iiif.image.fastpath import aligned_tile, serve_tile
from iiif.image.info import info_json
from iiif.image.pyramid import Pyramid, PyramidStore, StoredImage
from iiif.image.render import render
from iiif.image.request import ResolvedRequest, parse_request, resolve
from iiif.image.resolver import ImageResolver, ResolvedImage
from iiif.image.source import LocalCopies
from storage.errors import NotFound, StorageUnavailable

log = logging.getLogger("muniment.iiif")

_NOT_FOUND = "no image with this identifier"


@dataclass
class _Resolution:
    """A resolver answer, reused until ``expires``: an image or the error to repeat."""

    expires: float
    error: IIIFError | None = None
    image: ResolvedImage | None = None
    stored: StoredImage | None = None
    modified: datetime | None = None
    last_modified: str = ""
    pyramid: Pyramid | None = None  # set once opened


@dataclass(frozen=True)
class Validators:
    """What conditional requests compare: ETag and Last-Modified (and its datetime)."""

    etag: str
    last_modified: str
    modified: datetime


@dataclass(frozen=True)
class PreparedImage:
    identifier: str
    request: ResolvedRequest
    stored: StoredImage
    pyramid: Pyramid
    validators: Validators


@dataclass(frozen=True)
class InfoDocument:
    body: bytes
    validators: Validators


class ImageService:
    def __init__(self, resolver: ImageResolver, config: ImageServerConfig) -> None:
        self.config = config
        self.limits = config.limits
        self._resolver = resolver
        self._resolutions: LRU[str, _Resolution] = LRU(65536)
        self._pyramids = PyramidStore(
            config.open_pyramids, LocalCopies(config.source_cache_dir, config.source_cache_bytes)
        )
        self._responses = ResponseCache(config.cache_bytes)
        self._infos: LRU[tuple[str, str, str], InfoDocument] = LRU(4096)
        self._requests: LRU[tuple[str, int, int], ResolvedRequest] = LRU(65536)
        self._encoding = f"q{config.jpeg_quality}-p{int(config.allow_passthrough)}"
        self._renderers = ThreadPoolExecutor(config.workers, thread_name_prefix="iiif-render")

    @property
    def responses(self) -> ResponseCache:
        return self._responses

    # ------------------------------------------------------------------ identifiers to pyramids

    async def _resolve(self, identifier: str) -> _Resolution:
        expires = time.monotonic() + self.config.resolve_ttl
        try:
            image = await anyio.to_thread.run_sync(self._resolver.resolve, identifier)
        except IIIFError as exc:  # AccessDenied included
            resolution = _Resolution(expires, error=exc)
        except (LookupError, NotFound):
            resolution = _Resolution(expires, error=IIIFError(404, _NOT_FOUND))
        except StorageUnavailable:
            raise IIIFError(503, "image storage is unavailable, try again later") from None
        else:
            modified = image.modified if image.modified.tzinfo else image.modified.replace(tzinfo=UTC)
            resolution = _Resolution(
                expires,
                image=image,
                stored=StoredImage(image.storage, image.key, modified),
                modified=modified.replace(microsecond=0),
                last_modified=format_datetime(modified.astimezone(UTC), usegmt=True),
            )
        self._resolutions.put(identifier, resolution)
        return resolution

    async def _open(self, identifier: str) -> tuple[_Resolution, Pyramid]:
        resolution = self._resolutions.get(identifier)
        if resolution is None or resolution.expires <= time.monotonic():
            resolution = await self._resolve(identifier)
        if resolution.error is not None:
            raise resolution.error
        pyramid = resolution.pyramid
        if pyramid is None:
            assert resolution.stored is not None
            pyramid = self._pyramids.get(resolution.stored)
            if pyramid is None:
                pyramid = await self._run(self._pyramids.open, resolution.stored, limited=False)
            resolution.pyramid = pyramid
        return resolution, pyramid

    async def _run(self, fn: Any, *args: Any, limited: bool = True) -> Any:
        """Run blocking work in a worker thread, translating failures into client-safe errors.

        Renders go to the server's own pool of ``render_concurrency`` threads: a hop there costs
        about half of one through anyio's pool, and a tile's whole work is a few milliseconds.
        """
        try:
            if limited:
                return await asyncio.get_running_loop().run_in_executor(self._renderers, fn, *args)
            return await anyio.to_thread.run_sync(fn, *args)
        except IIIFError:
            raise
        except NotFound:
            log.warning("image file missing from storage: %s", args[0] if args else "")
            raise IIIFError(404, _NOT_FOUND) from None
        except StorageUnavailable:
            raise IIIFError(503, "image storage is unavailable, try again later") from None
        except Exception:
            log.exception("image could not be read or rendered")
            raise IIIFError(500, "the image could not be read") from None

    async def check(self, identifier: str) -> None:
        """Raise the ``IIIFError`` a request for this image would get (404, 401, ...), if any."""
        await self._open(identifier)

    # ------------------------------------------------------------------------------ info.json

    async def info(self, identifier: str, base_url: str, image_id: str) -> InfoDocument:
        """The info.json of ``identifier``, its ``id`` being ``image_id`` (built once per base URL)."""
        resolution, pyramid = await self._open(identifier)
        assert resolution.stored is not None and resolution.image is not None
        key = (identifier, base_url, resolution.stored.version)
        doc = self._infos.get(key)
        if doc is None:
            body = info_json(image_id, pyramid.info, self.limits, resolution.image.rights)
            assert resolution.modified is not None
            etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
            validators = Validators(etag, resolution.last_modified, resolution.modified)
            doc = InfoDocument(body, validators)
            self._infos.put(key, doc)
        return doc

    # --------------------------------------------------------------------------------- images

    async def prepare(self, identifier: str, request_text: str) -> PreparedImage:
        """Parse and resolve an image request; nothing is decoded. Raises ``IIIFError``."""
        request = parse_request(request_text)  # 400 before the resolver is even asked
        resolution, pyramid = await self._open(identifier)
        stored = resolution.stored
        assert stored is not None and resolution.modified is not None
        width, height = pyramid.info.width, pyramid.info.height
        # Memoized by text: hashing the parsed request (Fractions) would cost more than this lookup.
        resolved = self._requests.get((request_text, width, height))
        if resolved is None:
            resolved = resolve(request, width, height, self.limits)
            self._requests.put((request_text, width, height), resolved)
        # The canonical request is ETag-safe text (no quotes or spaces): no need to hash it.
        etag = f'"{stored.tag}-{self._encoding}-{resolved.canonical}"'
        validators = Validators(etag, resolution.last_modified, resolution.modified)
        return PreparedImage(identifier, resolved, stored, pyramid, validators)

    async def body(self, prepared: PreparedImage) -> bytes:
        """The encoded image: from the cache, else rendered in a worker thread and cached."""
        canonical, version = prepared.request.canonical, prepared.stored.version
        body = self._responses.get(prepared.identifier, canonical, version)
        if body is None:
            body = await self._run(self._produce, prepared.pyramid, prepared.request)
            self._responses.put(prepared.identifier, canonical, version, body)
        return body

    def _produce(self, pyramid: Pyramid, request: ResolvedRequest) -> bytes:
        quality = self.config.jpeg_quality
        tile = aligned_tile(pyramid.info, request)
        if tile is not None:
            body = serve_tile(pyramid, tile, jpeg_quality=quality, passthrough=self.config.allow_passthrough)
            if body is not None:
                return body
        return render(pyramid, request, jpeg_quality=quality)
