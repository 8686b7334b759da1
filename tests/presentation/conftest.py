"""Fixtures for Presentation API tests: a publisher and manifest sources made in memory."""

from __future__ import annotations

import pytest

from iiif.presentation.ids import Urls
from iiif.presentation.source import Publisher

BASE = "https://repo.example.org"


@pytest.fixture
def publisher() -> Publisher:
    return Publisher(Urls(BASE), "Example Library", "Example Repository")
