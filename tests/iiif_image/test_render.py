"""Every region, size, rotation, quality and format gives the expected pixels, through HTTP."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pytest
import pyvips
from starlette.testclient import TestClient

from iiif.image.config import ImageServerConfig
from iiif.image.errors import IIIFError
from iiif.image.render import choose_level
from iiif.image.request import SizeLimits, parse_request, resolve
from iiif.image.source import LocalFileSource
from iiif.image.tiff import read_pyramid
from tests.iiif_image.conftest import decode, mean_difference

BASE = "/iiif/3/rgb-1000x800"
REGIONS = {
    "full": (0, 0, 1000, 800),
    "square": (100, 0, 800, 800),
    "100,50,300,200": (100, 50, 300, 200),
    "900,700,400,400": (900, 700, 100, 100),
    "pct:10,10,50,25": (100, 80, 500, 200),
}
SIZES = ["max", "150,", ",90", "pct:20", "120,70", "!120,70", "^1200,", "^pct:150"]
MAGIC = {"jpg": b"\xff\xd8\xff", "png": b"\x89PNG", "gif": b"GIF8", "tif": b"II*\x00", "webp": b"RIFF"}
MEDIA = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "tif": "image/tiff",
    "webp": "image/webp",
}


@pytest.fixture(scope="module")
def source(pyramid_files: dict[str, Path]) -> pyvips.Image:
    return pyvips.Image.tiffload(str(pyramid_files["rgb-1000x800"]), page=0).copy_memory()


def expected_size(region: tuple[int, int, int, int], size: str) -> tuple[int, int]:
    r = resolve(
        parse_request(f"{region_text(region)}/{size}/0/default.png"),
        1000,
        800,
        ImageServerConfig().limits,  # the server's own: PNG has its own limit
    )
    return r.out_width, r.out_height


def region_text(region: tuple[int, int, int, int]) -> str:
    return ",".join(map(str, region))


# ^max of a large region is a 16-megapixel PNG render (PNG's limit): one small region shows it.
@pytest.mark.parametrize(("region", "size"), [*itertools.product(REGIONS, SIZES), ("900,700,400,400", "^max")])
def test_region_and_size(client: TestClient, source: pyvips.Image, region: str, size: str) -> None:
    response = client.get(f"{BASE}/{region}/{size}/0/default.png")
    box = REGIONS[region]
    try:
        expected = expected_size(box, size)
    except IIIFError as exc:  # e.g. 150 pixels wide from a 100-pixel region, without ^
        assert response.status_code == exc.status == 400
        return
    assert response.status_code == 200, response.text
    image = decode(response.content)
    assert (image.width, image.height) == expected
    truth = source.crop(*box).resize(image.width / box[2], vscale=image.height / box[3])
    tolerance = 3 if (image.width, image.height) == box[2:] else 12  # resampling differs a little
    assert mean_difference(image, truth) < tolerance


@pytest.mark.parametrize("rotation", ["0", "90", "180", "270", "!0", "!90", "!180", "22.5", "!300.75", "360"])
def test_rotation(client: TestClient, source: pyvips.Image, rotation: str) -> None:
    response = client.get(f"{BASE}/100,50,300,200/max/{rotation}/default.png")
    assert response.status_code == 200
    image = decode(response.content)
    truth = source.crop(100, 50, 300, 200)
    mirror = rotation.startswith("!")
    degrees = float(rotation.lstrip("!")) % 360
    if mirror:
        truth = truth.fliphor()
    if degrees % 90 == 0:
        if degrees:
            truth = truth.rot(f"d{int(degrees)}")
        assert image.bands == 3 and (image.width, image.height) == (truth.width, truth.height)
        assert mean_difference(image, truth) < 3
    else:
        rad = math.radians(degrees)
        box_w = 300 * abs(math.cos(rad)) + 200 * abs(math.sin(rad))
        box_h = 300 * abs(math.sin(rad)) + 200 * abs(math.cos(rad))
        assert abs(image.width - box_w) <= 2 and abs(image.height - box_h) <= 2
        assert image.bands == 4 and image[3](0, 0) == [0.0]  # transparent corner in PNG
        centre = image.crop(image.width // 2 - 20, image.height // 2 - 20, 40, 40)
        truth_centre = truth.rotate(degrees).crop(image.width // 2 - 20, image.height // 2 - 20, 40, 40)
        assert mean_difference(centre[0:3], truth_centre) < 12


def test_arbitrary_rotation_in_jpeg_has_a_white_background(client: TestClient) -> None:
    image = decode(client.get(f"{BASE}/full/200,/45/default.jpg").content)
    assert image.bands == 3 and min(image(0, 0)) > 240


@pytest.mark.parametrize(
    ("quality", "fmt"),
    list(itertools.product(["default", "color", "gray", "bitonal"], ["jpg", "png", "gif", "tif", "webp"])),
)
def test_quality_and_format(client: TestClient, source: pyvips.Image, quality: str, fmt: str) -> None:
    response = client.get(f"{BASE}/full/200,/0/{quality}.{fmt}")
    assert response.status_code == 200
    assert response.headers["content-type"] == MEDIA[fmt]
    assert response.content.startswith(MAGIC[fmt])
    image = decode(response.content)
    assert (image.width, image.height) == (200, 160)
    colour = image.colourspace("srgb") if image.bands < 3 else image
    if quality in ("gray", "bitonal"):
        r, g, b = colour[0], colour[1], colour[2]
        assert (r - g).abs().max() <= 2 and (g - b).abs().max() <= 2  # no colour left
    else:
        assert (colour[0] - colour[2]).abs().max() > 50
    if quality == "bitonal" and fmt != "jpg":
        histogram = colour[0].hist_find()
        used = [i for i in range(256) if histogram(i, 0)[0] > 0]
        assert set(used) <= {0, 255} and len(used) == 2
    if quality in ("default", "color") and fmt in ("png", "tif"):  # lossless: the source itself
        assert mean_difference(image, source.resize(0.2)) < 3


def test_gray_pyramid(client: TestClient) -> None:
    for quality in ("default", "color", "gray", "bitonal"):
        response = client.get(f"/iiif/3/gray-600x400/full/300,/0/{quality}.jpg")
        assert response.status_code == 200
        assert decode(response.content).bands == 1


def test_stripped_tiff(client: TestClient) -> None:
    info = client.get("/iiif/3/rgb-300x200-strips/info.json").json()
    assert "tiles" not in info
    image = decode(client.get("/iiif/3/rgb-300x200-strips/10,10,100,50/50,/90/default.jpg").content)
    assert (image.width, image.height) == (25, 50)


def test_level_choice(pyramid_files: dict[str, Path]) -> None:
    info = read_pyramid(LocalFileSource(str(pyramid_files["rgb-1000x800"])))
    limits = SizeLimits(10000, 10000, 50_000_000)

    def level_for(path: str) -> int:
        return choose_level(info, resolve(parse_request(path), 1000, 800, limits)).scale

    assert level_for("full/max/0/default.jpg") == 1
    assert level_for("full/500,/0/default.jpg") == 2
    assert level_for("full/501,/0/default.jpg") == 1  # never a level smaller than needed
    assert level_for("full/100,/0/default.jpg") == 4  # the smallest there is
    assert level_for("0,0,400,400/100,100/0/default.jpg") == 4
    assert level_for("full/^2000,/0/default.jpg") == 1
    assert level_for("full/500,100/0/default.jpg") == 2  # distorted: the larger need wins
    assert level_for("full/100,400/0/default.jpg") == 2
