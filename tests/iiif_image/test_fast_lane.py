"""The fast lane of the ASGI entry point (``image_fast_lane``, which ``muniment serve`` runs): every
request below /iiif/3 answered exactly as the Starlette application answers it (status, headers,
body), cold and from the endpoint's memo, for public, restricted and withdrawn items; everything
else still reaches the application, lifespan included."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from app.web.asgi import create_app_from_environment
from iiif.catalog_images import image_fast_lane
from iiif.image import ImageMount
from repo.auth import Role
from repo.settings import Settings
from tests.api.helpers import Repository, ingest_item, open_repository

API = "/api/v1"
TILE = "0,0,32,32/32,/0/default.jpg"


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repository]:
    settings = Settings(data_dir=tmp_path / "data", ingest_workers=2, base_url="http://testserver")
    for repository in open_repository(settings):
        for identifier in ("P-1", "R-1"):
            ingest_item(repository.services, tmp_path / "scans", identifier)
        answer = repository.client.put(
            f"{API}/items/R-1/visibility", json={"visibility": "restricted"}, headers=repository.auth(Role.CURATOR)
        )
        assert answer.status_code == 200
        yield repository


def answer(
    client: TestClient, method: str, url: str, headers: dict[str, str]
) -> tuple[int, list[tuple[str, str]], bytes]:
    r = client.request(method, url, headers=headers, follow_redirects=False)
    return r.status_code, sorted((k, v) for k, v in r.headers.items() if k != "date"), r.content


def assert_same_answers(repo: Repository, requests: list[tuple[str, str, dict[str, str]]]) -> set[int]:
    """Each request through the application and through the lane, twice (the second time from the
    endpoint's memo where it remembers one): the same answers. Returns the statuses seen."""
    lane = TestClient(image_fast_lane(repo.app), raise_server_exceptions=False)
    statuses = set()
    for method, url, headers in requests:
        for _ in range(2):
            plain = answer(repo.client, method, url, headers)
            fast = answer(lane, method, url, headers)
            assert fast == plain, (method, url, headers)
            statuses.add(plain[0])
    return statuses


def test_the_lane_answers_every_image_request_as_the_application_does(repo: Repository) -> None:
    reader = repo.auth(Role.READER)
    etag = repo.client.get("/iiif/3/P-1~1/info.json").headers["etag"]
    tile_etag = repo.client.get(f"/iiif/3/P-1~1/{TILE}").headers["etag"]
    requests: list[tuple[str, str, dict[str, str]]] = [
        ("GET", "/iiif/3/P-1~1/info.json", {}),
        ("GET", "/iiif/3/P-1~1/info.json", {"Accept": "application/json"}),
        ("GET", "/iiif/3/P-1~1/info.json", {"Accept": "application/ld+json"}),
        ("HEAD", "/iiif/3/P-1~1/info.json", {}),
        ("GET", "/iiif/3/P-1~1/info.json", {"If-None-Match": etag}),
        ("GET", f"/iiif/3/P-1~1/{TILE}", {}),
        ("GET", f"/iiif/3/P-1~1/{TILE}", {"If-None-Match": tile_etag}),
        ("GET", "/iiif/3/P-1~1/full/max/90/gray.png", {}),
        ("OPTIONS", "/iiif/3/P-1~1/info.json", {"Access-Control-Request-Headers": "Authorization"}),
        ("GET", "/iiif/3/P-1~1", {}),
        ("GET", "/iiif/3/P-1~1/0,0,0,0/max/0/default.jpg", {}),
        ("GET", "/iiif/3/P-1~1/full/max/0/default.bmp", {}),
        ("GET", "/iiif/3/NOPE~1/info.json", {}),
        ("GET", "/iiif/3/P-1%2F~1/info.json", {}),
        ("GET", "/iiif/3/..%2F..%2Fetc%2Fpasswd/info.json", {}),
        ("POST", "/iiif/3/P-1~1/info.json", {}),
        ("GET", "/iiif/3/R-1~1/info.json", {}),
        ("GET", "/iiif/3/R-1~1/info.json", reader),
        ("GET", f"/iiif/3/R-1~1/{TILE}", reader),
        ("GET", f"/iiif/3/R-1~1/{TILE}", {}),
        ("GET", f"/iiif/3/R-1~1/{TILE}", {"Authorization": "Bearer not-a-token"}),
    ]
    assert assert_same_answers(repo, requests) == {200, 204, 303, 304, 400, 401, 404, 405}


def test_a_withdrawn_image_is_gone_through_the_lane_as_through_the_application(repo: Repository) -> None:
    """Remembered answers last as long as the resolver's (``resolve_ttl``) in both: then 410."""
    urls = ["/iiif/3/P-1~1/info.json", f"/iiif/3/P-1~1/{TILE}", "/iiif/3/R-1~1/info.json"]
    lane = TestClient(image_fast_lane(repo.app))
    for url in urls[:2] * 3:  # remembered by the endpoint, tile cached
        assert lane.get(url).status_code == 200
    admin = repo.auth(Role.ADMIN)
    for item in ("P-1", "R-1"):
        assert (
            repo.client.post(f"{API}/items/{item}/withdraw", json={"reason": "rights"}, headers=admin).status_code
            == 200
        )
    mount = next(r for r in repo.app.routes if isinstance(r, ImageMount))
    time.sleep(mount.endpoint.service.config.resolve_ttl + 0.1)
    for url in urls:
        gone = lane.get(url)
        assert gone.status_code == 410 and gone.headers["access-control-allow-origin"] == "*", url
    assert assert_same_answers(repo, [("GET", url, h) for url in urls for h in ({}, repo.auth(Role.READER))]) == {410}


def test_the_rest_of_the_site_and_lifespan_pass_through(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MUNIMENT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MUNIMENT_BASE_URL", "http://testserver")
    monkeypatch.delenv("MUNIMENT_CONFIG", raising=False)
    app = create_app_from_environment()  # what the server's workers load
    with TestClient(app) as client:  # runs the application's lifespan
        assert client.get("/healthz").json() == {"status": "ok"}
        assert client.get("/iiif/3/NOPE~1/info.json").status_code == 404
        assert client.get("/iiif/NOPE/manifest").status_code == 404
        assert client.get("/iiif/3x").status_code == 404
        assert client.get("/").status_code == 200
