"""Open pyramids: the TIFF structure read once, a byte source for tiles, and decoder handles per
level, kept in an LRU so that a viewer's many requests for one image reuse them.

The LRU is bounded by open files, not by pyramids: each holds one file for its byte source and one
more per decoder handle (libvips opens the file again for each; a level has one per render it had
at once), so a bound on pyramids alone let a worker hold 256 x 7 files, past the usual limit of
1024 per process."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

import pyvips

from iiif.image.cache import SizedLRU
from iiif.image.source import LocalCopies, LocalFileSource, StorageRangeSource
from iiif.image.tiff import ByteSource, Level, PyramidInfo, read_pyramid
from storage import Storage
from storage.errors import NotFound


@dataclass(frozen=True)
class StoredImage:
    """Which stored object holds a pyramid, and which version of it."""

    storage: Storage
    key: str
    modified: datetime

    @cached_property
    def version(self) -> str:
        return f"{self.storage.location}\0{self.key}\0{self.modified.isoformat()}"

    @cached_property
    def tag(self) -> str:
        """A short digest of ``version``, for ETags."""
        return hashlib.blake2b(self.version.encode(), digest_size=9).hexdigest()


class Pyramid:
    """One open pyramid; safe to use from several render threads at once."""

    def __init__(
        self,
        info: PyramidInfo,
        source: ByteSource,
        local_path: Callable[[], str],
        on_files: Callable[[Pyramid], None] | None = None,
    ) -> None:
        self.info = info
        self.source = source
        self._local_path = local_path
        self._free: dict[int, list[pyvips.Image]] = {}  # decoder handles by level, none in use
        self._handles = 0  # open decoder handles, in use or free
        self._lock = threading.Lock()
        self._on_files = on_files  # told after a handle is opened or dropped (the store counts files)

    @property
    def files(self) -> int:
        """Files this pyramid holds open: its byte source's and one per decoder handle."""
        return 1 + self._handles

    @contextmanager
    def level_image(self, level: Level) -> Iterator[pyvips.Image]:
        """A decoder handle on one level (libvips reads only the tiles a crop needs) for the block
        alone, kept for the next render when the block ends without an error.

        Two renders never share a handle: libvips passes a stopped render's kill flag up its
        pipeline to the handle, where it stopped the other renders reading it (7 of 10 concurrent
        renders of one level failed in a test, libvips 8.18), so a handle whose render failed is
        dropped rather than kept, and a stop that came as a render ended is cleared before the
        handle is kept. A level has as many handles as it had renders at once."""
        index = self.info.levels.index(level)
        with self._lock:
            free = self._free.get(index)
            image = free.pop() if free else None
        if image is None:
            image = self._open_level(index, level)
        try:
            yield image
        except BaseException:
            with self._lock:
                self._handles -= 1
            self._files_changed()
            raise
        image.set_kill(False)
        with self._lock:
            self._free.setdefault(index, []).append(image)

    def _open_level(self, index: int, level: Level) -> pyvips.Image:
        options: dict[str, object] = {"page": level.page, "access": "random", "revalidate": True}
        if level.subifd >= 0:
            options["subifd"] = level.subifd
        image = pyvips.Image.tiffload(self._local_path(), **options)
        if (image.width, image.height) != (level.width, level.height):
            raise pyvips.Error(f"level {index} is {image.width}x{image.height}, not as its directory says")
        with self._lock:
            self._handles += 1
        self._files_changed()
        return image

    def _files_changed(self) -> None:
        if self._on_files is not None:
            self._on_files(self)

    def tile(self, level: Level, col: int, row: int) -> bytes:
        """The stored bytes of one tile, as they are in the file."""
        index = row * level.tiles_across + col
        return self.source.read_at(level.tile_offsets[index], level.tile_byte_counts[index])


class PyramidStore:
    """Open pyramids by stored version, least recently used dropped past ``max_open`` pyramids or
    ``max_files`` open files (the one in use is kept, however many it holds).

    A dropped pyramid is closed when the last render using it finishes (its handles are freed with it).
    """

    def __init__(self, max_open: int, copies: LocalCopies, max_files: int = 512) -> None:
        # libvips' operation cache (process-wide) would keep decoders, their files and buffers of
        # past renders beyond this bound, and hand one render's image (with its stop flag)
        # to the next identical one; the image server caches encoded answers instead.
        pyvips.cache_set_max(0)
        self._open: SizedLRU[str, Pyramid] = SizedLRU(max_files, lambda p: p.files, max_entries=max_open)
        self._copies = copies

    @property
    def files(self) -> int:
        """Open files of the pyramids held (those of dropped ones still rendering not counted)."""
        return self._open.size

    def get(self, stored: StoredImage) -> Pyramid | None:
        return self._open.get(stored.version)

    def open(self, stored: StoredImage) -> Pyramid:
        """Blocking: reads the TIFF structure. Raises ``NotFound``, ``TiffError`` or a storage error."""
        pyramid = self._open.get(stored.version)
        if pyramid is not None:
            return pyramid
        storage, key = stored.storage, stored.key
        path = storage.local_path(key)
        source: ByteSource
        if path is not None:
            try:
                source = LocalFileSource(path)
            except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
                raise NotFound(key, storage.location) from None
            local_path: Callable[[], str] = lambda: path  # noqa: E731
        else:
            source = StorageRangeSource(storage, key, storage.head(key).size)
            copies, version = self._copies, stored.version
            local_path = lambda: copies.path_for(storage, key, version)  # noqa: E731
        held, version = self._open, stored.version
        pyramid = Pyramid(read_pyramid(source), source, local_path, lambda _: held.resize(version))
        self._open.put(stored.version, pyramid)
        return pyramid
