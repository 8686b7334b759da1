"""A large collection's IIIF collection is split into parts: each a small, valid document, together
listing exactly the collection's public items, in the order of one document."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from app.errors import HANDLERS
from iiif.presentation.routes import presentation_routes
from repo.catalog import Catalog
from repo.services import Services
from repo.settings import Settings
from tests.presentation import samples
from tests.presentation.conftest import BASE
from tests.presentation.schema_check import assert_valid


def serve(tmp_path: Path, catalog_url: str, page_size: int) -> tuple[TestClient, Services]:
    services = Services.open(
        Settings(data_dir=tmp_path, database_url=catalog_url, base_url=BASE, iiif_collection_page_size=page_size)
    )
    return TestClient(Starlette(routes=presentation_routes(services), exception_handlers=HANDLERS)), services


@pytest.fixture
def small_parts(tmp_path: Path, catalog_url: str) -> Iterator[tuple[TestClient, Catalog]]:
    client, services = serve(tmp_path, catalog_url, 3)
    catalog = services.catalog
    catalog.ensure_collection("letters", "Letters")
    for n in (5, 3, 8, 1, 7, 2, 6, 4):
        samples.add(catalog, samples.item(f"l{n}", title=f"Letter {n}"))
    samples.add(catalog, samples.item("hidden", title="Letter 0", visibility="restricted"))
    yield client, catalog
    services.close()


def straightforward(catalog: Catalog) -> list[str]:
    rows = catalog.db.query(
        "SELECT id FROM items WHERE collection = 'letters' AND status = 'active' AND visibility = 'public'"
        " ORDER BY title, id"
    )
    return [f"{BASE}/iiif/{r['id']}/manifest" for r in rows]


def test_parts_list_every_public_member_once_in_order(small_parts: tuple[TestClient, Catalog]) -> None:
    client, catalog = small_parts
    top = client.get("/iiif/collection/letters").json()
    assert_valid(top)
    assert [p["id"] for p in top["items"]] == [f"{BASE}/iiif/collection/letters/{n}" for n in (1, 2, 3)]
    assert top["items"][2]["label"] == {"none": ["Letters: items 7–8"]}
    members = []
    for ref in top["items"]:
        part = client.get(ref["id"].removeprefix(BASE)).json()
        assert_valid(part)
        assert part["id"] == ref["id"] and part["label"] == ref["label"]
        assert part["partOf"][0]["id"] == f"{BASE}/iiif/collection/letters"
        members += [m["id"] for m in part["items"]]
    assert members == straightforward(catalog)
    assert client.get("/iiif/collection/letters/4").status_code == 404
    assert client.get("/iiif/collection/letters/0").status_code == 404


def test_a_collection_within_one_document_has_no_parts(tmp_path: Path, catalog_url: str) -> None:
    client, services = serve(tmp_path, catalog_url, 1000)
    services.catalog.ensure_collection("letters", "Letters")
    samples.add(services.catalog, samples.item("a", title="A letter"))
    whole = client.get("/iiif/collection/letters").json()
    assert [m["id"] for m in whole["items"]] == [f"{BASE}/iiif/a/manifest"]
    assert client.get("/iiif/collection/letters/1").status_code == 404
    services.close()


def test_a_new_item_moves_the_parts(small_parts: tuple[TestClient, Catalog]) -> None:
    client, catalog = small_parts
    assert len(client.get("/iiif/collection/letters").json()["items"]) == 3
    samples.add(catalog, samples.item("l9", title="Letter 9"))
    samples.add(catalog, samples.item("l10", title="Letter 10"))
    top = client.get("/iiif/collection/letters").json()
    assert len(top["items"]) == 4  # the count is cached per catalog version: the change is seen at once
    assert client.get("/iiif/collection/letters/4").json()["items"][0]["id"] == f"{BASE}/iiif/l9/manifest"


@pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
def test_no_document_of_a_large_collection_exceeds_1_mb(tmp_path: Path, catalog_url: str) -> None:
    client, services = serve(tmp_path, catalog_url, 1000)
    catalog = services.catalog
    catalog.ensure_collection("letters", "Letters of a long correspondence " * 4)
    db = catalog.db
    long_title = "Autograph letter, signed, on the Analytical Engine and the notes to the memoir " * 3
    with db.transaction():
        db.executemany(
            "INSERT INTO items (id, collection, content_key, title, page_count, created, datestamp)"
            " VALUES (?, 'letters', ?, ?, 1, '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z')",
            [(f"item-with-a-long-identifier-{n:05d}", f"k{n}", f"{long_title} {n}") for n in range(2500)],
        )
        db.executemany(
            "INSERT INTO files (item_id, seq, path, label, size, sha512, mime, width, height, derivative_key,"
            " thumbnail_key) VALUES (?, 1, 'data/p1.tif', 'p. 1', 1, '', 'image/tiff', 3000, 4000, '', '')",
            [(f"item-with-a-long-identifier-{n:05d}",) for n in range(2500)],
        )
    top = client.get("/iiif/collection/letters")
    assert len(top.content) < 1_000_000 and len(top.json()["items"]) == 3
    sizes = []
    for ref in top.json()["items"]:
        part = client.get(ref["id"].removeprefix(BASE))
        assert_valid(part.json())
        sizes.append(len(part.content))
    assert (
        max(sizes) < 1_000_000
        and sum(len(client.get(r["id"].removeprefix(BASE)).json()["items"]) for r in top.json()["items"]) == 2500
    )
    services.close()
