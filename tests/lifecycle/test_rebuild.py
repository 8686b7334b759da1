"""rebuild-catalog: drop the catalog, rebuild it from preservation storage alone, and find it identical."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from repo.audit import FixityAudit, Preservation
from repo.catalog import Catalog
from repo.lifecycle import edit_metadata, purge, rebuild_catalog, withdraw
from repo.metadata.loader import load_record
from repo.services import Services
from repo.settings import Settings
from storage import FilesystemStorage, Storage
from storage.s3 import S3Storage
from tests.audit.conftest import content_key, damage, ingest_pages
from tests.conftest import s3_location
from tests.lifecycle.conftest import USER, mods_file


@pytest.fixture(params=[("filesystem", "sqlite"), ("s3", "postgresql")], ids=["filesystem-sqlite", "s3-postgresql"])
def setup(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Services, Any]]:
    """Preservation, replica and access storage plus a way to make a fresh, empty catalog."""
    storage_kind, database = request.param
    if storage_kind == "filesystem":
        stores: list[Storage] = [FilesystemStorage(tmp_path / n) for n in ("preservation", "replica", "access")]
    else:
        server = request.getfixturevalue("seaweedfs")
        bucket = request.getfixturevalue("shared_bucket")
        run = uuid.uuid4().hex[:12]
        stores = [S3Storage(s3_location(server, bucket, prefix=f"{n}-{run}")) for n in ("p", "r", "a")]

    def new_catalog() -> Catalog:
        if database == "sqlite":
            return Catalog.open(f"sqlite:///{tmp_path / uuid.uuid4().hex}.sqlite3")
        return Catalog.open(request.getfixturevalue("postgres").create_database(f"t_{uuid.uuid4().hex[:12]}"))

    settings = Settings(data_dir=tmp_path / "data", ingest_workers=2)
    services = Services(settings, stores[0], stores[2], stores[1], new_catalog())
    yield services, new_catalog
    services.catalog.close()


def snapshot(catalog: Catalog) -> dict[str, Any]:
    items = catalog.list_items(limit=1000)
    return {
        "items": items,
        "files": {i.id: catalog.files(i.id) for i in items},
        "metadata": {i.id: catalog.metadata(i.id) for i in items},
        "events": {i.id: catalog.events(i.id) for i in items},
        "replication": {i.id: catalog.replication(i.id) for i in items},
        "fixity": sorted(catalog.fixity_rows("all"), key=lambda r: (r.item_id, r.copy, r.content_path)),
        "collections": [c.slug for c in catalog.list_collections()],
    }


def test_rebuilt_catalog_is_identical(setup: tuple[Services, Any], tmp_path: Path) -> None:
    services, new_catalog = setup
    edited = ingest_pages(services, tmp_path, pages=2, name="edited", seed=1)
    withdrawn = ingest_pages(services, tmp_path, pages=1, name="withdrawn", seed=2, identifier="MS 7")
    purged = ingest_pages(services, tmp_path, pages=1, name="purged", seed=3)
    p = Preservation(services)
    try:
        edit_metadata(p, edited, load_record(mods_file(tmp_path / "e", "Edited title")), USER)
        withdraw(p, withdrawn, "duplicate", USER)
        FixityAudit(p).run()
        damage(services.preservation, content_key(services.preservation, edited, "data/p2.tif"), "flip")
        run = FixityAudit(p).run()
        assert len(run.repaired) == 1
        purge(p, purged, "deposited in error", USER)
        # One pyramid lost: that page's size must come from the master's header.
        services.access.delete(services.catalog.files(edited)[1].derivative_key)
    finally:
        p.close()
    before = snapshot(services.catalog)
    assert {i.status for i in before["items"]} == {"active", "withdrawn", "purged"}
    assert {i.id: i.external_id for i in before["items"]}[withdrawn] == "MS 7"

    services.catalog.close()
    services.catalog = new_catalog()  # the old catalog is gone: only storage remains
    p = Preservation(services)
    try:
        result = rebuild_catalog(p)
    finally:
        p.close()
    assert (result.items, result.withdrawn, result.purged, result.problems) == (2, 1, 1, [])
    after = snapshot(services.catalog)
    for part in before:
        assert after[part] == before[part], part

    from repo.search import Search, SearchQuery

    assert [h.item_id for h in Search(services.catalog.db).search(SearchQuery(text="edited")).hits] == [edited]
