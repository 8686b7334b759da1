"""A repository with one ingested item, the staff pages, and an account of every role."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from app.web import create_app
from app.worker import Worker
from repo.auth import Role
from repo.auth.users import UserStore
from repo.lifecycle.collections import ensure_collection
from repo.services import Services
from repo.settings import Settings
from tests.api.helpers import ingest_item

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


@dataclass
class Staff:
    services: Services
    client: TestClient
    item_id: str

    def new_client(self) -> TestClient:
        return TestClient(self.client.app, base_url="http://testserver", raise_server_exceptions=True)

    def sign_in(self, client: TestClient, role: Role | None, *, password: str = PASSWORD, next_url: str = "") -> object:
        page = client.get("/staff/sign-in")
        name = role.value if role else "nobody"
        data = {"csrf_token": csrf_of(page.text), "name": name, "password": password, "next": next_url}
        return client.post("/staff/sign-in", data=data, follow_redirects=False)

    def signed_in(self, role: Role) -> TestClient:
        client = self.new_client()
        answer = self.sign_in(client, role)
        assert answer.status_code == 303, answer.text  # type: ignore[attr-defined]
        return client

    def csrf(self, client: TestClient, path: str = "/staff/") -> str:
        return csrf_of(client.get(path).text)


@pytest.fixture(scope="module")
def staff(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Staff]:
    root = tmp_path_factory.mktemp("staff")
    settings = Settings(
        data_dir=root / "data", ingest_workers=2, base_url="http://testserver", staff_sign_in_failures=3
    )
    services = Services.open(settings)
    ensure_collection(services, "letters", "Letters")
    item_id = ingest_item(services, root / "scans", "letter-1")
    users = UserStore(services.catalog.db)
    for role in Role:
        users.create(role.value, role, PASSWORD)
    app = create_app(settings, services)
    # Uploads become jobs on the task queue: a real Huey consumer, in threads, runs them.
    stop_worker = Worker(services).start_in_background()
    try:
        with TestClient(app, base_url="http://testserver") as client:
            yield Staff(services, client, item_id)
    finally:
        stop_worker()


def fill(path: str, staff: Staff) -> str:
    """A route's path with its parameters filled by things that exist."""
    return (
        path.replace("{item}", staff.item_id)
        .replace("{slug}", "letters")
        .replace("{name}", "reader")
        .replace("{token}", "000000000000")
        .replace("{upload}", "0" * 24)
        .replace("{job}", "0" * 16)
    )


@pytest.fixture
def tmp(tmp_path: Path) -> Path:
    return tmp_path
