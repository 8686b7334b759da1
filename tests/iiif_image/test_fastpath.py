"""The fast path for aligned tiles gives the pixels of the general path, for every tile of every level."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from iiif.image.fastpath import aligned_tile, serve_tile, standalone_jpeg
from iiif.image.pyramid import Pyramid, PyramidStore, StoredImage
from iiif.image.render import render
from iiif.image.request import ResolvedRequest, SizeLimits, parse_request, resolve
from iiif.image.source import LocalCopies
from storage import FilesystemStorage
from tests.iiif_image.conftest import MODIFIED, decode

LIMITS = SizeLimits(10000, 10000, 50_000_000)


def open_pyramid(storage: FilesystemStorage, name: str, tmp_path: Path) -> Pyramid:
    store = PyramidStore(4, LocalCopies(str(tmp_path), 10**9))
    return store.open(StoredImage(storage, f"pyramids/{name}.tif", MODIFIED))


def viewer_tiles(width: int, height: int, tile: int, scale: int) -> Iterator[str]:
    """The tile requests a IIIF viewer (OpenSeadragon) makes for one scale factor."""
    step = tile * scale
    for y in range(0, height, step):
        for x in range(0, width, step):
            w, h = min(step, width - x), min(step, height - y)
            yield f"{x},{y},{w},{h}/{-(-w // scale)},{-(-h // scale)}/0/default.jpg"


@pytest.mark.parametrize("name", ["rgb-1000x800", "rgb-1001x777", "gray-600x400", "rgb-700x500-subifd"])
def test_fast_path_equals_slow_path(name: str, access_storage: FilesystemStorage, tmp_path: Path) -> None:
    pyramid = open_pyramid(access_storage, name, tmp_path)
    info = pyramid.info
    fast = 0
    for level in info.levels:
        for path in viewer_tiles(info.width, info.height, 256, level.scale):
            req = resolve(parse_request(path), info.width, info.height, LIMITS)
            slow = render(pyramid, req, jpeg_quality=75)
            tile = aligned_tile(info, req)
            floor_edge = (req.x + req.width == info.width and info.width % level.scale) or (
                req.y + req.height == info.height and info.height % level.scale
            )
            if floor_edge:
                # libvips levels are floor(size / scale): a viewer's ceil-sized edge tile is rendered
                assert tile is None
                continue
            assert tile is not None and tile.level == level, path
            body = serve_tile(pyramid, tile, jpeg_quality=75, passthrough=False)
            assert body is not None
            fast += 1
            a, b = decode(body), decode(slow)
            assert (a.width, a.height) == (b.width, b.height) == (req.out_width, req.out_height)
            assert (a - b).abs().max() == 0, path  # same decoded pixels, same encoder
    assert fast >= 5


def test_passthrough_serves_the_stored_tile(access_storage: FilesystemStorage, tmp_path: Path) -> None:
    pyramid = open_pyramid(access_storage, "rgb-1000x800", tmp_path)
    req = resolve(parse_request("0,512,512,512/256,256/0/default.jpg"), 1000, 800, LIMITS)
    tile = aligned_tile(pyramid.info, req)
    assert tile is None  # 800 - 512 = 288 rows: at scale 2 an edge tile of 144 rows, so not this size
    req = resolve(parse_request("0,0,512,512/256,256/0/default.jpg"), 1000, 800, LIMITS)
    tile = aligned_tile(pyramid.info, req)
    assert tile is not None and tile.whole and (tile.level.scale, tile.col, tile.row) == (2, 0, 0)
    stored = standalone_jpeg(tile.level.jpeg_tables, pyramid.tile(tile.level, 0, 0))
    body = serve_tile(pyramid, tile, jpeg_quality=75, passthrough=True)
    assert body == stored
    # passed-through pixels are the level's own pixels
    png = resolve(parse_request("0,0,512,512/256,256/0/default.png"), 1000, 800, LIMITS)
    level_pixels = decode(render(pyramid, png, jpeg_quality=75))
    assert (decode(body) - level_pixels).abs().max() == 0
    # an edge tile is never passed through: its stored tile is padded
    edge = resolve(parse_request("768,512,232,256/232,256/0/default.jpg"), 1000, 800, LIMITS)
    edge_tile = aligned_tile(pyramid.info, edge)
    assert edge_tile is not None and not edge_tile.whole
    edge_body = serve_tile(pyramid, edge_tile, jpeg_quality=75, passthrough=True)
    assert edge_body is not None and decode(edge_body).width == 232


@pytest.mark.parametrize(
    "path",
    [
        "0,0,256,256/256,256/90/default.jpg",  # rotated
        "0,0,256,256/256,256/!0/default.jpg",  # mirrored
        "0,0,256,256/256,256/0/gray.jpg",
        "0,0,256,256/256,256/0/default.png",
        "0,0,256,256/128,128/0/default.jpg",  # scaled
        "1,0,256,256/256,256/0/default.jpg",  # off the grid
        "0,0,255,256/255,256/0/default.jpg",  # part of a tile
        "0,0,512,512/512,512/0/default.jpg",  # several tiles
    ],
)
def test_not_aligned(path: str, access_storage: FilesystemStorage, tmp_path: Path) -> None:
    pyramid = open_pyramid(access_storage, "rgb-1000x800", tmp_path)
    req: ResolvedRequest = resolve(parse_request(path), 1000, 800, LIMITS)
    assert aligned_tile(pyramid.info, req) is None


def test_whole_image_in_one_tile_is_aligned(access_storage: FilesystemStorage, tmp_path: Path) -> None:
    pyramid = open_pyramid(access_storage, "rgb-1000x800", tmp_path)
    req = resolve(parse_request("full/250,200/0/color.jpg"), 1000, 800, LIMITS)
    tile = aligned_tile(pyramid.info, req)
    assert tile is not None and tile.level.scale == 4 and (tile.width, tile.height) == (250, 200)


def test_standalone_jpeg_rejects_odd_data() -> None:
    assert standalone_jpeg(None, b"\xff\xd8rest") == b"\xff\xd8rest"
    assert standalone_jpeg(b"\xff\xd8tables\xff\xd9", b"\xff\xd8data") == b"\xff\xd8tablesdata"
    assert standalone_jpeg(b"\xff\xd8tables\xff\xd9", b"not jpeg") is None
    assert standalone_jpeg(b"bad tables", b"\xff\xd8data") is None
