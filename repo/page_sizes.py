"""Pixel sizes of stored images read from their headers, over ranged reads: a few kilobytes from
storage, never the pixels."""

from __future__ import annotations

import io
import logging

import pyvips
from PIL import Image

from storage.base import Storage
from storage.errors import StorageError

BLOCK = 64 * 1024

log = logging.getLogger("muniment.lifecycle")


class RangeFile(io.RawIOBase):
    """A seekable, read-only file over one stored object, fetched in blocks as it is read."""

    def __init__(self, storage: Storage, key: str) -> None:
        self._storage = storage
        self._key = key
        self._size = storage.head(key).size
        self._pos = 0
        self._blocks: dict[int, bytes] = {}

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._pos >= self._size:
            return 0
        index = self._pos // BLOCK
        if index not in self._blocks:
            self._blocks[index] = self._storage.get_bytes(self._key, index * BLOCK, (index + 1) * BLOCK)
        block = self._blocks[index]
        chunk = block[self._pos - index * BLOCK :][: len(buffer)]
        buffer[: len(chunk)] = chunk
        self._pos += len(chunk)
        return len(chunk)


def image_size(storage: Storage, key: str) -> tuple[int, int] | None:
    """(width, height) from the image's header, or None when it cannot be read."""
    try:
        local = storage.local_path(key)
        with io.BufferedReader(RangeFile(storage, key), BLOCK) as stream:
            try:
                image = (
                    pyvips.Image.new_from_file(local)
                    if local
                    else pyvips.Image.new_from_source(_source(stream), "", access="sequential")
                )
                return int(image.width), int(image.height)
            except pyvips.Error:
                stream.seek(0)
                with Image.open(stream) as im:  # JPEG 2000: libvips here has no loader for it
                    return im.size
    except (StorageError, OSError, ValueError, pyvips.Error, Image.DecompressionBombError) as exc:
        log.warning("cannot read the image header of %s: %s", key, exc)
        return None


def _source(stream: io.BufferedIOBase) -> pyvips.SourceCustom:
    source = pyvips.SourceCustom()
    source.on_read(stream.read)
    source.on_seek(stream.seek)
    return source
