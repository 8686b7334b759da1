"""Page images: check what a file claims from its header, then decode it fully while making derivatives.

The pixel limit (``MUNIMENT_MAX_IMAGE_PIXELS``, Pillow's too) is applied from the header alone, so a
decompression bomb is refused before a single pixel is decoded. Truncated files fail during the
full decode (``fail_on="error"``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pyvips
from PIL import Image, Jpeg2KImagePlugin

from repo.errors import Problem

# First bytes of each allowed format; a GIF renamed .tif is caught here.
_MAGIC = {
    "image/tiff": (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jp2": (b"\x00\x00\x00\x0cjP  \r\n\x87\n", b"\xff\x4f\xff\x51"),
}


@dataclass(frozen=True)
class ImageHeader:
    width: int
    height: int
    mime: str


def read_header(path: Path, mime: str, max_pixels: int) -> ImageHeader | Problem:
    """Width and height from the header; a Problem when the file is not what it claims."""
    try:
        with path.open("rb") as handle:
            head = handle.read(16)
    except OSError as exc:
        return Problem(str(path), f"cannot be read: {exc.strerror}")
    if not head:
        return Problem(str(path), "empty file (0 bytes)")
    if not head.startswith(_MAGIC[mime]):
        return Problem(str(path), f"content is not {mime.split('/')[1].upper()} although the name says so")
    try:
        if mime == "image/jp2":
            # Pillow's own bomb limit would refuse first (above 179 MP by default), in its words:
            # the header is read without it, so that the setting decides, and it follows the setting
            # for any other use of Pillow in this process.
            Image.MAX_IMAGE_PIXELS = max_pixels
            with Jpeg2KImagePlugin.Jpeg2KImageFile(path) as im:  # reads only the header
                width, height = im.size
        else:
            header = pyvips.Image.new_from_file(str(path), access="sequential")
            width, height = header.width, header.height
    except (pyvips.Error, OSError, ValueError, SyntaxError) as exc:  # Pillow: SyntaxError for a bad header
        return Problem(str(path), f"unreadable image header: {short_reason(exc)}")
    if width <= 0 or height <= 0:
        return Problem(str(path), "image has no pixels")
    if width * height > max_pixels:
        return Problem(
            str(path),
            f"{width}x{height} pixels is above the limit of {max_pixels:,} (MUNIMENT_MAX_IMAGE_PIXELS)",
        )
    return ImageHeader(width, height, mime)


def open_for_decoding(path: Path, mime: str) -> pyvips.Image:
    """A pyvips image that fails on any decode error, read sequentially (flat memory); its size
    was checked by ``read_header`` first."""
    if mime == "image/jp2":
        # pyvips-binary has no JPEG 2000 loader; Pillow (openjpeg) decodes it.
        with Jpeg2KImagePlugin.Jpeg2KImageFile(path) as im:
            im.load()
            rgb = im.convert("RGBA" if "A" in im.getbands() else "RGB")
        return pyvips.Image.new_from_memory(rgb.tobytes(), rgb.width, rgb.height, len(rgb.getbands()), "uchar")
    return pyvips.Image.new_from_file(str(path), access="sequential", fail_on="error")


def to_srgb8(image: pyvips.Image) -> pyvips.Image:
    """8-bit sRGB (or grey) without alpha: what JPEG tiles can hold."""
    if image.hasalpha():
        image = image.flatten(background=255)
    # colourspace() also turns CMYK, Lab and 16-bit images into 8-bit sRGB / grey.
    image = image.colourspace("b-w" if image.bands == 1 else "srgb")
    return image if image.format == "uchar" else image.cast("uchar")


def short_reason(exc: BaseException) -> str:
    """The decoder's own words (libvips puts them after "unable to call ..."), without file paths."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    specific = [line for line in lines if not line.startswith("unable to call")]
    text = (specific or lines or [type(exc).__name__])[-1 if specific else 0]
    # Paths appear quoted ('...' or "..."): the Problem already names the file.
    return re.sub(r"""\s*(from )?(file )?b?(['"])[^'"]*\3""", "", text).strip() or "unreadable"
