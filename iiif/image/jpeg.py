"""JPEG through libjpeg-turbo's TurboJPEG API (simplejpeg), for every JPEG the server writes and
every stored tile it decodes: one encoder for all paths, and about twice as fast as going
through Pillow for tile-sized images."""

from __future__ import annotations

import numpy as np
import pyvips
import simplejpeg

Pixels = np.ndarray  # height x width x bands (1 or 3), uint8


def decode(data: bytes, *, gray: bool) -> Pixels:
    """Decode with libjpeg's exact defaults (the methods libvips uses too), so that a re-encoded
    tile is the very image the general path makes. (The fast IDCT would save a fifth of the
    decoding but moves re-encoded pixels by up to a quantization step.)"""
    return simplejpeg.decode_jpeg(data, colorspace="GRAY" if gray else "RGB")


def encode(pixels: Pixels, quality: int) -> bytes:
    """Baseline JPEG without metadata; chroma subsampled below quality 90, as libvips does."""
    if pixels.shape[2] == 1:
        return bytes(simplejpeg.encode_jpeg(pixels, quality, "GRAY", "Gray"))
    return bytes(simplejpeg.encode_jpeg(pixels, quality, "RGB", "444" if quality >= 90 else "420"))


def from_vips(image: pyvips.Image) -> Pixels:
    """The pixels of an 8-bit, 1- or 3-band libvips image (computing it)."""
    data = image.write_to_memory()
    return np.frombuffer(data, dtype=np.uint8).reshape(image.height, image.width, image.bands)
