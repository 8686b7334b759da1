"""The image server without HTTP: identifiers to pyramids, requests to encoded bytes, with caches.

Everything that can be remembered is: resolver answers (for ``resolve_ttl`` seconds), open
pyramids, parsed and resolved requests, info.json bytes and encoded images. Encoded images are
keyed by the ``ResolvedRequest`` (see ``iiif.image.request``), so every URL of the same pixels
shares one entry; in front of it, memos by the URL text: ``parse_request``'s and the resolved
requests' (a string keeps its hash; hashing a parsed value's Fractions on first sight cost 5 to 8%
of a request whose bytes were cached, measured by bench/iiif_lane.py, and an equivalent text costs
only one more resolve, about 25 us). Blocking work (the
resolver, reading a TIFF's structure, rendering) runs in worker threads; rendering is bounded by
``render_concurrency`` slots (``RenderGate``): a burst waits briefly, then is told to come back
(503 with Retry-After), and each render has a deadline (asyncio event loops only).

A resolver answer in use is asked for again in the background shortly before its ``resolve_ttl``
runs out (an unchanged answer is then kept, a changed one replaces it), so that requests never
wait for the catalog once an image is being viewed; an answer is never used past its time. Work
that cannot block and is short is done without leaving the event loop: cache hits, and stored
tiles (passed through or re-encoded) when the operating system already holds their bytes in memory.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import anyio
import anyio.to_thread
import pyvips

from iiif.image.cache import LRU, ResponseCache
from iiif.image.config import ImageServerConfig
from iiif.image.errors import AccessDenied, IIIFError, ServerBusy
from iiif.image.fastpath import AlignedTile, aligned_tile, serve_tile, standalone_jpeg
from iiif.image.gate import RenderGate
from iiif.image.info import info_json
from iiif.image.memory import limit_malloc_arenas
from iiif.image.pyramid import Pyramid, PyramidStore, StoredImage
from iiif.image.render import render
from iiif.image.request import ImageRequest, ResolvedRequest, parse_request, resolve
from iiif.image.resolver import ANONYMOUS, Credentials, ImageResolver, ResolvedImage
from iiif.image.source import LocalCopies
from storage.errors import NotFound, StorageUnavailable

log = logging.getLogger("muniment.iiif")

_NOT_FOUND = "no image with this identifier"
_INLINE_TILE_PIXELS = 512 * 512
_REFRESH_AHEAD = 0.2  # of resolve_ttl
# Renders of more pixels than this take at most all slots but one (``RenderGate``): a 4-megapixel
# JPEG is about a quarter of a second of CPU here, a tile a few milliseconds.
_HEAVY_PIXELS = 4_000_000


@dataclass(eq=False)
class _Resolution:
    """A resolver answer, reused until ``expires``: an image or the error to repeat.

    A newer, different answer *supersedes* it; an unchanged one only moves ``expires`` on."""

    expires: float
    error: IIIFError | None = None
    image: ResolvedImage | None = None
    stored: StoredImage | None = None
    modified: datetime | None = None
    last_modified: str = ""
    superseded: bool = False
    refreshing: bool = False
    credentials: Credentials = ANONYMOUS  # whose answer it is: reused for the same credentials only

    def same_answer(self, other: _Resolution) -> bool:
        if self.error is not None or other.error is not None:
            return (
                self.error is not None
                and other.error is not None
                and type(self.error) is type(other.error)
                and (self.error.status, self.error.message) == (other.error.status, other.error.message)
            )
        return self.image == other.image


def _may_see_more(resolution: _Resolution) -> bool:
    """Whether anyone's answer leaves something that credentials could open."""
    if resolution.error is not None:
        return resolution.error.status in (401, 403)
    return resolution.image is not None and resolution.image.max_size is not None


def within_public_size(request: ResolvedRequest, width: int, height: int, max_size: int) -> bool:
    """Whether a request shows no more detail than the whole image at ``max_size`` (longest side):
    a deep-zoom tile at full resolution is small, but it is the full image's detail."""
    scale = max_size / max(width, height, 1)
    if scale >= 1:
        return True
    return request.out_width <= max(1, round(request.width * scale)) and request.out_height <= max(
        1, round(request.height * scale)
    )


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
    tile: AlignedTile | None = None  # the stored tile that is exactly this request, if any
    passthrough: bool = False  # whether that tile is served as stored


@dataclass(frozen=True)
class InfoDocument:
    body: bytes
    validators: Validators


class ImageService:
    def __init__(self, resolver: ImageResolver, config: ImageServerConfig) -> None:
        self.config = config
        self.limits = config.limits
        self._resolver = resolver
        self._resolutions: LRU[tuple[str, Credentials], _Resolution] = LRU(16384)
        self._pyramids = PyramidStore(
            config.open_pyramids, LocalCopies(config.source_cache_dir, config.source_cache_bytes), config.open_files
        )
        self._responses = ResponseCache(config.cache_bytes)
        self._infos: LRU[tuple[str, str, str, int | None], InfoDocument] = LRU(4096)
        self._requests: LRU[tuple[str, int, int], ResolvedRequest] = LRU(16384)
        self._encoding = f"q{config.jpeg_quality}-p{int(config.allow_passthrough)}"
        self._renderers = ThreadPoolExecutor(config.workers, thread_name_prefix="iiif-render")
        self._gate = RenderGate(config.workers, queue=config.render_queue, wait=config.render_queue_wait)
        self._background: set[asyncio.Task[None]] = set()
        if config.vips_concurrency:
            pyvips.concurrency_set(config.vips_concurrency)
        if config.malloc_arenas:
            limit_malloc_arenas(config.malloc_arenas)

    @property
    def responses(self) -> ResponseCache:
        return self._responses

    # ------------------------------------------------------------------ identifiers to pyramids

    async def _lookup(self, identifier: str, credentials: Credentials) -> _Resolution:
        """Ask the resolver (in a worker thread)."""
        expires = time.monotonic() + (self.config.resolve_ttl if credentials == ANONYMOUS else 0)
        try:
            image = await anyio.to_thread.run_sync(self._resolver.resolve, identifier, credentials)
        except IIIFError as exc:  # AccessDenied included
            return _Resolution(expires, error=exc, credentials=credentials)
        except (LookupError, NotFound):
            return _Resolution(expires, error=IIIFError(404, _NOT_FOUND), credentials=credentials)
        except StorageUnavailable as exc:
            raise _storage_unavailable(exc) from None
        modified = image.modified if image.modified.tzinfo else image.modified.replace(tzinfo=UTC)
        return _Resolution(
            expires,
            image=image,
            stored=StoredImage(image.storage, image.key, modified),
            modified=modified.replace(microsecond=0),
            last_modified=format_datetime(modified.astimezone(UTC), usegmt=True),
            credentials=credentials,
        )

    async def _resolve(self, identifier: str, credentials: Credentials) -> _Resolution:
        resolution = await self._lookup(identifier, credentials)
        old = self._resolutions.get((identifier, credentials))
        if old is not None and old is not resolution:
            old.superseded = True
        self._resolutions.put((identifier, credentials), resolution)
        return resolution

    def usable(self, resolution: _Resolution, identifier: str) -> bool:
        """Whether an answer may still be used. In the last fifth of its time it is asked again in
        the background (used meanwhile): an image being viewed never waits for the resolver."""
        if resolution.superseded:
            return False
        now = time.monotonic()
        if now >= resolution.expires:
            return False
        if not resolution.refreshing and now >= resolution.expires - _REFRESH_AHEAD * self.config.resolve_ttl:
            self._refresh_later(identifier, resolution)
        return True

    def _refresh_later(self, identifier: str, old: _Resolution) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        old.refreshing = True
        task = loop.create_task(self._refresh(identifier, old))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _refresh(self, identifier: str, old: _Resolution) -> None:
        try:
            new = await self._lookup(identifier, old.credentials)
            if old.superseded:
                return
            if old.same_answer(new):
                old.expires = new.expires
            else:
                old.superseded = True
                self._resolutions.put((identifier, old.credentials), new)
        except Exception:  # the next request past the grace period asks again, and sees the error
            log.warning("resolver refresh failed for %s", identifier, exc_info=True)
        finally:
            old.refreshing = False

    async def _open(self, identifier: str, credentials: Credentials = ANONYMOUS) -> tuple[_Resolution, Pyramid]:
        # Anyone's answer first: a public image costs no credential lookups, whoever asks. Only when
        # it refuses, or allows only small sizes, are the caller's credentials asked about, and that
        # answer is never reused: a reader who signs out is refused from the next request on.
        resolution = self._resolutions.get((identifier, ANONYMOUS))
        if resolution is None or not self.usable(resolution, identifier):
            resolution = await self._resolve(identifier, ANONYMOUS)
        if credentials != ANONYMOUS and _may_see_more(resolution):
            resolution = await self._lookup(identifier, credentials)
        if resolution.error is not None:
            raise resolution.error
        assert resolution.stored is not None
        # Looked up in the store each time: nothing else holds pyramids open past its bound.
        pyramid = self._pyramids.get(resolution.stored)
        if pyramid is None:
            pyramid = await self._run(self._pyramids.open, resolution.stored)
        return resolution, pyramid

    async def _run(self, fn: Any, *args: Any, slot: bool | None = None) -> Any:
        """Run blocking work in a worker thread, translating failures into client-safe errors.

        Renders (``slot``: the gate slot they hold, heavy or not) go to the server's own pool of
        ``render_concurrency`` threads: a hop there costs about half of one through anyio's pool,
        and a tile's whole work is a few milliseconds. Their slot is given back when the thread is
        done, not when the client leaves: the pool never queues more than it has slots.
        """
        try:
            if slot is not None:
                return await asyncio.wrap_future(self._submit(fn, args, slot))
            return await anyio.to_thread.run_sync(fn, *args)
        except IIIFError:
            raise
        except NotFound:
            where = getattr(args[0], "stored", args[0]) if args else ""
            log.warning("image file missing from storage: %s", getattr(where, "key", where))
            raise IIIFError(404, _NOT_FOUND) from None
        except StorageUnavailable as exc:
            raise _storage_unavailable(exc) from None
        except Exception:
            log.exception("image could not be read or rendered")
            raise IIIFError(500, "the image could not be read") from None

    def _submit(self, fn: Any, args: tuple[Any, ...], heavy: bool) -> Future[Any]:
        loop, gate = asyncio.get_running_loop(), self._gate

        def done(_: Future[Any]) -> None:
            try:
                loop.call_soon_threadsafe(gate.release, heavy)
            except RuntimeError:  # the loop is closed: nothing waits for the slot any more
                pass

        try:
            future = self._renderers.submit(fn, *args)
        except BaseException:
            gate.release(heavy)
            raise
        future.add_done_callback(done)
        return future

    async def check(self, identifier: str, credentials: Credentials = ANONYMOUS) -> None:
        """Raise the ``IIIFError`` a request for this image would get (404, 401, ...), if any."""
        await self._open(identifier, credentials)

    # ------------------------------------------------------------------------------ info.json

    async def info(
        self, identifier: str, base_url: str, image_id: str, credentials: Credentials = ANONYMOUS
    ) -> InfoDocument:
        """The info.json of ``identifier``, its ``id`` being ``image_id`` (built once per base URL)."""
        return (await self.info_with_resolution(identifier, base_url, image_id, credentials))[0]

    async def info_with_resolution(
        self, identifier: str, base_url: str, image_id: str, credentials: Credentials = ANONYMOUS
    ) -> tuple[InfoDocument, _Resolution]:
        """``info`` and the resolver answer it depends on (for ``usable``)."""
        resolution, pyramid = await self._open(identifier, credentials)
        assert resolution.stored is not None and resolution.image is not None
        image = resolution.image
        key = (identifier, base_url, resolution.stored.version, image.max_size)
        doc = self._infos.get(key)
        if doc is None:
            body = info_json(
                image_id, pyramid.info, self.limits, image.rights, image.max_size, image.services, image.contexts
            )
            assert resolution.modified is not None
            etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
            validators = Validators(etag, resolution.last_modified, resolution.modified)
            doc = InfoDocument(body, validators)
            self._infos.put(key, doc)
        return doc, resolution

    # --------------------------------------------------------------------------------- images

    async def prepare(self, identifier: str, request_text: str, credentials: Credentials = ANONYMOUS) -> PreparedImage:
        """Parse and resolve an image request; nothing is decoded. Raises ``IIIFError``."""
        request = parse_request(request_text)  # 400 before the resolver is even asked
        resolution, pyramid = await self._open(identifier, credentials)
        return self._prepared(identifier, request_text, request, resolution, pyramid)

    async def prepare_with_resolution(
        self, identifier: str, request_text: str, credentials: Credentials = ANONYMOUS
    ) -> tuple[PreparedImage, _Resolution]:
        request = parse_request(request_text)
        resolution, pyramid = await self._open(identifier, credentials)
        return self._prepared(identifier, request_text, request, resolution, pyramid), resolution

    def _prepared(
        self, identifier: str, text: str, request: ImageRequest, resolution: _Resolution, pyramid: Pyramid
    ) -> PreparedImage:
        stored = resolution.stored
        assert stored is not None and resolution.modified is not None
        info = pyramid.info
        key = (text, info.width, info.height)  # by text: see the module doc
        resolved = self._requests.get(key)
        if resolved is None:
            resolved = resolve(request, info.width, info.height, self.limits)
            self._requests.put(key, resolved)
        max_size = resolution.image.max_size if resolution.image is not None else None
        if max_size is not None and not within_public_size(resolved, info.width, info.height, max_size):
            image = resolution.image
            assert image is not None
            raise AccessDenied(
                401,
                f"only sizes up to {max_size} pixels of this image are public: sign in for more",
                image.services,
                image.contexts,
            )
        # The canonical request is ETag-safe text (no quotes or spaces): no need to hash it.
        etag = f'"{stored.tag}-{self._encoding}-{resolved.canonical}"'
        validators = Validators(etag, resolution.last_modified, resolution.modified)
        tile = aligned_tile(info, resolved)
        passthrough = bool(
            tile is not None
            and self.config.allow_passthrough
            and tile.whole
            and (tile.level.jpeg_tables is None or tile.level.jpeg_tables.startswith(b"\xff\xd8"))
        )
        return PreparedImage(identifier, resolved, stored, pyramid, validators, tile, passthrough)

    def open_pyramid(self, stored: StoredImage) -> Pyramid | None:
        """The pyramid if it is open (no waiting), else None."""
        return self._pyramids.get(stored)

    def cached_body(self, identifier: str, request: ResolvedRequest, stored: StoredImage) -> bytes | None:
        return self._responses.get(identifier, request, stored.version)

    def ready_body(self, prepared: PreparedImage) -> bytes | None:
        """The encoded image if it can be had without waiting: cached, or a stored tile whose bytes
        the operating system holds in memory, passed through or re-encoded right here. Else None.

        Re-encoding one tile (at most ``_INLINE_TILE_PIXELS``) takes about 2 ms of CPU on the event
        loop; handing it to a thread cost 0.4 to 1 ms more CPU per tile, measured (caches of the
        other core), and the loop is one of as many worker processes as there are cores."""
        body = self._responses.get(prepared.identifier, prepared.request, prepared.stored.version)
        tile = prepared.tile
        if body is not None or tile is None:
            return body
        level = tile.level
        if not prepared.passthrough and level.tile_width * level.tile_height > _INLINE_TILE_PIXELS:
            return None
        read = getattr(prepared.pyramid.source, "read_at_nowait", None)
        if read is None:
            return None
        index = tile.row * level.tiles_across + tile.col
        data = read(level.tile_offsets[index], level.tile_byte_counts[index])
        if data is None:
            return None
        if prepared.passthrough:
            body = standalone_jpeg(level.jpeg_tables, data)
        else:
            try:
                body = serve_tile(
                    prepared.pyramid, tile, jpeg_quality=self.config.jpeg_quality, passthrough=False, stored=data
                )
            except Exception:  # damaged data: the worker thread's path reports it
                return None
        if body is not None:
            self._responses.put(prepared.identifier, prepared.request, prepared.stored.version, body)
        return body

    async def body(self, prepared: PreparedImage) -> bytes:
        """The encoded image: from the cache, else rendered in a worker thread and cached."""
        body = self.ready_body(prepared)
        return body if body is not None else await self.render_body(prepared)

    @property
    def gate(self) -> RenderGate:
        return self._gate

    async def render_body(self, prepared: PreparedImage) -> bytes:
        """The encoded image made in a worker thread (``ready_body`` had none), and cached.

        Raises ``ServerBusy`` when no render slot is free soon (see ``RenderGate``)."""
        heavy = prepared.request.pixels > _HEAVY_PIXELS
        await self._gate.acquire(heavy)
        body: bytes = await self._run(self._produce, prepared, slot=heavy)
        self._responses.put(prepared.identifier, prepared.request, prepared.stored.version, body)
        return body

    def _produce(self, prepared: PreparedImage) -> bytes:
        quality = self.config.jpeg_quality
        pyramid, tile = prepared.pyramid, prepared.tile
        if tile is not None:
            body = serve_tile(pyramid, tile, jpeg_quality=quality, passthrough=self.config.allow_passthrough)
            if body is not None:
                return body
        return render(pyramid, prepared.request, jpeg_quality=quality, timeout=self.config.render_timeout)


def _storage_unavailable(exc: StorageUnavailable) -> ServerBusy:
    """Storage out of reach is the server's trouble and passes: 503 with Retry-After, as the
    rest of the site answers (``app.errors``); the endpoint and key go to the log only."""
    log.error("image storage is unavailable: %s", exc)
    return ServerBusy("image storage is unavailable, try again later", retry_after=exc.retry_after)
