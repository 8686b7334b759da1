"""Entry point for uvicorn workers: each rebuilds Settings from the same environment and file."""

from __future__ import annotations

import os
from pathlib import Path

from starlette.applications import Starlette

from repo.settings import Settings
from repo.web.app import create_app


def create_app_from_environment() -> Starlette:
    config = os.environ.get("MUNIMENT_CONFIG")
    return create_app(Settings.load(Path(config) if config else None))
