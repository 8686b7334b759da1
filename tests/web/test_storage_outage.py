"""Access storage out of reach while the site serves: an image that must be read from storage
answers 503 with Retry-After and a message that names no endpoint or path (the log has those);
pages that need only the catalog still answer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from app.web.app import create_app
from ingest.context import ItemSource
from ingest.runner import Ingester
from repo.auth import Role, TokenStore
from repo.services import Services
from repo.settings import Settings
from tests.ingest.conftest import write_page
from tests.servers.seaweedfs import ACCESS_KEY, SECRET_KEY, SeaweedFS

BASE = "http://testserver"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SeaweedFS]:
    """A server of this test's own: the session's is shared and must not die."""
    weed = SeaweedFS(tmp_path / "weed").start()
    yield weed
    weed.stop()


def test_storage_out_of_reach_is_503_with_retry_after_and_no_endpoint(server: SeaweedFS, tmp_path: Path) -> None:
    bucket = server.create_bucket("outage")
    settings = Settings(
        data_dir=tmp_path / "data",
        base_url=BASE,
        preservation_storage=f"s3://{bucket}/preservation",
        access_storage=f"s3://{bucket}/access",
        s3_endpoint=server.endpoint,
        s3_access_key=ACCESS_KEY,
        s3_secret_key=SECRET_KEY,
        ocr=False,
    )
    services = Services.open(settings)
    folder = tmp_path / "letter"
    folder.mkdir()
    write_page(folder / "p1.png", 900, 700)
    (folder / "metadata.json").write_text('{"title": "A letter"}')
    ingester = Ingester(services, workers=1)
    try:
        result = ingester.ingest(ItemSource(folder, "letters", identifier="outage-1"))
    finally:
        ingester.close()
    assert result.status == "ingested", result.problems
    admin = {"Authorization": f"Bearer {TokenStore(services.catalog.db).create('admin', Role.ADMIN)[0]}"}
    try:
        with TestClient(create_app(settings, services), base_url=BASE) as client:
            manifest = client.get(f"/iiif/{result.item_id}/manifest").json()
            service = manifest["items"][0]["items"][0]["items"][0]["body"]["service"][0]["id"]
            assert client.get(f"{service}/0,0,256,256/256,/0/default.jpg").status_code == 200
            server.kill()
            answer = client.get(f"{service}/256,256,256,256/256,/0/default.jpg")
            assert answer.status_code == 503, answer.text
            assert answer.headers["Retry-After"].isdigit()
            assert "unavailable" in answer.json()["error"]["message"]
            assert server.endpoint.split("//")[1] not in answer.text and bucket not in answer.text
            assert client.get(f"/iiif/{result.item_id}/manifest").status_code == 200, "the catalog still answers"
            # A withdrawal writes a preservation version: the site's own handler answers the same way.
            withdrawal = client.post(
                f"/api/v1/items/{result.item_id}/withdraw", json={"reason": "duplicate"}, headers=admin
            )
            assert withdrawal.status_code == 503, withdrawal.text
            assert withdrawal.headers["Retry-After"].isdigit()
            assert server.endpoint.split("//")[1] not in withdrawal.text and bucket not in withdrawal.text
            assert services.catalog.get_item(result.item_id).status == "active", "nothing was half-done"
    finally:
        services.close()
