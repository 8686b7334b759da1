"""The catalog on both databases: what ingest writes is what the site reads back."""

from __future__ import annotations

import pytest

from repo.catalog import Catalog, Event, Item, ItemMetadata, PageFile, utc_now


def sample(item_id: str = "i1", content_key: str = "k1") -> tuple[Item, list[PageFile], ItemMetadata, list[Event]]:
    now = utc_now()
    item = Item(
        id=item_id,
        collection="letters",
        title="Letter to Ada",
        content_key=content_key,
        page_count=2,
        created=now,
        datestamp=now,
        external_id="MS-1",
    )
    files = [
        PageFile(
            seq=i,
            path=f"data/p{i}.tif",
            label=f"p. {i}",
            size=100 * i,
            sha512="a" * 128,
            mime="image/tiff",
            width=3000,
            height=4000,
            derivative_key=f"{item_id}/p{i}.tif",
            thumbnail_key=f"{item_id}/p{i}.jpg",
        )
        for i in (1, 2)
    ]
    meta = ItemMetadata(
        dc={"title": ["Letter to Ada"], "creator": ["Babbage, Charles"]},
        dc_xml="<dc/>",
        mods_xml="<mods/>",
        language="en",
        creators="Babbage, Charles",
        date="1843",
        date_start=1843,
        date_end=1843,
        toc=[{"title": "Intro", "start_page": 1, "end_page": 1}],
    )
    events = [Event(item_id, "ingestion", now, "success", "Muniment test")]
    return item, files, meta, events


def test_register_and_read_back(catalog_url: str) -> None:
    catalog = Catalog.open(catalog_url)
    catalog.ensure_collection("letters", "Letters")
    item, files, meta, events = sample()
    catalog.register_item(item, files, meta, events)
    assert catalog.get_item("i1") == item
    assert catalog.files("i1") == files
    assert catalog.metadata("i1") == meta
    assert catalog.events("i1") == events
    assert catalog.find_by_content("k1") == item
    assert catalog.count_items("letters") == 1
    assert [c.slug for c in catalog.list_collections()] == ["letters"]
    catalog.close()


def test_a_failed_registration_leaves_nothing(catalog_url: str) -> None:
    catalog = Catalog.open(catalog_url)
    catalog.ensure_collection("letters")
    item, files, meta, events = sample()
    catalog.register_item(item, files, meta, events)
    second, files2, meta2, events2 = sample("i2", "k2")
    duplicate_pages = [*files2, files2[0]]  # violates the (item, seq) key half-way through
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        catalog.register_item(second, duplicate_pages, meta2, events2)
    assert catalog.get_item("i2") is None
    assert catalog.files("i2") == []
    assert catalog.count_items() == 1
    catalog.close()


def test_withdrawal_moves_the_datestamp_and_hides_the_item(catalog_url: str) -> None:
    catalog = Catalog.open(catalog_url)
    catalog.ensure_collection("letters")
    item, files, meta, events = sample()
    item = Item(**{**item.__dict__, "datestamp": "2020-01-01T00:00:00Z"})
    catalog.register_item(item, files, meta, events)
    assert item.is_public()
    withdrawn = catalog.set_status("i1", status="withdrawn", reason="duplicate")
    assert withdrawn.status == "withdrawn" and not withdrawn.is_public()
    assert withdrawn.datestamp > item.datestamp
    catalog.close()


def test_nul_in_a_requested_identifier_is_a_client_error_on_both_databases(catalog_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from starlette.testclient import TestClient

    from app.web import create_app
    from repo.settings import Settings

    app = create_app(Settings(data_dir=tmp_path / "data", database_url=catalog_url))
    with TestClient(app) as client:
        for path in ("/items/a%00b", "/iiif/a%00b/manifest", "/collections/a%00b", "/iiif/collection/a%00b"):
            status = client.get(path).status_code
            assert 400 <= status < 500, (path, status)
