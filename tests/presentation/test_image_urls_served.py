"""Every image URL that manifests and collections give is one the image server answers, at the
size they declare: pages from 100 to 5,000 pixels, ingested for real and served in process."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from PIL import Image
from starlette.testclient import TestClient

from app.web.app import create_app
from ingest.context import ItemSource
from ingest.runner import Ingester
from repo.services import Services
from repo.settings import Settings
from tests.ingest.conftest import write_page

BASE = "http://testserver"
# (width, height): under, at and over the 200-pixel thumbnail box on either side, up to 5,000.
PAGE_SIZES = [(100, 100), (150, 180), (199, 120), (200, 200), (201, 90), (120, 640), (5000, 160), (300, 5000)]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("sizes")
    settings = Settings(data_dir=root / "data", base_url=BASE, ingest_workers=2)
    services = Services.open(settings)
    ingester = Ingester(services, workers=2)
    try:
        for index, (width, height) in enumerate(PAGE_SIZES):
            folder = root / f"item{index}"
            folder.mkdir()
            write_page(folder / "p1.png", width, height, seed=index + 1)
            write_page(folder / "p2.png", height, width, seed=index + 50)  # the same page turned
            (folder / "metadata.json").write_text(f'{{"title": "Page of {width}x{height}"}}')
            result = ingester.ingest(ItemSource(folder, "sizes", identifier=f"size-{index}"))
            assert result.status == "ingested", result.problems
    finally:
        ingester.close()
    with TestClient(create_app(settings, services)) as test_client:
        yield test_client
    services.close()


def image_urls(document: Any) -> Iterator[tuple[str, int | None, int | None]]:
    """Every (image URL, declared width, declared height) anywhere in a IIIF document."""
    if isinstance(document, dict):
        if document.get("type") == "Image" and "id" in document:
            yield document["id"], document.get("width"), document.get("height")
        for value in document.values():
            yield from image_urls(value)
    elif isinstance(document, list):
        for value in document:
            yield from image_urls(value)


def get(client: TestClient, url: str) -> Any:
    response = client.get(urlsplit(url).path)
    assert response.status_code == 200, (url, response.status_code, response.text[:200])
    return response


def test_every_image_url_of_every_manifest_and_collection_is_served(client: TestClient) -> None:
    collection = get(client, f"{BASE}/iiif/collection/sizes").json()
    documents = [collection] + [get(client, m["id"]).json() for m in collection["items"]]
    assert len(documents) == 1 + len(PAGE_SIZES)
    checked = 0
    for document in documents:
        for url, width, height in image_urls(document):
            image = Image.open(io.BytesIO(get(client, url).content))
            if width is not None:
                assert image.size == (width, height), url
            checked += 1
    # the collection's thumbnails, each manifest's own thumbnail and its two canvases' images
    assert checked == len(PAGE_SIZES) * 4


def test_the_public_thumbnail_redirect_is_served(client: TestClient) -> None:
    for index in range(len(PAGE_SIZES)):
        response = client.get(f"/items/size-{index}/thumbnail", follow_redirects=True)
        assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
