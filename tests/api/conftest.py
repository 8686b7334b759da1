from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from repo.settings import Settings
from tests.api.helpers import Repository, open_repository


@pytest.fixture
def database_url() -> str:
    """SQLite in the data folder; modules that override this with ``catalog_url`` run on PostgreSQL too."""
    return ""


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    allowed = tmp_path / "dropbox"
    allowed.mkdir()
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        ingest_workers=2,
        ingest_allowed_roots=(str(allowed),),
        base_url="http://testserver",
        ocr=False,  # the API's tests are not about page text (tests/ocr is)
    )


@pytest.fixture
def repo(settings: Settings) -> Iterator[Repository]:
    yield from open_repository(settings)
