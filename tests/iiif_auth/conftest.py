"""A repository with a public, a restricted and a tiered item and a reader account, in process."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from app.web import create_app
from repo.access import Tier
from repo.auth import Role
from repo.auth.users import UserStore
from repo.catalog.reader_access import set_tier
from repo.lifecycle.collections import ensure_collection
from repo.lifecycle.visibility import set_visibility
from repo.services import Services
from repo.settings import Settings
from tests.api.helpers import ingest_item

PASSWORD = "a reader's password"
BASE = "http://testserver"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Library:
    services: Services
    app: object
    public: str
    restricted: str
    tiered: str
    log: Path

    def client(self, **kwargs: object) -> TestClient:
        return TestClient(self.app, base_url=BASE, **kwargs)  # type: ignore[arg-type]

    def sign_in(self, client: TestClient, name: str = "reader", password: str = PASSWORD) -> None:
        form = client.get("/iiif/auth/access", params={"origin": BASE})
        csrf = _CSRF.search(form.text)
        assert csrf, form.text
        answer = client.post(
            "/iiif/auth/access", data={"csrf_token": csrf.group(1), "name": name, "password": password}
        )
        assert answer.status_code == 200 and "signed in as" in answer.text, answer.text


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    root = tmp_path_factory.mktemp("iiif-auth")
    settings = Settings(data_dir=root / "data", ingest_workers=2, base_url=BASE, ocr=False, iiif_auth_public_size=64)
    services = Services.open(settings)
    ensure_collection(services, "letters", "Letters")
    public = ingest_item(services, root / "scans", "open-1")
    restricted = ingest_item(services, root / "scans", "closed-1", pages=2)
    tiered = ingest_item(services, root / "scans", "tiered-1")
    for item in (restricted, tiered):
        set_visibility(services, item, "restricted", None)
    set_tier(services.catalog.db, "item", tiered, Tier.SMALL.value)
    UserStore(services.catalog.db).create("reader", Role.READER, PASSWORD)
    try:
        yield Library(services, create_app(settings, services), public, restricted, tiered, root / "log")
    finally:
        services.close()
