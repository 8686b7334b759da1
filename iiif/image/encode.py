"""Encoding rendered pixels into the requested format.

JPEG goes through ``iiif.image.jpeg`` (also used for re-encoded tiles), so that both paths use one
encoder; for small images it also costs a third of a libvips save. Other formats use libvips.
"""

from __future__ import annotations

import pyvips

from iiif.image import jpeg
from iiif.image.request import Format


def _without_alpha(image: pyvips.Image) -> pyvips.Image:
    if image.hasalpha():
        return image.flatten(background=[255] * (image.bands - 1))
    return image


def encode(image: pyvips.Image, fmt: Format, *, jpeg_quality: int, bitonal: bool = False) -> bytes:
    """Encode an 8-bit image (1 to 4 bands) without metadata."""
    if image.format != "uchar":
        image = image.cast("uchar")
    if fmt == "jpg":
        return jpeg.encode(jpeg.from_vips(_without_alpha(image)), jpeg_quality)
    if fmt == "png":
        if bitonal and image.bands == 1:
            return bytes(image.pngsave_buffer(bitdepth=1, keep=0))
        return bytes(image.pngsave_buffer(compression=6, keep=0))
    if fmt == "webp":
        # Bitonal stays bitonal only without loss (and compresses better that way).
        return bytes(image.webpsave_buffer(Q=jpeg_quality, effort=2, lossless=bitonal, keep=0))
    if fmt == "tif":
        return bytes(image.tiffsave_buffer(compression="deflate", predictor="horizontal", keep=0))
    if fmt == "gif":
        return bytes(_without_alpha(image).gifsave_buffer(keep=0))
    raise ValueError(f"unknown format {fmt}")
