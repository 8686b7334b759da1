"""The fast path for tiles aligned to the pyramid: serve the stored JPEG tile.

A request is a stored tile when its region is one cell of the tile grid of an existing level and
its size is that cell's size at that level, unrotated, in colour, as JPEG. The tile's bytes plus
the level's shared JPEG tables make a standalone JPEG: passed through as is when allowed (the
pyramid's quality, not the configured one), else decoded and re-encoded with libjpeg-turbo,
cropping the padding of edge tiles. Pixels are those the general path would produce within JPEG
tolerance: both decode the same stored JPEG data, neither resamples, and both use one encoder.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from iiif.image import jpeg
from iiif.image.pyramid import Pyramid
from iiif.image.request import ResolvedRequest
from iiif.image.tiff import Level, PyramidInfo

_SOI, _EOI = b"\xff\xd8", b"\xff\xd9"


@dataclass(frozen=True)
class AlignedTile:
    level: Level
    col: int
    row: int
    width: int  # pixels of the level inside this tile (edge tiles are stored padded)
    height: int

    @property
    def whole(self) -> bool:
        return (self.width, self.height) == (self.level.tile_width, self.level.tile_height)


def aligned_tile(info: PyramidInfo, req: ResolvedRequest) -> AlignedTile | None:
    """The stored tile that is exactly this request, or None."""
    if req.format != "jpg" or req.quality not in ("default", "color") or req.mirror or req.rotation:
        return None
    for level in info.levels:
        if not level.jpeg_tiles:
            continue
        s, tw, th = level.scale, level.tile_width, level.tile_height
        if req.x % (tw * s) or req.y % (th * s):
            continue
        col, row = req.x // (tw * s), req.y // (th * s)
        width, height = min(tw, level.width - col * tw), min(th, level.height - row * th)
        if (
            width > 0
            and height > 0
            and (req.out_width, req.out_height) == (width, height)
            and req.width == min(tw * s, info.width - req.x)
            and req.height == min(th * s, info.height - req.y)
        ):
            return AlignedTile(level, col, row, width, height)
    return None


def standalone_jpeg(tables: bytes | None, tile: bytes | bytearray) -> bytes | None:
    """Splice the level's JPEGTables (quantization and Huffman tables) into a tile's stream."""
    if not tile.startswith(_SOI):
        return None
    if tables is None:
        return bytes(tile)
    if len(tables) < 4 or not tables.startswith(_SOI) or not tables.endswith(_EOI):
        return None
    return b"".join((memoryview(tables)[:-2], memoryview(tile)[2:]))


def serve_tile(
    pyramid: Pyramid,
    tile: AlignedTile,
    *,
    jpeg_quality: int,
    passthrough: bool,
    stored: bytes | bytearray | None = None,
) -> bytes | None:
    """The JPEG for an aligned tile (blocking), or None when the stored data cannot be used as is.

    ``stored``: the tile's bytes as in the file, when already read."""
    if stored is None:
        stored = pyramid.tile(tile.level, tile.col, tile.row)
    data = standalone_jpeg(tile.level.jpeg_tables, stored)
    if data is None:
        return None
    if passthrough and tile.whole:
        return data
    pixels = jpeg.decode(data, gray=tile.level.samples == 1)
    if pixels.shape[:2] != (tile.level.tile_height, tile.level.tile_width):
        return None
    if not tile.whole:  # edge tiles are stored padded to the full tile size
        pixels = np.ascontiguousarray(pixels[: tile.height, : tile.width])
    return jpeg.encode(pixels, jpeg_quality)
