"""The Image Information document (info.json) of an image, serialized once and cached as bytes."""

from __future__ import annotations

import json
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


def info_document(image_id: str, pyramid: PyramidInfo, limits: SizeLimits, rights: str | None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": CONTEXT,
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
    for level in pyramid.levels:
        if level.tile_width:
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
    return doc


def info_json(image_id: str, pyramid: PyramidInfo, limits: SizeLimits, rights: str | None) -> bytes:
    return json.dumps(info_document(image_id, pyramid, limits, rights), separators=(",", ":")).encode()
