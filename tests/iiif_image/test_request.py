"""Parsing and resolving image requests: tables from the spec, canonical forms, and fuzzing."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iiif.image.errors import IIIFError
from iiif.image.request import ImageRequest, SizeLimits, parse_request, resolve

LIMITS = SizeLimits(10000, 10000, 50_000_000)
NO_LIMITS = SizeLimits()


def sized(path: str, width: int = 1000, height: int = 800, limits: SizeLimits = LIMITS) -> tuple[int, ...]:
    r = resolve(parse_request(path), width, height, limits)
    return (r.x, r.y, r.width, r.height, r.out_width, r.out_height)


def canonical(path: str, width: int = 1000, height: int = 800, limits: SizeLimits = LIMITS) -> str:
    return resolve(parse_request(path), width, height, limits).canonical


def status(path: str, width: int = 1000, height: int = 800, limits: SizeLimits = LIMITS) -> int:
    with pytest.raises(IIIFError) as info:
        resolve(parse_request(path), width, height, limits)
    return info.value.status


def test_parse_fields() -> None:
    req = parse_request("pct:10,20.5,30,40/^!300,200/!22.50/gray.png")
    assert req == ImageRequest(
        region="percent",
        region_box=(Fraction(10), Fraction(41, 2), Fraction(30), Fraction(40)),
        size="confined",
        size_width=300,
        size_height=200,
        size_percent=None,
        upscale=True,
        mirror=True,
        rotation=Fraction(45, 2),
        quality="gray",
        format="png",
    )
    assert hash(req) == hash(parse_request("pct:10,20.5,30,40/^!300,200/!22.50/gray.png"))


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        # region: (x, y, w, h) then output (w, h); image 1000x800
        ("full/max/0/default.jpg", (0, 0, 1000, 800, 1000, 800)),
        ("square/max/0/default.jpg", (100, 0, 800, 800, 800, 800)),
        ("125,15,120,140/max/0/default.jpg", (125, 15, 120, 140, 120, 140)),
        ("900,700,500,500/max/0/default.jpg", (900, 700, 100, 100, 100, 100)),  # cropped at the edge
        ("pct:41.6,7.5,40,70/max/0/default.jpg", (416, 60, 400, 560, 400, 560)),
        ("pct:50,50,100,100/max/0/default.jpg", (500, 400, 500, 400, 500, 400)),
        ("pct:0,0,0.1,0.125/max/0/default.jpg", (0, 0, 1, 1, 1, 1)),
        # size
        ("full/500,/0/default.jpg", (0, 0, 1000, 800, 500, 400)),
        ("full/,200/0/default.jpg", (0, 0, 1000, 800, 250, 200)),
        ("full/333,/0/default.jpg", (0, 0, 1000, 800, 333, 266)),  # 266.4 rounds down
        ("full/pct:50/0/default.jpg", (0, 0, 1000, 800, 500, 400)),
        ("full/pct:12.5/0/default.jpg", (0, 0, 1000, 800, 125, 100)),
        ("full/225,100/0/default.jpg", (0, 0, 1000, 800, 225, 100)),  # distorted on purpose
        ("full/!225,100/0/default.jpg", (0, 0, 1000, 800, 125, 100)),
        ("full/!100,225/0/default.jpg", (0, 0, 1000, 800, 100, 80)),
        ("full/!1000,800/0/default.jpg", (0, 0, 1000, 800, 1000, 800)),
        ("full/^max/0/default.jpg", (0, 0, 1000, 800, 7905, 6324)),  # up to maxArea
        ("full/^1500,/0/default.jpg", (0, 0, 1000, 800, 1500, 1200)),
        ("full/^,1200/0/default.jpg", (0, 0, 1000, 800, 1500, 1200)),
        ("full/^pct:150/0/default.jpg", (0, 0, 1000, 800, 1500, 1200)),
        ("full/^2000,100/0/default.jpg", (0, 0, 1000, 800, 2000, 100)),
        ("full/^!2000,1000/0/default.jpg", (0, 0, 1000, 800, 1250, 1000)),
        ("full/^!500,500/0/default.jpg", (0, 0, 1000, 800, 500, 400)),  # ^ allows, does not force
        ("full/^500,/0/default.jpg", (0, 0, 1000, 800, 500, 400)),
        ("10,10,10,10/^max/0/default.jpg", (10, 10, 10, 10, 7071, 7071)),
    ],
)
def test_resolve_sizes(path: str, expected: tuple[int, ...]) -> None:
    assert sized(path) == expected


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("1000,0,10,10/max/0/default.jpg", 400),  # entirely outside
        ("0,800,10,10/max/0/default.jpg", 400),
        ("pct:100,0,10,10/max/0/default.jpg", 400),
        ("pct:99.99,0,0.01,10/max/0/default.jpg", 400),  # rounds to nothing
        ("full/1001,/0/default.jpg", 400),  # upscaling without ^
        ("full/,801/0/default.jpg", 400),
        ("full/pct:100.1/0/default.jpg", 400),
        ("full/1000,801/0/default.jpg", 400),
        ("full/!2000,3000/0/default.jpg", 400),  # what the official validator expects
        ("full/pct:0.01/0/default.jpg", 400),  # smaller than a pixel
        ("full/^10001,/0/default.jpg", 400),  # over maxWidth
        ("full/^9000,9000/0/default.jpg", 400),  # over maxArea
    ],
)
def test_resolve_errors(path: str, code: int) -> None:
    assert status(path) == code


def test_upscaling_needs_a_limit() -> None:
    assert status("full/^1500,/0/default.jpg", limits=NO_LIMITS) == 501
    assert sized("full/^max/0/default.jpg", limits=NO_LIMITS)[4:] == (1000, 800)
    assert sized("full/^500,/0/default.jpg", limits=NO_LIMITS)[4:] == (500, 400)


def test_max_is_shrunk_to_the_limits() -> None:
    limits = SizeLimits(max_width=400, max_area=100_000)
    assert sized("full/max/0/default.jpg", limits=limits)[4:] == (353, 282)  # by area
    assert sized("full/max/0/default.jpg", limits=SizeLimits(max_width=400))[4:] == (400, 320)
    # maxHeight defaults to maxWidth, as clients infer it
    assert sized("full/max/0/default.jpg", 500, 2000, SizeLimits(max_width=400))[4:] == (100, 400)
    assert canonical("full/max/0/default.jpg", limits=limits) == "full/max/0/default.jpg"
    assert status("full/500,/0/default.jpg", limits=limits) == 400


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("full/max/0/default.jpg", "full/max/0/default.jpg"),
        ("0,0,1000,800/1000,800/0/default.jpg", "full/max/0/default.jpg"),
        ("0,0,2000,2000/1000,/0/default.jpg", "full/max/0/default.jpg"),
        ("pct:0,0,100,100/pct:100/0/default.png", "full/max/0/default.png"),
        ("square/max/0/color.jpg", "100,0,800,800/max/0/color.jpg"),
        ("full/500,/0/default.jpg", "full/500,400/0/default.jpg"),
        ("full/!225,100/0/default.jpg", "full/125,100/0/default.jpg"),
        ("full/^1500,/0/default.jpg", "full/^1500,1200/0/default.jpg"),
        ("full/^500,/0/default.jpg", "full/500,400/0/default.jpg"),
        ("full/^max/0/default.jpg", "full/^max/0/default.jpg"),
        ("full/max/!0/default.jpg", "full/max/!0/default.jpg"),
        ("full/max/90.0/default.jpg", "full/max/90/default.jpg"),
        ("full/max/022.50/default.jpg", "full/max/22.5/default.jpg"),
        ("full/max/.5/default.jpg", "full/max/0.5/default.jpg"),
        ("full/max/!0.125/gray.webp", "full/max/!0.125/gray.webp"),
        ("full/max/360/bitonal.tif", "full/max/360/bitonal.tif"),
    ],
)
def test_canonical(path: str, expected: str) -> None:
    assert canonical(path) == expected


def test_canonical_of_square_image_and_max_upscaled_to_region() -> None:
    assert canonical("square/max/0/default.jpg", 500, 500) == "full/max/0/default.jpg"
    # ^max gives the region's size when the region is already over the limits
    assert canonical("full/^max/0/default.jpg", 20000, 20000) == "full/max/0/default.jpg"


@pytest.mark.parametrize(
    "path",
    [
        "full/full/0/default.jpg",  # 2.x syntax
        "full/max/0/default",
        "full/max/0/native.jpg",
        "full/max/0/default.jp2",
        "full/max/0/default.JPG",
        "full/max/0/.jpg",
        "full/max/-90/default.jpg",
        "full/max/+90/default.jpg",
        "full/max/360.01/default.jpg",
        "full/max/1e2/default.jpg",
        "full/max/nan/default.jpg",
        "full/max/!!0/default.jpg",
        "full/max//default.jpg",
        "full/max/0/default.jpg/extra",
        "full/max/0",
        "Full/max/0/default.jpg",
        "0,0,0,10/max/0/default.jpg",
        "0,0,10/max/0/default.jpg",
        "0,0,10,10,10/max/0/default.jpg",
        "-1,0,10,10/max/0/default.jpg",
        "0.5,0,10,10/max/0/default.jpg",
        "pct:0,0,0,10/max/0/default.jpg",
        "pct:0,0,10/max/0/default.jpg",
        "pct:a,0,10,10/max/0/default.jpg",
        "\u0663,0,10,10/max/0/default.jpg",  # an Arabic-Indic digit is not a digit here
        "full/0,/0/default.jpg",
        "full/,0/0/default.jpg",
        "full/,/0/default.jpg",
        "full/!100,/0/default.jpg",
        "full/!,100/0/default.jpg",
        "full/100/0/default.jpg",
        "full/pct:0/0/default.jpg",
        "full/pct:/0/default.jpg",
        "full/^/0/default.jpg",
        "full/^^max/0/default.jpg",
        "full/!^100,100/0/default.jpg",
        "full/100,100,100/0/default.jpg",
        "full/" + "9" * 11 + ",/0/default.jpg",
        "full/" + "1" * 5000 + ",/0/default.jpg",
    ],
)
def test_parse_errors(path: str) -> None:
    with pytest.raises(IIIFError) as info:
        parse_request(path)
    assert info.value.status == 400


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=80))
def test_any_string_parses_or_is_a_400(text: str) -> None:
    try:
        req = parse_request(text)
    except IIIFError as exc:
        assert exc.status == 400
    else:
        assert isinstance(req, ImageRequest)


_numbers = st.one_of(
    st.integers(0, 3000).map(str),
    st.decimals(0, 200, places=3).map(lambda d: format(d, "f")),
    st.sampled_from(["", "0", "00", ".5", "1.", "-1", "x"]),
)
_regions = st.one_of(
    st.sampled_from(["full", "square"]),
    st.tuples(_numbers, _numbers, _numbers, _numbers).map(",".join),
    st.tuples(_numbers, _numbers, _numbers, _numbers).map(lambda t: "pct:" + ",".join(t)),
)
_sizes = st.tuples(
    st.sampled_from(["", "^"]),
    st.one_of(
        st.just("max"),
        _numbers.map(lambda n: "pct:" + n),
        st.tuples(st.sampled_from(["", "!"]), _numbers, _numbers).map(lambda t: f"{t[0]}{t[1]},{t[2]}"),
    ),
).map("".join)
_rotations = st.tuples(st.sampled_from(["", "!"]), _numbers).map("".join)
_tails = st.tuples(
    st.sampled_from(["default", "color", "gray", "bitonal", "grey"]),
    st.sampled_from(["jpg", "png", "webp", "tif", "gif", "jp2"]),
).map(".".join)


@settings(max_examples=600, deadline=None)
@given(
    st.tuples(_regions, _sizes, _rotations, _tails).map("/".join),
    st.integers(1, 5000),
    st.integers(1, 5000),
)
def test_structured_requests_resolve_or_fail_cleanly(path: str, width: int, height: int) -> None:
    try:
        r = resolve(parse_request(path), width, height, LIMITS)
    except IIIFError as exc:
        assert exc.status in (400, 501)
        return
    assert 0 <= r.x < width and 0 <= r.y < height
    assert 1 <= r.width <= width - r.x and 1 <= r.height <= height - r.y
    assert r.out_width >= 1 and r.out_height >= 1 and LIMITS.fits(r.out_width, r.out_height)
    # the canonical form is itself a request that resolves to the same pixels
    again = resolve(parse_request(r.canonical), width, height, LIMITS)
    assert (again.x, again.y, again.width, again.height, again.out_width, again.out_height) == (
        r.x,
        r.y,
        r.width,
        r.height,
        r.out_width,
        r.out_height,
    )
    assert again.canonical == r.canonical
