"""The Image Information document (info.json) of an image, serialized once and cached as bytes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from iiif.image.request import MEDIA_TYPES, SizeLimits
from iiif.image.tiff import PyramidInfo

CONTEXT = "http://iiif.io/api/image/3/context.json"
PROTOCOL = "http://iiif.io/api/image"
PROFILE = "level2"
PROFILE_URI = "http://iiif.io/api/image/3/level2.json"
# Formats beyond level 2 (which has jpg and png).
EXTRA_FORMATS = [f for f in MEDIA_TYPES if f not in ("jpg", "png")]
# Every feature this server supports, those of level 2 included: clients need not know the profile.
FEATURES = [
    "baseUriRedirect",
    "canonicalLinkHeader",
    "cors",
    "jsonldMediaType",
    "mirroring",
    "profileLinkHeader",
    "regionByPct",
    "regionByPx",
    "regionSquare",
    "rotationArbitrary",
    "rotationBy90s",
    "sizeByConfinedWh",
    "sizeByH",
    "sizeByPct",
    "sizeByW",
    "sizeByWh",
    "sizeUpscaling",
]


def info_document(
    image_id: str,
    pyramid: PyramidInfo,
    limits: SizeLimits,
    rights: str | None,
    max_size: int | None = None,
    services: Sequence[Any] = (),
    contexts: Sequence[str] = (),
) -> dict[str, Any]:
    """``max_size``: only sizes up to this longest side are served (an access tier's public sizes):
    the document offers no larger size or finer tiles. ``services``: authorization services, whose
    ``contexts`` come before the Image API's."""
    if max_size is not None:
        limits = replace(
            limits,
            max_width=min(max_size, limits.max_width or max_size),
            max_height=min(max_size, limits.height_limit or max_size),
        )
    doc: dict[str, Any] = {
        "@context": [*contexts, CONTEXT] if contexts else CONTEXT,
        "id": image_id,
        "type": "ImageService3",
        "protocol": PROTOCOL,
        "profile": PROFILE,
        "width": pyramid.width,
        "height": pyramid.height,
    }
    if limits.max_width is not None:
        doc["maxWidth"] = limits.max_width
        if limits.max_height is not None:
            doc["maxHeight"] = limits.max_height
    if limits.max_area is not None:
        doc["maxArea"] = limits.max_area
    sizes = [
        {"width": lv.width, "height": lv.height} for lv in reversed(pyramid.levels) if limits.fits(lv.width, lv.height)
    ]
    if sizes:
        doc["sizes"] = sizes
    scales: dict[tuple[int, int], list[int]] = {}
    smallest_scale = max(pyramid.width, pyramid.height) / max_size if max_size is not None else 0
    for level in pyramid.levels:
        if level.tile_width and level.scale >= smallest_scale:
            scales.setdefault((level.tile_width, level.tile_height), []).append(level.scale)
    if scales:
        doc["tiles"] = [
            {"width": w, **({"height": h} if h != w else {}), "scaleFactors": factors}
            for (w, h), factors in scales.items()
        ]
    if rights:
        doc["rights"] = rights
    doc["extraFormats"] = EXTRA_FORMATS
    doc["extraQualities"] = ["color", "gray", "bitonal"] if pyramid.bands >= 3 else ["gray", "bitonal"]
    # The spec asks for maxWidth or maxArea from a server that upscales: without limits, don't claim it.
    upscaling = limits.max_width is not None or limits.max_area is not None
    doc["extraFeatures"] = [f for f in FEATURES if upscaling or f != "sizeUpscaling"]
    if services:
        doc["service"] = list(services)
    return doc


def info_json(
    image_id: str,
    pyramid: PyramidInfo,
    limits: SizeLimits,
    rights: str | None,
    max_size: int | None = None,
    services: Sequence[Any] = (),
    contexts: Sequence[str] = (),
) -> bytes:
    doc = info_document(image_id, pyramid, limits, rights, max_size, services, contexts)
    return json.dumps(doc, separators=(",", ":")).encode()
