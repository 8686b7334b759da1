"""The application closes at shutdown only what it opened: services handed to it belong to the
caller (a worker in the same process shares their catalog, and a test client or a fuzzer's
per-call client ends the application's lifespan many times while that worker runs)."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from app.web import create_app
from repo.services import Services
from repo.settings import Settings


def test_services_given_to_the_app_outlive_its_lifespan(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", ocr=False)
    services = Services.open(settings)
    try:
        for _ in range(2):  # two clients, two lifespans, as a fuzzer's calls make
            with TestClient(create_app(settings, services)) as client:
                assert client.get("/healthz").status_code == 200
        assert not services.catalog.db.closed
        assert services.catalog.db.query_one("SELECT COUNT(*) AS n FROM items") == {"n": 0}
    finally:
        services.close()


def test_services_the_app_opened_are_closed_with_it(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path / "data", ocr=False))
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
    assert app.state.services.catalog.db.closed
