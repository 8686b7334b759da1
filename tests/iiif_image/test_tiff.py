"""The TIFF directory reader against libvips' own reading of the same files."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
import pyvips

from iiif.image.fastpath import standalone_jpeg
from iiif.image.source import LocalFileSource
from iiif.image.tiff import COMPRESSION_JPEG, PHOTOMETRIC_RGB, PHOTOMETRIC_YCBCR, TiffError, read_pyramid
from tests.iiif_image.conftest import decode


class BytesSource:
    def __init__(self, data: bytes) -> None:
        self.data = data

    @property
    def size(self) -> int:
        return len(self.data)

    def read_at(self, offset: int, length: int) -> bytes:
        return self.data[offset : offset + length]


@pytest.mark.parametrize(
    ("name", "sizes", "photometric"),
    [
        ("rgb-1000x800", [(1000, 800), (500, 400), (250, 200)], PHOTOMETRIC_RGB),  # Q90: no subsampling
        ("rgb-1001x777", [(1001, 777), (500, 388), (250, 194)], PHOTOMETRIC_YCBCR),
        ("rgb-700x500-subifd", [(700, 500), (350, 250), (175, 125)], PHOTOMETRIC_RGB),
    ],
)
def test_levels_match_libvips(
    name: str, sizes: list[tuple[int, int]], photometric: int, pyramid_files: dict[str, Path]
) -> None:
    info = read_pyramid(LocalFileSource(str(pyramid_files[name])))
    assert [(lv.width, lv.height) for lv in info.levels] == sizes
    assert [lv.scale for lv in info.levels] == [1, 2, 4]
    assert (info.width, info.height, info.bands) == (*sizes[0], 3)
    for level in info.levels:
        assert (level.tile_width, level.tile_height) == (256, 256)
        assert level.compression == COMPRESSION_JPEG and level.photometric == photometric
        assert level.jpeg_tiles and level.jpeg_tables is not None
        assert len(level.tile_offsets) == level.tiles_across * -(-level.height // 256)
    if name.endswith("subifd"):
        assert [(lv.page, lv.subifd) for lv in info.levels] == [(0, -1), (0, 0), (0, 1)]
    else:
        assert [(lv.page, lv.subifd) for lv in info.levels] == [(0, -1), (1, -1), (2, -1)]


@pytest.mark.parametrize("name", ["rgb-1000x800", "rgb-1001x777", "gray-600x400", "rgb-700x500-subifd"])
def test_tile_index_points_at_the_right_pixels(name: str, pyramid_files: dict[str, Path]) -> None:
    path = str(pyramid_files[name])
    source = LocalFileSource(path)
    info = read_pyramid(source)
    for level in info.levels:
        options = {"subifd": level.subifd} if level.subifd >= 0 else {}
        vips_level = pyvips.Image.tiffload(path, page=level.page, **options)
        last = len(level.tile_offsets) - 1
        for index in {0, last // 2, last}:
            col, row = index % level.tiles_across, index // level.tiles_across
            data = source.read_at(level.tile_offsets[index], level.tile_byte_counts[index])
            jpeg = standalone_jpeg(level.jpeg_tables, data)
            assert jpeg is not None
            tile = decode(jpeg)
            w, h = min(256, level.width - col * 256), min(256, level.height - row * 256)
            expected = vips_level.crop(col * 256, row * 256, w, h)
            assert (tile.crop(0, 0, w, h) - expected).abs().max() == 0


def test_strips_have_no_tiles(pyramid_files: dict[str, Path]) -> None:
    info = read_pyramid(LocalFileSource(str(pyramid_files["rgb-300x200-strips"])))
    assert len(info.levels) == 1
    level = info.levels[0]
    assert (level.width, level.height, level.tile_width, level.jpeg_tiles) == (300, 200, 0, False)


def _big_endian_tiff(width: int, height: int, tile: int) -> bytes:
    """A minimal big-endian tiled TIFF directory (no pixel data needed for the reader)."""
    tiles = -(-width // tile) * -(-height // tile)
    entries = [
        (256, 4, 1, width),
        (257, 4, 1, height),
        (258, 3, 1, 8 << 16),
        (259, 3, 1, 1 << 16),
        (262, 3, 1, 1 << 16),
        (277, 3, 1, 1 << 16),
        (322, 3, 1, tile << 16),
        (323, 3, 1, tile << 16),
        (324, 4, tiles, 0),
        (325, 4, tiles, 0),
    ]
    ifd_offset = 8
    arrays_offset = ifd_offset + 2 + 12 * len(entries) + 4
    body = bytearray(b"MM\x00\x2a" + struct.pack(">I", ifd_offset))
    body += struct.pack(">H", len(entries))
    offsets = list(range(1000, 1000 + tiles * 10, 10))
    for tag, typ, count, value in entries:
        if tag == 324:
            value = arrays_offset
        elif tag == 325:
            value = arrays_offset + 4 * tiles
        body += struct.pack(">HHII", tag, typ, count, value)
    body += struct.pack(">I", 0)
    body += struct.pack(f">{tiles}I", *offsets) + struct.pack(f">{tiles}I", *([10] * tiles))
    return bytes(body) + bytes(2000)


def test_big_endian() -> None:
    info = read_pyramid(BytesSource(_big_endian_tiff(100, 70, 32)))
    level = info.levels[0]
    assert (info.width, info.height, info.bands) == (100, 70, 1)
    assert (level.tile_width, level.tiles_across, len(level.tile_offsets)) == (32, 4, 12)
    assert level.tile_offsets[:3] == (1000, 1010, 1020) and level.tile_byte_counts[0] == 10


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"GIF89a" + bytes(100),
        b"II\x2a\x00" + struct.pack("<I", 10_000),  # directory beyond the end
        b"II\x2a\x00" + struct.pack("<I", 8) + struct.pack("<H", 60000),  # absurd entry count
    ],
)
def test_not_a_pyramid(data: bytes) -> None:
    with pytest.raises(TiffError):
        read_pyramid(BytesSource(data))


def test_directory_loop_is_detected() -> None:
    entries = [(256, 4, 1, 10), (257, 4, 1, 10)]
    body = b"II\x2a\x00" + struct.pack("<I", 8) + struct.pack("<H", len(entries))
    for tag, typ, count, value in entries:
        body += struct.pack("<HHII", tag, typ, count, value)
    body += struct.pack("<I", 8)  # the next directory is this one again
    with pytest.raises(TiffError):
        read_pyramid(BytesSource(body + bytes(16)))
