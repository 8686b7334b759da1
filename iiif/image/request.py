"""IIIF Image API 3.0 image requests: parse ``{region}/{size}/{rotation}/{quality}.{format}`` into one
frozen value, then resolve it against an image's pixel size into exact pixels, without decoding.

Numbers from the URL are kept as ``Fraction`` so that percentages and rotations are exact and their
canonical form is the decimal the client wrote (less redundant zeros).

A ``ResolvedRequest`` is the key of the image server's encoded images (as Cantaloupe's
``OperationList`` is): equal to another exactly when it makes the same pixels, and hashed in one
step (its hash is made once, when it is made), so a lookup costs about what one by text would.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from typing import Literal

from iiif.image.errors import IIIFError

RegionKind = Literal["full", "square", "pixels", "percent"]
SizeKind = Literal["max", "width", "height", "percent", "exact", "confined"]
Quality = Literal["default", "color", "gray", "bitonal"]
Format = Literal["jpg", "png", "webp", "tif", "gif"]

QUALITIES: tuple[Quality, ...] = ("default", "color", "gray", "bitonal")
MEDIA_TYPES: dict[Format, str] = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "tif": "image/tiff",
    "gif": "image/gif",
}

_INT = re.compile(r"[0-9]{1,10}", re.ASCII)  # ten digits: already far beyond any image
_DECIMAL = re.compile(r"(?:[0-9]{1,10}(?:\.[0-9]{0,12})?|\.[0-9]{1,12})", re.ASCII)
_MAX_SEGMENT = 64  # longest valid parameter is well under this


def _bad(message: str) -> IIIFError:
    return IIIFError(400, message)


@dataclass(frozen=True, slots=True)
class ImageRequest:
    """One parsed image request. Field meaning depends on ``region`` and ``size`` kinds:

    - ``region_box``: (x, y, w, h) in pixels for ``pixels``, in percent for ``percent``, else None
    - ``size_width``/``size_height``: for ``width`` (w only), ``height`` (h only), ``exact``, ``confined``
    - ``size_percent``: for ``percent``

    Equal values are one request however the URL wrote its numbers (``90`` and ``90.0``,
    ``pct:50`` and ``pct:50.00``).
    """

    region: RegionKind
    region_box: tuple[Fraction, Fraction, Fraction, Fraction] | None
    size: SizeKind
    size_width: int | None
    size_height: int | None
    size_percent: Fraction | None
    upscale: bool
    mirror: bool
    rotation: Fraction
    quality: Quality
    format: Format


@dataclass(frozen=True)
class SizeLimits:
    """The server's ``maxWidth``, ``maxHeight`` and ``maxArea`` (None: no limit), and the most
    pixels a GIF or PNG may have: those encoders take many times JPEG's time (and PNG's size)."""

    max_width: int | None = None
    max_height: int | None = None
    max_area: int | None = None
    gif_max_area: int | None = None
    png_max_area: int | None = None

    @property
    def height_limit(self) -> int | None:
        # Clients infer maxHeight = maxWidth when only maxWidth is given: enforce what they infer.
        return self.max_height if self.max_height is not None else self.max_width

    def fits(self, width: int, height: int) -> bool:
        hl = self.height_limit
        return (
            (self.max_width is None or width <= self.max_width)
            and (hl is None or height <= hl)
            and (self.max_area is None or width * height <= self.max_area)
        )

    @property
    def unlimited(self) -> bool:
        return self.max_width is None and self.max_height is None and self.max_area is None

    def budget(self, fmt: Format) -> int | None:
        """The most pixels one output may have, counted after rotation (its bounding box)."""
        own = self.gif_max_area if fmt == "gif" else self.png_max_area if fmt == "png" else None
        limits = [n for n in (self.max_area, own) if n is not None]
        if not limits and self.max_width is not None and self.height_limit is not None:
            limits.append(self.max_width * self.height_limit)
        return min(limits) if limits else None


@dataclass(frozen=True, slots=True)
class ResolvedRequest:
    """A request made exact for one image: the region in full-image pixels and the output size.

    Two are equal when they make the same pixels, whatever URL they came from (``full/max`` and
    the image's own ``0,0,w,h/w,h``; ``^max`` and the size it means): with the image's version,
    this is the key of its encoded image. ``canonical`` spells it and is not compared."""

    x: int
    y: int
    width: int
    height: int
    out_width: int  # size after scaling, before rotation
    out_height: int
    mirror: bool
    rotation: Fraction
    quality: Quality
    format: Format
    canonical: str = field(compare=False)  # "region/size/rotation/quality.format" in canonical form
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Made once (a Fraction hashes in Python), of the fields __eq__ compares (all but canonical),
        # spelled out: dataclasses.fields() took several times as long as the hash itself.
        pixels = (self.x, self.y, self.width, self.height, self.out_width, self.out_height)
        object.__setattr__(self, "_hash", hash((*pixels, self.mirror, self.rotation, self.quality, self.format)))

    def __hash__(self) -> int:
        return self._hash

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]

    @property
    def pixels(self) -> int:
        """Pixels of the output image, after rotation."""
        width, height = rotated_size(self.out_width, self.out_height, self.rotation)
        return width * height


# ---------------------------------------------------------------------------------------- parsing


def _int(text: str, what: str) -> int:
    if not _INT.fullmatch(text):
        raise _bad(f"{what} must be a non-negative integer")
    return int(text)


def _decimal(text: str, what: str) -> Fraction:
    if not _DECIMAL.fullmatch(text):
        raise _bad(f"{what} must be a non-negative decimal number")
    return Fraction(text)


def _parse_region(text: str) -> tuple[RegionKind, tuple[Fraction, Fraction, Fraction, Fraction] | None]:
    if text == "full":
        return "full", None
    if text == "square":
        return "square", None
    if text.startswith("pct:"):
        parts = text[4:].split(",")
        if len(parts) != 4:
            raise _bad("region pct: needs four numbers x,y,w,h")
        px, py, pw, ph = (_decimal(p, "region percentage") for p in parts)
        if pw == 0 or ph == 0:
            raise _bad("region width and height must be greater than zero")
        return "percent", (px, py, pw, ph)
    parts = text.split(",")
    if len(parts) != 4:
        raise _bad("region must be full, square, x,y,w,h or pct:x,y,w,h")
    x, y, w, h = (_int(p, "region value") for p in parts)
    if w == 0 or h == 0:
        raise _bad("region width and height must be greater than zero")
    return "pixels", (Fraction(x), Fraction(y), Fraction(w), Fraction(h))


def _parse_size(text: str) -> tuple[SizeKind, int | None, int | None, Fraction | None, bool]:
    upscale = text.startswith("^")
    if upscale:
        text = text[1:]
    if text == "max":
        return "max", None, None, None, upscale
    if text.startswith("pct:"):
        pct = _decimal(text[4:], "size percentage")
        if pct == 0:
            raise _bad("size percentage must be greater than zero")
        return "percent", None, None, pct, upscale
    confined = text.startswith("!")
    if confined:
        text = text[1:]
    w_text, comma, h_text = text.partition(",")
    if not comma:
        raise _bad("size must be max, w,, ,h, pct:n, w,h or !w,h (optionally prefixed with ^)")
    w = _int(w_text, "size width") if w_text else None
    h = _int(h_text, "size height") if h_text else None
    if w == 0 or h == 0:
        raise _bad("size width and height must be greater than zero")
    if confined or (w is not None and h is not None):
        if w is None or h is None:
            raise _bad("size !w,h needs both a width and a height")
        return ("confined" if confined else "exact"), w, h, None, upscale
    if w is not None:
        return "width", w, None, None, upscale
    if h is not None:
        return "height", None, h, None, upscale
    raise _bad("size needs a width or a height")


def _parse_rotation(text: str) -> tuple[bool, Fraction]:
    mirror = text.startswith("!")
    degrees = _decimal(text[1:] if mirror else text, "rotation")
    if degrees > 360:
        raise _bad("rotation must be between 0 and 360")
    return mirror, degrees


@lru_cache(maxsize=8192)
def parse_request(path: str) -> ImageRequest:
    """Parse ``{region}/{size}/{rotation}/{quality}.{format}``; any problem is an ``IIIFError(400)``."""
    parts = path.split("/")
    if len(parts) != 4:
        raise _bad("an image request is {region}/{size}/{rotation}/{quality}.{format}")
    if any(len(p) > _MAX_SEGMENT for p in parts):
        raise _bad("request parameter too long")
    region_text, size_text, rotation_text, qf_text = parts
    quality, dot, fmt = qf_text.rpartition(".")
    if not dot:
        raise _bad("the last parameter must be {quality}.{format}")
    if quality not in QUALITIES:
        raise _bad("quality must be one of default, color, gray, bitonal")
    if fmt not in MEDIA_TYPES:
        raise _bad(f"format must be one of {', '.join(MEDIA_TYPES)}")
    region, box = _parse_region(region_text)
    size, sw, sh, spct, upscale = _parse_size(size_text)
    mirror, rotation = _parse_rotation(rotation_text)
    return ImageRequest(
        region=region,
        region_box=box,
        size=size,
        size_width=sw,
        size_height=sh,
        size_percent=spct,
        upscale=upscale,
        mirror=mirror,
        rotation=rotation,
        quality=quality,  # checked against QUALITIES above
        format=fmt,  # checked against MEDIA_TYPES above
    )


# -------------------------------------------------------------------------------------- resolving


def _round(value: Fraction) -> int:
    """Round half up: exact and platform independent (``round`` would round half to even)."""
    return math.floor(value + Fraction(1, 2))


def _region(req: ImageRequest, width: int, height: int) -> tuple[int, int, int, int]:
    if req.region == "full":
        return 0, 0, width, height
    if req.region == "square":
        side = min(width, height)
        return (width - side) // 2, (height - side) // 2, side, side
    assert req.region_box is not None
    bx, by, bw, bh = req.region_box
    if req.region == "percent":
        # The edges are rounded, not the width, so that adjacent percentage regions abut exactly.
        x0, y0 = _round(bx * width / 100), _round(by * height / 100)
        x1, y1 = _round((bx + bw) * width / 100), _round((by + bh) * height / 100)
    else:
        x0, y0, x1, y1 = int(bx), int(by), int(bx + bw), int(by + bh)
    if x0 >= width or y0 >= height:
        raise _bad(f"region is entirely outside the image ({width}x{height})")
    x1, y1 = min(x1, width), min(y1, height)
    if x1 <= x0 or y1 <= y0:
        raise _bad("region is smaller than one pixel")
    return x0, y0, x1 - x0, y1 - y0


def _fit(rw: int, rh: int, limits: SizeLimits) -> tuple[int, int]:
    """The largest size with the region's aspect ratio within ``limits`` (may exceed the region)."""
    scales: list[float] = []
    if limits.max_width is not None:
        scales.append(limits.max_width / rw)
    hl = limits.height_limit
    if hl is not None:
        scales.append(hl / rh)
    if limits.max_area is not None:
        scales.append(math.sqrt(limits.max_area / (rw * rh)))
    scale = min(scales)
    w, h = max(1, math.floor(rw * scale)), max(1, math.floor(rh * scale))
    while not limits.fits(w, h) and (w > 1 or h > 1):  # float rounding at the boundary
        scale *= 0.999
        w, h = max(1, math.floor(rw * scale)), max(1, math.floor(rh * scale))
    return w, h


def _max_size(rw: int, rh: int, limits: SizeLimits) -> tuple[int, int]:
    """What ``max`` means: the region's own size, shrunk to the limits when larger."""
    return (rw, rh) if limits.fits(rw, rh) else _fit(rw, rh, limits)


def rotated_size(width: int, height: int, degrees: Fraction) -> tuple[int, int]:
    """The bounding box of ``width`` x ``height`` rotated by ``degrees``, as libvips makes it
    (each side rounded half up: checked against libvips on a thousand random sizes and angles)."""
    d = degrees % 360
    if d % 90 == 0:
        return (height, width) if d % 180 else (width, height)
    r = math.radians(d)
    c, s = abs(math.cos(r)), abs(math.sin(r))
    return max(1, math.floor(width * c + height * s + 0.5)), max(1, math.floor(width * s + height * c + 0.5))


def _within_budget(w: int, h: int, degrees: Fraction, budget: int | None) -> tuple[int, int]:
    """``w`` x ``h`` shrunk, aspect ratio kept, until its rotated bounding box has at most ``budget`` pixels."""
    bw, bh = rotated_size(w, h, degrees)
    if budget is None or bw * bh <= budget:
        return w, h
    scale = math.sqrt(budget / (bw * bh))
    while True:
        sw, sh = max(1, math.floor(w * scale)), max(1, math.floor(h * scale))
        bw, bh = rotated_size(sw, sh, degrees)
        if bw * bh <= budget or (sw, sh) == (1, 1):
            return sw, sh
        scale *= 0.999  # rounding of the box at the boundary


def _largest(req: ImageRequest, rw: int, rh: int, limits: SizeLimits) -> tuple[int, int]:
    """What ``max`` means for this request: ``_max_size`` within the budget of its format and rotation."""
    return _within_budget(*_max_size(rw, rh, limits), req.rotation, limits.budget(req.format))


def _over_budget(req: ImageRequest, box: tuple[int, int], limits: SizeLimits) -> IIIFError:
    made = f"{box[0]}x{box[1]} pixels"
    own = limits.gif_max_area if req.format == "gif" else limits.png_max_area if req.format == "png" else None
    if own is not None and own == limits.budget(req.format):
        return _bad(
            f"{req.format.upper()} output is limited to {own} pixels and this request makes {made}: "
            "ask for a smaller size, or for jpg"
        )
    return _bad(
        f"rotated by {_format_decimal(req.rotation)} degrees this request makes {made}, more than the "
        f"{limits.budget(req.format)} the server renders (maxArea): ask for a smaller size"
    )


def _size(req: ImageRequest, rw: int, rh: int, limits: SizeLimits) -> tuple[int, int]:
    if req.size == "max":
        if req.upscale and not limits.unlimited:
            return _within_budget(*_fit(rw, rh, limits), req.rotation, limits.budget(req.format))
        return _largest(req, rw, rh, limits)
    if req.size == "width":
        assert req.size_width is not None
        w = req.size_width
        return w, _round(Fraction(rh * w, rw))
    if req.size == "height":
        assert req.size_height is not None
        h = req.size_height
        return _round(Fraction(rw * h, rh)), h
    if req.size == "percent":
        assert req.size_percent is not None
        return _round(rw * req.size_percent / 100), _round(rh * req.size_percent / 100)
    assert req.size_width is not None and req.size_height is not None
    w, h = req.size_width, req.size_height
    if req.size == "exact":
        return w, h
    # confined (!w,h): the largest size with the region's aspect ratio inside the w x h box
    if Fraction(w, rw) <= Fraction(h, rh):
        return w, min(h, _round(Fraction(rh * w, rw)))
    return min(w, _round(Fraction(rw * h, rh))), h


def _format_decimal(value: Fraction) -> str:
    """Canonical number: an integer when possible, else a plain decimal without trailing zeros."""
    if value.denominator == 1:
        return str(value.numerator)
    digits = 1
    while (10**digits) % value.denominator:  # parsed decimals have denominators 2^a * 5^b
        digits += 1
    scaled = str(value.numerator * (10**digits // value.denominator)).rjust(digits + 1, "0")
    return f"{scaled[:-digits]}.{scaled[-digits:]}".rstrip("0")


def resolve(req: ImageRequest, width: int, height: int, limits: SizeLimits) -> ResolvedRequest:
    """Make ``req`` exact for an image of ``width`` x ``height``; raise ``IIIFError(400)`` if impossible."""
    x, y, rw, rh = _region(req, width, height)
    ow, oh = _size(req, rw, rh, limits)
    if ow < 1 or oh < 1:
        raise _bad("the requested size is smaller than one pixel")
    upscaled = ow > rw or oh > rh
    if upscaled and not req.upscale:
        # Includes !w,h with a box larger than the region: the official validator expects 400 here.
        raise _bad(f"size larger than the region ({rw}x{rh}) needs the ^ prefix")
    if upscaled and limits.max_width is None and limits.max_area is None:
        # Unbounded upscaling would be unbounded memory; the spec's answer for unsupported ^ is 501.
        raise IIIFError(501, "upscaling is not available on this server")
    if not limits.fits(ow, oh):
        raise _bad("the requested size is larger than the server allows (see maxWidth, maxHeight, maxArea)")
    # The budget counts what is rendered: the rotated bounding box (45 degrees doubles a square).
    budget, box = limits.budget(req.format), rotated_size(ow, oh, req.rotation)
    if budget is not None and box[0] * box[1] > budget:
        raise _over_budget(req, box, limits)

    region_c = "full" if (x, y, rw, rh) == (0, 0, width, height) else f"{x},{y},{rw},{rh}"
    if not upscaled and (ow, oh) == _largest(req, rw, rh, limits):
        size_c = "max"
    elif req.size == "max" and req.upscale:
        size_c = "^max"
    else:
        size_c = f"{'^' if upscaled else ''}{ow},{oh}"
    rotation_c = ("!" if req.mirror else "") + _format_decimal(req.rotation)
    canonical = f"{region_c}/{size_c}/{rotation_c}/{req.quality}.{req.format}"
    return ResolvedRequest(x, y, rw, rh, ow, oh, req.mirror, req.rotation, req.quality, req.format, canonical)
