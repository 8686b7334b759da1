"""Metadata edits become new OCFL versions without copying scans; history tells what changed."""

from __future__ import annotations

from pathlib import Path

import bagit

from repo.audit import Preservation
from repo.identifiers import object_id
from repo.lifecycle import edit_metadata, export_bag, item_history
from repo.metadata.loader import load_record
from repo.preservation import ObjectStore
from repo.services import Services
from tests.audit.conftest import ingest_pages
from tests.lifecycle.conftest import USER, RecordingStorage, mods_file
from tests.preservation.ocfl_check import validate_storage


def test_edit_writes_a_version_of_tag_files_only_and_updates_catalog_and_search(
    fs_services: Services, tmp_path: Path
) -> None:
    services = fs_services
    item = ingest_pages(services, tmp_path)
    before = services.catalog.require_item(item)
    recording = RecordingStorage(services.preservation)
    services.preservation = recording
    p = Preservation(services)
    try:
        record = load_record(
            mods_file(
                tmp_path / "edits", "Sketch of the Analytical Engine", "<subject><topic>Computing</topic></subject>"
            )
        )
        result = edit_metadata(p, item, record, USER)
    finally:
        p.close()

    assert result.version == 2 and set(result.changed) == {"title", "subject"}
    assert sorted(result.stored) == [
        "v2/content/bag-info.txt",
        "v2/content/metadata/dc.xml",
        "v2/content/metadata/mods.xml",
        "v2/content/metadata/premis.xml",
        "v2/content/tagmanifest-sha512.txt",
    ]
    assert not [k for k in recording.written if "/data/" in k]  # no scan written anywhere, staging included

    item_row = services.catalog.require_item(item)
    assert item_row.version == 2 and item_row.title == "Sketch of the Analytical Engine"
    assert item_row.datestamp >= before.datestamp
    metadata = services.catalog.metadata(item)
    assert metadata is not None and metadata.dc["subject"] == ["Computing"]
    modification = [e for e in services.catalog.events(item) if e.type == "metadata modification"]
    assert len(modification) == 1 and modification[0].agent == "ada" and "title" in modification[0].detail
    from repo.search import Search, SearchQuery

    hits = Search(services.catalog.db).search(SearchQuery(text="analytical engine sketch")).hits
    assert [h.item_id for h in hits] == [item]

    store = ObjectStore(services.preservation)
    inventory = store.read_inventory(object_id(item))
    assert inventory.versions["v2"].user is not None and inventory.versions["v2"].user.name == "ada"
    new = export_bag(store, object_id(item), None, tmp_path / "v2", None, "v2")
    old = export_bag(store, object_id(item), "1", tmp_path / "v1", None, "v1")
    for bag_dir in (new, old):
        bagit.Bag(str(bag_dir)).validate()
    assert bagit.Bag(str(new)).info["Title"] == "Sketch of the Analytical Engine"
    assert bagit.Bag(str(old)).info["Title"] == "Notes by the Translator"
    assert (new / "data/p1.tif").read_bytes() == (old / "data/p1.tif").read_bytes()
    assert ">metadata modification<" in (new / "metadata/premis.xml").read_text()
    assert ">metadata modification<" not in (old / "metadata/premis.xml").read_text()

    history = item_history(store, object_id(item))
    assert [h.version for h in history] == ["v1", "v2"]
    assert history[1].modified == [
        "bag-info.txt",
        "metadata/dc.xml",
        "metadata/mods.xml",
        "metadata/premis.xml",
        "tagmanifest-sha512.txt",
    ]
    assert set(history[1].metadata) == {"title", "subject"} and history[1].user == "ada"
    assert [e.type for e in history[1].events] == ["metadata modification"]
    assert history[0].created <= history[1].created

    # The new version went to the replica too, verified, and the replica validates.
    assert services.replica is not None
    replication = services.catalog.replication(item)
    assert replication is not None and replication.version == 2
    for storage in (services.preservation, services.replica):
        report = validate_storage(storage, tmp_path / "check" / storage.location.rsplit("/", 1)[-1])
        assert report.errors == [] and report.warnings == []


def test_the_same_record_again_writes_nothing(fs_services: Services, tmp_path: Path) -> None:
    item = ingest_pages(fs_services, tmp_path, pages=1)
    p = Preservation(fs_services)
    try:
        record = load_record(tmp_path / "scans" / "item" / "mods.xml")
        assert edit_metadata(p, item, record, USER).version == 0
    finally:
        p.close()
    assert fs_services.catalog.require_item(item).version == 1
