"""Access derivatives: a pyramidal tiled TIFF (JPEG, 256-pixel tiles) and a thumbnail per page."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyvips

from ingest.images import open_for_decoding, short_reason, to_srgb8
from repo.errors import Problem, probed_cause, system_cause
from repo.settings import Settings

TILE = 256
# Stored tiles are what a viewer receives (passed through as stored): below quality 90 libvips
# writes them YCbCr with 4:2:0 chroma subsampling, the bytes an image server's Q75 tiles have
# (quality 90 was RGB, 6x the bytes). MUNIMENT_PYRAMID_QUALITY; masters are never touched.
PYRAMID_QUALITY = Settings().pyramid_quality
THUMBNAIL_SIZE = 400


@dataclass(frozen=True)
class Derivatives:
    pyramid: Path
    thumbnail: Path
    width: int
    height: int


def make_derivatives(
    source: Path, mime: str, out_dir: Path, stem: str, *, quality: int = PYRAMID_QUALITY
) -> Derivatives | Problem:
    """Decode the whole page once, writing its pyramid; a decode failure is the page's problem."""
    pyramid = out_dir / f"{stem}.tif"
    thumbnail = out_dir / f"{stem}.jpg"
    try:
        image = to_srgb8(open_for_decoding(source, mime))
        image.tiffsave(
            str(pyramid),
            tile=True,
            pyramid=True,
            compression="jpeg",
            Q=quality,
            tile_width=TILE,
            tile_height=TILE,
        )
        # The thumbnail comes from the pyramid: its small levels make this cheap.
        thumb = pyvips.Image.thumbnail(str(pyramid), THUMBNAIL_SIZE, height=THUMBNAIL_SIZE)
        thumb.jpegsave(str(thumbnail), Q=80)
        return Derivatives(pyramid, thumbnail, image.width, image.height)
    except (pyvips.Error, OSError, ValueError, SyntaxError) as exc:  # Pillow: SyntaxError for a bad JPEG 2000
        # A full disk is the machine's fault, not the image's: asked before the partial files go.
        cause = system_cause(exc, out_dir) or (probed_cause(out_dir) if isinstance(exc, pyvips.Error) else None)
        pyramid.unlink(missing_ok=True)
        thumbnail.unlink(missing_ok=True)
        if cause:
            return Problem(str(source), f"its derivatives cannot be written: {cause}")
        return Problem(str(source), f"image does not decode: {short_reason(exc)}")
