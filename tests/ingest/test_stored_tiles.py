"""The pyramid tiles ingest stores are what a viewer should receive, passed through as stored:
YCbCr JPEG with 4:2:0 chroma subsampling at MUNIMENT_PYRAMID_QUALITY (the bytes of an image
server's Q75 tiles), not RGB without subsampling; the master is untouched."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pyvips

from iiif.image import jpeg
from iiif.image.fastpath import standalone_jpeg
from iiif.image.tiff import PHOTOMETRIC_RGB, PHOTOMETRIC_YCBCR, Level, read_pyramid
from ingest.derivatives import make_derivatives
from repo.settings import Settings
from tests.iiif_image.conftest import textured


class FileSource:
    def __init__(self, path: Path) -> None:
        self.data = path.read_bytes()

    @property
    def size(self) -> int:
        return len(self.data)

    def read_at(self, offset: int, length: int) -> bytes:
        return self.data[offset : offset + length]


def sampling(tile: bytes) -> list[tuple[int, int]]:
    """Each component's (horizontal, vertical) sampling factors, from the JPEG's frame header."""
    at = tile.index(b"\xff\xc0")  # baseline SOF0
    components = tile[at + 9]
    return [(tile[at + 11 + 3 * n] >> 4, tile[at + 11 + 3 * n] & 15) for n in range(components)]


def tiles(path: Path) -> tuple[Level, list[bytes]]:
    source = FileSource(path)
    level = read_pyramid(source).levels[0]
    found = [
        standalone_jpeg(level.jpeg_tables, source.read_at(offset, count))
        for offset, count in zip(level.tile_offsets, level.tile_byte_counts, strict=True)
    ]
    assert all(t is not None for t in found)
    return level, [t for t in found if t is not None]


def test_stored_tiles_are_subsampled_ycbcr_at_the_quality_setting(tmp_path: Path) -> None:
    master = tmp_path / "master.tif"
    textured(1024, 768).tiffsave(str(master))  # uncompressed, as scans arrive
    before = hashlib.sha256(master.read_bytes()).hexdigest()
    assert Settings().pyramid_quality == 75
    made = make_derivatives(master, "image/tiff", tmp_path, "default")
    old = make_derivatives(master, "image/tiff", tmp_path, "q90", quality=90)  # what ingest stored before
    assert not isinstance(made, Exception) and not isinstance(old, Exception)
    assert hashlib.sha256(master.read_bytes()).hexdigest() == before
    level, stored = tiles(made.pyramid)
    old_level, old_stored = tiles(old.pyramid)
    assert level.photometric == PHOTOMETRIC_YCBCR and old_level.photometric == PHOTOMETRIC_RGB
    assert all(sampling(t) == [(2, 2), (1, 1), (1, 1)] for t in stored)  # 4:2:0
    assert all(sampling(t) == [(1, 1), (1, 1), (1, 1)] for t in old_stored)
    assert sum(map(len, old_stored)) > 2.5 * sum(map(len, stored))
    # Each tile decodes, as a viewer would, to the master's pixels.
    pixels = np.ndarray(
        buffer=pyvips.Image.new_from_file(str(master)).write_to_memory(), dtype=np.uint8, shape=(768, 1024, 3)
    )
    first = jpeg.decode(stored[0], gray=False)
    assert first.shape == (256, 256, 3)
    assert float(np.abs(first.astype(int) - pixels[:256, :256].astype(int)).mean()) < 6


def test_the_quality_is_a_setting(tmp_path: Path) -> None:
    master = tmp_path / "master.tif"
    textured(512, 512).tiffsave(str(master))
    low = make_derivatives(master, "image/tiff", tmp_path, "q40", quality=40)
    high = make_derivatives(master, "image/tiff", tmp_path, "q85", quality=85)
    assert not isinstance(low, Exception) and not isinstance(high, Exception)
    assert sum(map(len, tiles(low.pyramid)[1])) < sum(map(len, tiles(high.pyramid)[1]))
