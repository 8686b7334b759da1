"""Page images that lie or are broken: a header claiming 100,000 x 100,000 pixels (refused from
the header, before a pixel is decoded), a truncated TIFF, a GIF renamed .tif, a zero-byte file.
Each bag is otherwise valid; the job fails naming the page and why, and nothing is stored."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from PIL import Image

from ingest.images import ImageHeader, read_header
from repo.errors import Problem
from tests.api.helpers import make_bag, zip_folder
from tests.hostile.conftest import Hostile


def tiff_header_claiming(width: int, height: int, strip_bytes: int = 16) -> bytes:
    """A little-endian, uncompressed, 8-bit grey TIFF (tags first) whose tags claim ``width`` x
    ``height`` pixels in a strip of ``strip_bytes``, but that holds 16 bytes of pixels."""
    entries = [
        (256, 4, width),
        (257, 4, height),
        (258, 3, 8),
        (259, 3, 1),
        (262, 3, 1),
        (273, 4, 0),
        (277, 3, 1),
        (278, 4, height),
        (279, 4, strip_bytes),
    ]
    ifd_size = 2 + 12 * len(entries) + 4
    data_offset = 8 + ifd_size
    ifd = struct.pack("<H", len(entries))
    for tag, kind, value in entries:
        value = data_offset if tag == 273 else value
        packed = struct.pack("<HH", value, 0) if kind == 3 else struct.pack("<I", value)
        ifd += struct.pack("<HHI", tag, kind, 1) + packed
    return b"II*\x00" + struct.pack("<I", 8) + ifd + struct.pack("<I", 0) + b"\x80" * 16


def truncated_tiff(tmp_path: Path) -> bytes:
    """A sound header (read and accepted) over pixel data that stops short: found when decoding."""
    return tiff_header_claiming(300, 200, strip_bytes=300 * 200)


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("huge-header", "100000x100000 pixels is above the limit"),
        ("truncated", "image does not decode"),
        ("gif-named-tif", "content is not TIFF although the name says so"),
        ("zero-bytes", "empty file (0 bytes)"),
    ],
)
def test_lying_or_broken_images_are_refused(hostile: Hostile, tmp_path: Path, case: str, reason: str) -> None:
    page = {
        "huge-header": lambda: tiff_header_claiming(100_000, 100_000),
        "truncated": lambda: truncated_tiff(tmp_path),
        "gif-named-tif": lambda: b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
        "zero-bytes": lambda: b"",
    }[case]()
    bag = make_bag(tmp_path / "bag", "MS-40", page=page)
    job = hostile.upload(zip_folder(bag, tmp_path / "bag.zip"))
    assert [p["file"] for p in job["problems"]] == ["bag/data/p1.tif"], job
    assert reason in job["problems"][0]["reason"]
    assert job["message"].endswith("nothing was stored")


def jp2_claiming(path: Path, width: int, height: int) -> Path:
    """A JPEG 2000 whose header box claims ``width`` x ``height``, over a 16 x 16 codestream."""
    Image.new("RGB", (16, 16)).save(path)
    data = bytearray(path.read_bytes())
    at = data.index(b"ihdr") + 4
    data[at : at + 8] = struct.pack(">II", height, width)
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("limit", [400_000_000, 100_000_000])
def test_the_jpeg_2000_limit_is_the_setting_not_pillows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS)  # put back afterwards
    page = jp2_claiming(tmp_path / "p1.jp2", 15_000, 12_000)  # 180 MP: beyond Pillow's own 179 MP
    with pytest.raises(Image.DecompressionBombError):
        Image.open(page)
    header = read_header(page, "image/jp2", limit)
    if limit > 180_000_000:
        assert header == ImageHeader(15_000, 12_000, "image/jp2")
        with Image.open(page) as im:  # Pillow's limit follows the setting
            assert im.size == (15_000, 12_000)
    else:
        assert isinstance(header, Problem)
        assert header.reason == "15000x12000 pixels is above the limit of 100,000,000 (MUNIMENT_MAX_IMAGE_PIXELS)"
