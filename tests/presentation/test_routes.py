"""The Presentation API over HTTP: JSON-LD, CORS, ETag and 304, invalidation, access, collections."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

import iiif.presentation.service as service_module
from app.errors import HANDLERS
from iiif.presentation.routes import presentation_routes
from repo.catalog import Catalog
from repo.services import Services
from repo.settings import Settings
from tests.presentation import samples
from tests.presentation.conftest import BASE
from tests.presentation.schema_check import assert_valid

JSON_LD = 'application/ld+json;profile="http://iiif.io/api/presentation/3/context.json"'


@pytest.fixture
def services(tmp_path: Path, catalog_url: str) -> Iterator[Services]:
    opened = Services.open(
        Settings(data_dir=tmp_path, database_url=catalog_url, base_url=BASE, source_organization="Example Library")
    )
    yield opened
    opened.close()


@pytest.fixture
def catalog(services: Services) -> Catalog:
    return services.catalog


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    app = Starlette(routes=presentation_routes(services), exception_handlers=HANDLERS)
    with TestClient(app) as test_client:
        yield test_client


def test_manifest_is_json_ld_with_cors_and_a_validator(client: TestClient, catalog: Catalog) -> None:
    samples.add(catalog, samples.item())
    response = client.get("/iiif/i1/manifest")
    assert response.status_code == 200
    assert response.headers["content-type"] == JSON_LD
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["etag"].startswith('"') and "no-cache" in response.headers["cache-control"]
    manifest = response.json()
    assert manifest["id"] == f"{BASE}/iiif/i1/manifest" and len(manifest["items"]) == 3
    assert_valid(manifest)


def test_conditional_requests_get_304_without_a_body(client: TestClient, catalog: Catalog) -> None:
    samples.add(catalog, samples.item())
    etag = client.get("/iiif/i1/manifest").headers["etag"]
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = client.get("/iiif/i1/manifest", headers={"If-None-Match": header})
        assert again.status_code == 304, header
        assert again.content == b"" and again.headers["etag"] == etag
    assert client.get("/iiif/i1/manifest", headers={"If-None-Match": '"stale"'}).status_code == 200


def test_a_change_to_the_item_or_its_collection_makes_a_new_manifest(client: TestClient, catalog: Catalog) -> None:
    samples.add(catalog, samples.item())
    first = client.get("/iiif/i1/manifest")
    catalog.replace_metadata("i1", "Letter to Ada, revised", samples.record("Letter to Ada, revised"), 2, [])
    second = client.get("/iiif/i1/manifest", headers={"If-None-Match": first.headers["etag"]})
    assert second.status_code == 200 and second.headers["etag"] != first.headers["etag"]
    assert second.json()["label"] == {"en": ["Letter to Ada, revised"]}
    catalog.replace_metadata("i1", "Letter", samples.record("Letter", rights=None), 3, [])
    catalog.update_collection("letters", rights="http://creativecommons.org/publicdomain/zero/1.0/")
    third = client.get("/iiif/i1/manifest")
    assert third.json()["rights"] == "http://creativecommons.org/publicdomain/zero/1.0/"


def test_a_warm_manifest_is_not_built_again(
    client: TestClient, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    samples.add(catalog, samples.item())
    builds: list[str] = []
    real = service_module.build_manifest

    def counting(source: Any, publisher: Any) -> Any:
        builds.append(source.item.id)
        return real(source, publisher)

    monkeypatch.setattr(service_module, "build_manifest", counting)
    bodies = {client.get("/iiif/i1/manifest").content for _ in range(3)}
    assert len(builds) == 1 and len(bodies) == 1


def test_large_manifests_are_sent_gzipped(client: TestClient, catalog: Catalog) -> None:
    samples.add(catalog, samples.item(page_count=200))
    response = client.get("/iiif/i1/manifest", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip" and "accept-encoding" in response.headers["vary"].lower()
    assert len(response.json()["items"]) == 200  # httpx decoded it
    plain = client.get("/iiif/i1/manifest", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and json.loads(plain.content) == response.json()


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"status": "withdrawn", "status_reason": "duplicate"}, 410),
        ({"visibility": "restricted"}, 200),  # everyone's manifest: its images decide per reader (iiif/auth)
        ({"visibility": "embargoed", "embargo_until": "2999-01-01T00:00:00Z"}, 401),
        ({"visibility": "embargoed", "embargo_until": "2000-01-01T00:00:00Z"}, 200),
    ],
)
def test_access_decides_the_status(client: TestClient, catalog: Catalog, changes: dict[str, Any], status: int) -> None:
    samples.add(catalog, samples.item(**changes))
    response = client.get("/iiif/i1/manifest")
    assert response.status_code == status
    if status != 200:
        assert response.json()["error"]["status"] == status
        assert response.headers["access-control-allow-origin"] == "*"


def test_unknown_items_and_collections_are_404(client: TestClient) -> None:
    assert client.get("/iiif/nope/manifest").status_code == 404
    assert client.get("/iiif/collection/nope").status_code == 404


def test_preflight_is_answered(client: TestClient, catalog: Catalog) -> None:
    response = client.options(
        "/iiif/i1/manifest", headers={"Origin": "https://viewer.example", "Access-Control-Request-Method": "GET"}
    )
    assert response.status_code == 204 and response.headers["access-control-allow-origin"] == "*"


def test_collections_list_public_items_and_validate(client: TestClient, catalog: Catalog) -> None:
    catalog.ensure_collection("letters", "Letters", "Letters of note", "http://rightsstatements.org/vocab/NoC-US/1.0/")
    samples.add(catalog, samples.item("b", title="Beta letter"))
    samples.add(catalog, samples.item("a", title="Alpha letter"))
    samples.add(catalog, samples.item("hidden", visibility="restricted"))
    samples.add(catalog, samples.item("gone", status="withdrawn"))
    samples.add(catalog, samples.item("m1", collection="maps", title="Map of the parish"))
    response = client.get("/iiif/collection/letters")
    assert response.status_code == 200 and response.headers["content-type"] == JSON_LD
    collection = response.json()
    assert_valid(collection)
    assert [m["id"] for m in collection["items"]] == [f"{BASE}/iiif/a/manifest", f"{BASE}/iiif/b/manifest"]
    assert collection["items"][0]["thumbnail"][0]["service"][0]["id"] == f"{BASE}/iiif/3/a~1"
    assert collection["rights"] == "http://rightsstatements.org/vocab/NoC-US/1.0/"
    assert collection["partOf"][0]["id"] == f"{BASE}/iiif/collection/top"
    etag = response.headers["etag"]
    assert client.get("/iiif/collection/letters", headers={"If-None-Match": etag}).status_code == 304

    top = client.get("/iiif/collection/top").json()
    assert_valid(top)
    assert [c["id"] for c in top["items"]] == [f"{BASE}/iiif/collection/letters", f"{BASE}/iiif/collection/maps"]


def test_an_empty_collection_is_still_valid(client: TestClient, catalog: Catalog) -> None:
    catalog.ensure_collection("empty", "Nothing yet")
    collection = client.get("/iiif/collection/empty").json()
    assert collection["items"] == []
    assert_valid(collection)
