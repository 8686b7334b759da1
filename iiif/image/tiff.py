"""A small reader of the TIFF directory structure of a pyramid, read once per file.

It reads only what serving needs: level sizes, tile size, where each tile is (TileOffsets and
TileByteCounts) and the shared JPEG tables, from classic and BigTIFF files in either byte order.
Levels are the main image plus reduced-resolution pages (how libvips writes ``pyramid=True``) or
its SubIFDs (``subifd=True``). Pixels are never decoded here.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from typing import Protocol

from repo.errors import MunimentError

COMPRESSION_JPEG = 7
PHOTOMETRIC_MINISBLACK, PHOTOMETRIC_RGB, PHOTOMETRIC_YCBCR = 1, 2, 6

_NEW_SUBFILE_TYPE, _WIDTH, _HEIGHT, _BITS, _COMPRESSION, _PHOTOMETRIC = 254, 256, 257, 258, 259, 262
_SAMPLES, _PLANAR, _TILE_WIDTH, _TILE_HEIGHT, _TILE_OFFSETS, _TILE_COUNTS = 277, 284, 322, 323, 324, 325
_SUB_IFDS, _JPEG_TABLES = 330, 347
_WANTED = frozenset(
    {
        _NEW_SUBFILE_TYPE,
        _WIDTH,
        _HEIGHT,
        _BITS,
        _COMPRESSION,
        _PHOTOMETRIC,
        _SAMPLES,
        _PLANAR,
        _TILE_WIDTH,
        _TILE_HEIGHT,
        _TILE_OFFSETS,
        _TILE_COUNTS,
        _SUB_IFDS,
        _JPEG_TABLES,
    }
)
# TIFF field type -> (struct code, size); ASCII (2) and UNDEFINED (7) are kept as bytes.
_TYPES = {
    1: ("B", 1),
    2: ("s", 1),
    3: ("H", 2),
    4: ("I", 4),
    6: ("b", 1),
    7: ("s", 1),
    8: ("h", 2),
    9: ("i", 4),
    13: ("I", 4),
    16: ("Q", 8),
    17: ("q", 8),
    18: ("Q", 8),
}
_MAX_IFDS = 64
_MAX_ENTRIES = 4096
_MAX_VALUE_BYTES = 256 * 1024 * 1024


class TiffError(MunimentError, ValueError):
    """The file is not a TIFF pyramid this server can read."""


class ByteSource(Protocol):
    """Random access to the bytes of one stored file."""

    @property
    def size(self) -> int: ...

    def read_at(self, offset: int, length: int) -> bytes: ...


@dataclass(frozen=True)
class Level:
    """One resolution of the pyramid, ``scale`` times smaller than the full image."""

    width: int
    height: int
    scale: int  # a power of two
    page: int  # index of the directory in the main chain (pyvips ``page``)
    subifd: int  # index among the main image's SubIFDs (pyvips ``subifd``), -1 for a page
    tile_width: int  # 0 when stored in strips
    tile_height: int
    compression: int
    photometric: int
    samples: int
    bits: int
    planar: int
    tile_offsets: tuple[int, ...]
    tile_byte_counts: tuple[int, ...]
    jpeg_tables: bytes | None

    @property
    def tiles_across(self) -> int:
        return -(-self.width // self.tile_width) if self.tile_width else 0

    @property
    def jpeg_tiles(self) -> bool:
        """Whether each tile is a JPEG stream a decoder reads as is (8-bit, interleaved)."""
        return (
            self.tile_width > 0
            and self.compression == COMPRESSION_JPEG
            and self.bits == 8
            and self.planar == 1
            and (self.photometric, self.samples)
            in {(PHOTOMETRIC_MINISBLACK, 1), (PHOTOMETRIC_RGB, 3), (PHOTOMETRIC_YCBCR, 3)}
        )


@dataclass(frozen=True)
class PyramidInfo:
    width: int
    height: int
    bands: int
    levels: tuple[Level, ...]  # largest first; levels[0] is the full image


_Entries = dict[int, "tuple[int, ...] | bytes"]


class _Reader:
    def __init__(self, src: ByteSource) -> None:
        self.src = src
        head = src.read_at(0, 16)
        if head[:2] == b"II":
            self.endian = "<"
        elif head[:2] == b"MM":
            self.endian = ">"
        else:
            raise TiffError("not a TIFF file")
        magic = struct.unpack(self.endian + "H", head[2:4])[0]
        if magic == 42:
            self.big = False
            self.first = struct.unpack(self.endian + "I", head[4:8])[0]
        elif magic == 43:
            self.big = True
            self.first = struct.unpack(self.endian + "Q", head[8:16])[0]
        else:
            raise TiffError("not a TIFF file")

    def _read(self, offset: int, length: int) -> bytes:
        if offset < 0 or length < 0 or offset + length > self.src.size or length > _MAX_VALUE_BYTES:
            raise TiffError("TIFF structure points outside the file")
        data = self.src.read_at(offset, length)
        if len(data) != length:
            raise TiffError("TIFF file is truncated")
        return data

    def ifd(self, offset: int) -> tuple[_Entries, int]:
        """The wanted entries of the directory at ``offset`` and the offset of the next one."""
        e = self.endian
        count_size, entry_size, inline = (8, 20, 8) if self.big else (2, 12, 4)
        count = struct.unpack(e + ("Q" if self.big else "H"), self._read(offset, count_size))[0]
        if count > _MAX_ENTRIES:
            raise TiffError("TIFF directory too large")
        raw = self._read(offset + count_size, count * entry_size + inline)
        entries: _Entries = {}
        head_fmt = e + ("HHQ" if self.big else "HHI")
        for i in range(count):
            entry = raw[i * entry_size : (i + 1) * entry_size]
            tag, typ, n = struct.unpack(head_fmt, entry[: entry_size - inline])
            if tag not in _WANTED or typ not in _TYPES:
                continue
            code, size = _TYPES[typ]
            nbytes = n * size
            value = entry[entry_size - inline :]
            if nbytes > inline:
                pointer = struct.unpack(e + ("Q" if self.big else "I"), value)[0]
                value = self._read(pointer, nbytes)
            else:
                value = value[:nbytes]
            entries[tag] = value if code == "s" else struct.unpack(f"{e}{n}{code}", value)
        next_offset = struct.unpack(e + ("Q" if self.big else "I"), raw[count * entry_size :])[0]
        return entries, next_offset


def _one(entries: _Entries, tag: int, default: int | None = None) -> int:
    value = entries.get(tag)
    if isinstance(value, tuple) and value:
        return int(value[0])
    if default is None:
        raise TiffError(f"TIFF tag {tag} is missing")
    return default


def _ints(entries: _Entries, tag: int) -> tuple[int, ...]:
    value = entries.get(tag, ())
    return value if isinstance(value, tuple) else ()


def _level(entries: _Entries, page: int, subifd: int, full: tuple[int, int]) -> Level | None:
    width, height = _one(entries, _WIDTH), _one(entries, _HEIGHT)
    if width < 1 or height < 1:
        raise TiffError("TIFF image has no pixels")
    # Levels are floor (libvips) or ceil of full / 2^k; anything else is not a usable level.
    k = round(math.log2(full[0] / width)) if width <= full[0] else -1
    scale = 1 << k if k >= 0 else 0
    if (
        scale == 0
        or width not in (full[0] // scale, -(-full[0] // scale))
        or height not in (full[1] // scale, -(-full[1] // scale))
    ):
        return None
    tile_w, tile_h = _one(entries, _TILE_WIDTH, 0), _one(entries, _TILE_HEIGHT, 0)
    offsets, counts = _ints(entries, _TILE_OFFSETS), _ints(entries, _TILE_COUNTS)
    if tile_w and tile_h:
        expected = -(-width // tile_w) * -(-height // tile_h)
        if len(offsets) < expected or len(counts) < expected:
            tile_w = tile_h = 0  # planar-separate or damaged: leave it to the decoder
    tables = entries.get(_JPEG_TABLES)
    bits = _ints(entries, _BITS) or (1,)
    return Level(
        width=width,
        height=height,
        scale=scale,
        page=page,
        subifd=subifd,
        tile_width=tile_w,
        tile_height=tile_h,
        compression=_one(entries, _COMPRESSION, 1),
        photometric=_one(entries, _PHOTOMETRIC, PHOTOMETRIC_MINISBLACK),
        samples=_one(entries, _SAMPLES, 1),
        bits=bits[0] if len(set(bits)) == 1 else 0,
        planar=_one(entries, _PLANAR, 1),
        tile_offsets=offsets if tile_w else (),
        tile_byte_counts=counts if tile_w else (),
        jpeg_tables=tables if isinstance(tables, bytes) and tables else None,
    )


def read_pyramid(src: ByteSource) -> PyramidInfo:
    """Read every directory of a TIFF and return its usable pyramid levels, largest first."""
    reader = _Reader(src)
    pages: list[_Entries] = []
    offset, seen = reader.first, set()
    while offset and len(pages) < _MAX_IFDS:
        if offset in seen:
            raise TiffError("TIFF directories form a loop")
        seen.add(offset)
        entries, offset = reader.ifd(offset)
        pages.append(entries)
    if not pages:
        raise TiffError("TIFF file has no image")
    main = pages[0]
    full = (_one(main, _WIDTH), _one(main, _HEIGHT))
    first = _level(main, 0, -1, full)
    assert first is not None  # scale 1 always fits
    levels = [first]
    sub_offsets = _ints(main, _SUB_IFDS)
    candidates = [(reader.ifd(off)[0], 0, i) for i, off in enumerate(sub_offsets[:_MAX_IFDS])]
    if not candidates:
        # Later pages are pyramid levels only when marked reduced-resolution (bit 0 of NewSubfileType).
        candidates = [(p, i, -1) for i, p in enumerate(pages[1:], 1) if _one(p, _NEW_SUBFILE_TYPE, 0) & 1]
    for entries, page, subifd in candidates:
        level = _level(entries, page, subifd, full)
        if (
            level is not None
            and level.samples == first.samples
            and level.photometric == first.photometric
            and all(level.scale != other.scale for other in levels)
        ):
            levels.append(level)
    levels.sort(key=lambda lv: lv.scale)
    return PyramidInfo(full[0], full[1], first.samples, tuple(levels))
