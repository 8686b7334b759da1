"""Entry point for the server's workers: each rebuilds Settings from the same environment and file."""

from __future__ import annotations

import os
from pathlib import Path

from starlette.types import ASGIApp

from app.web.app import create_app
from iiif.catalog_images import image_fast_lane
from repo.settings import Settings


def create_app_from_environment() -> ASGIApp:
    """The Starlette application, with requests below ``/iiif/3`` handed straight to the image
    server (``image_fast_lane``): a cached tile or info.json then skips Starlette's middleware and
    router, about a tenth of its cost. The image endpoint answers CORS, 304s and every error itself."""
    config = os.environ.get("MUNIMENT_CONFIG")
    return image_fast_lane(create_app(Settings.load(Path(config) if config else None)))
