"""Settings of the image server, passed in by whoever mounts it (never read from a global).

Its defaults are ``repo.settings.Settings``' own (one set: tests run what production runs);
``from_settings`` maps a ``Settings`` onto it."""

from __future__ import annotations

import os
from dataclasses import dataclass

from iiif.image.request import SizeLimits
from repo.settings import Settings

_DEFAULT = Settings()


@dataclass(frozen=True)
class ImageServerConfig:
    #: IIIF ``maxWidth``/``maxHeight``/``maxArea``: larger outputs are refused (400), ``max`` shrinks to fit.
    max_width: int | None = _DEFAULT.iiif_max_width
    max_height: int | None = _DEFAULT.iiif_max_height
    max_area: int | None = _DEFAULT.iiif_max_area
    #: most pixels of a GIF or PNG (after rotation, as ``max_area``): a 50-megapixel GIF took 36 s
    #: and 53 MB, a PNG of it 5 s and 80 MB; ``max`` shrinks to fit, larger sizes are refused (400)
    gif_max_area: int | None = _DEFAULT.iiif_gif_max_area
    png_max_area: int | None = _DEFAULT.iiif_png_max_area
    #: quality of every JPEG the server encodes (tiles re-encoded from the pyramid included)
    jpeg_quality: int = _DEFAULT.iiif_jpeg_quality
    #: memory for the LRU of encoded responses, per worker
    cache_bytes: int = _DEFAULT.iiif_tile_cache_mb * 1024 * 1024
    cache_control: str = _DEFAULT.iiif_cache_control
    #: images rendered at once; 0 means the number of CPUs
    render_concurrency: int = _DEFAULT.iiif_render_concurrency
    #: seconds a render may take before it is stopped (503 with Retry-After); 0: no deadline
    render_timeout: float = _DEFAULT.iiif_render_timeout
    #: renders that may wait for a free slot, and for how long, before the answer is a 503
    #: with Retry-After: a burst beyond what the server can do soon is told to come back
    render_queue: int = _DEFAULT.iiif_render_queue
    render_queue_wait: float = _DEFAULT.iiif_render_queue_wait
    #: libvips threads per render (process-wide, set when the server starts; 0 leaves libvips' own):
    #: renders of several requests already run in parallel, and splitting one render across threads
    #: measured up to half as much CPU again and no shorter time on a busy 2-core machine
    vips_concurrency: int = 1
    #: malloc arenas of the process (glibc; set when the server starts, 0 leaves glibc's own): see
    #: ``iiif.image.memory``
    malloc_arenas: int = 2
    #: serve aligned interior tiles as stored (no re-encoding: faster, but at the pyramid's JPEG quality)
    allow_passthrough: bool = _DEFAULT.iiif_tile_passthrough
    #: public URL of the mount point (``https://example.org/iiif/3``); None: taken from the request
    base_url: str | None = None
    #: seconds a resolver answer (image, 404 or access denied) is reused before asking again
    resolve_ttl: float = 5.0
    #: pyramids whose structure and open handles are kept, and the files they may hold open in all
    #: (one per pyramid and one per decoded level; the usual limit of a process is 1024)
    open_pyramids: int = 256
    open_files: int = 512
    #: where pyramids from storages without local files (S3) are copied for rendering; None: a temp folder
    source_cache_dir: str | None = None
    source_cache_bytes: int = 4 * 1024**3

    @classmethod
    def from_settings(cls, s: Settings) -> ImageServerConfig:
        return cls(
            max_width=s.iiif_max_width,
            max_height=s.iiif_max_height,
            max_area=s.iiif_max_area,
            jpeg_quality=s.iiif_jpeg_quality,
            cache_bytes=s.iiif_tile_cache_mb * 1024 * 1024,
            cache_control=s.iiif_cache_control,
            render_concurrency=s.iiif_render_concurrency,
            gif_max_area=s.iiif_gif_max_area,
            png_max_area=s.iiif_png_max_area,
            render_timeout=s.iiif_render_timeout,
            render_queue=s.iiif_render_queue,
            render_queue_wait=s.iiif_render_queue_wait,
            allow_passthrough=s.iiif_tile_passthrough,
            base_url=s.base_url.rstrip("/") + "/iiif/3",
            source_cache_dir=str(s.data_dir / "cache" / "pyramids"),
        )

    def __post_init__(self) -> None:
        if not 1 <= self.jpeg_quality <= 100:
            raise ValueError(f"jpeg_quality must be 1..100, not {self.jpeg_quality}")
        for name in ("max_width", "max_height", "max_area"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be positive or None, not {value}")
        if self.render_concurrency < 0 or self.cache_bytes < 0 or self.open_pyramids < 1 or self.vips_concurrency < 0:
            raise ValueError("render_concurrency, vips_concurrency and cache_bytes must be >= 0, open_pyramids >= 1")
        if self.malloc_arenas < 0:
            raise ValueError(f"malloc_arenas must be >= 0, not {self.malloc_arenas}")
        if self.open_files < 1:
            raise ValueError(f"open_files must be >= 1, not {self.open_files}")
        for name in ("gif_max_area", "png_max_area"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be positive or None, not {value}")
        if self.render_timeout < 0 or self.render_queue < 0 or self.render_queue_wait < 0:
            raise ValueError("render_timeout, render_queue and render_queue_wait must be >= 0")
        if self.base_url is not None and not self.base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must be an http(s) URL, not {self.base_url!r}")

    @property
    def limits(self) -> SizeLimits:
        return SizeLimits(self.max_width, self.max_height, self.max_area, self.gif_max_area, self.png_max_area)

    @property
    def workers(self) -> int:
        return self.render_concurrency or os.cpu_count() or 1
