"""Ingesting one folder: what is stored, where, and that standard validators accept it."""

from __future__ import annotations

import json
from pathlib import Path

import bagit
import pytest
import pyvips

from ingest.context import ItemSource
from ingest.runner import Ingester
from repo.identifiers import object_id
from repo.preservation import ObjectStore, check_profile, load_profile
from repo.services import Services
from repo.settings import Settings
from tests.ingest.conftest import all_keys, make_item, unregister, write_page
from tests.preservation.ocfl_check import validate_storage

BTR_PROFILE = Path(__file__).parents[1] / "preservation" / "fixtures" / "bagit-profiles" / "btr-bagit-profile.json"


def ingest(services: Services, source: ItemSource, **kwargs: object):  # type: ignore[no-untyped-def]
    ingester = Ingester(services, **kwargs)  # type: ignore[arg-type]
    try:
        return ingester.ingest(source)
    finally:
        ingester.close()


def test_folder_becomes_bag_in_ocfl_object_with_derivatives_and_catalog_record(
    services: Services, sample_folder: Path, tmp_path: Path
) -> None:
    result = ingest(services, ItemSource(sample_folder, "letters"))
    assert result.status == "ingested", result.problems
    item = services.catalog.require_item(result.item_id)
    assert item.title == "Notes by the Translator" and item.page_count == 4

    # Natural order: p1, p2, p3, p10; each page with its pixel size and derivative keys.
    files = services.catalog.files(item.id)
    assert [f.path for f in files] == ["data/p1.tif", "data/p2.jpg", "data/p3.jp2", "data/p10.png"]
    assert all((f.width, f.height) == (300, 200) for f in files)
    for f in files:
        pyramid = pyvips.Image.new_from_file(services.access.local_path(f.derivative_key))
        assert pyramid.get("n-pages") >= 1 and pyramid.get("tile-width") == 256
        assert pyramid.get("compression") == "jpeg" if pyramid.get_typeof("compression") else True
        assert services.access.exists(f.thumbnail_key)

    # The OCFL object's head version is a complete bag that bagit-python validates in full.
    store = ObjectStore(services.preservation)
    bag_dir = store.export_version(object_id(item.id), None, tmp_path / "export")
    bag = bagit.Bag(str(bag_dir))
    bag.validate()
    info = bag.info
    for field in ("Source-Organization", "Bagging-Date", "Payload-Oxum", "Bag-Size", "External-Identifier"):
        assert info[field]
    assert info["Bag-Group-Identifier"] == "letters"
    assert set(bag.payload_entries()) == {f.path for f in files}
    for tag in ("metadata/mods.xml", "metadata/dc.xml", "metadata/premis.xml"):
        assert (bag_dir / tag).is_file()
    premis = (bag_dir / "metadata/premis.xml").read_text()
    for event in ("ingestion", "message digest calculation", "validation"):
        assert f">{event}<" in premis
    assert "Muniment" in premis

    # DC made from MODS by the crosswalk; events in the catalog.
    assert "<dc:creator>Lovelace, Ada</dc:creator>" in (bag_dir / "metadata/dc.xml").read_text()
    assert {e.type for e in services.catalog.events(item.id)} >= {"ingestion", "validation"}

    report = validate_storage(services.preservation, tmp_path)
    assert report.objects == 1 and report.errors == [] and report.warnings == []


def test_bag_satisfies_the_btr_profile(services: Services, sample_folder: Path, tmp_path: Path) -> None:
    result = ingest(services, ItemSource(sample_folder, "letters"))
    bag_dir = ObjectStore(services.preservation).export_version(object_id(result.item_id), None, tmp_path / "bag")
    assert check_profile(bag_dir, load_profile(BTR_PROFILE)) == []


def test_same_content_again_is_already_ingested_and_stores_nothing(services: Services, sample_folder: Path) -> None:
    first = ingest(services, ItemSource(sample_folder, "letters"))
    keys = (all_keys(services.preservation), all_keys(services.access))
    again = ingest(services, ItemSource(sample_folder, "letters"))
    assert again.status == "already-ingested" and again.item_id == first.item_id
    assert (all_keys(services.preservation), all_keys(services.access)) == keys
    assert services.catalog.count_items() == 1


def test_every_problem_is_reported_and_nothing_is_stored(services: Services, tmp_path: Path) -> None:
    folder = make_item(tmp_path / "bad", ["p1.tif"])
    truncated = write_page(folder / "p2.tif", 400, 400)
    truncated.write_bytes(truncated.read_bytes()[: truncated.stat().st_size // 2])
    cut_jpeg = write_page(folder / "p6.jpg", 400, 400)
    cut_jpeg.write_bytes(cut_jpeg.read_bytes()[: cut_jpeg.stat().st_size // 2])
    gif = folder / "p3.tif"
    pyvips.Image.black(10, 10).gifsave(str(gif))
    (folder / "p4.jpg").write_bytes(b"")
    bomb = folder / "p5.png"
    write_page(bomb, 8, 8)
    data = bytearray(bomb.read_bytes())
    data[16:24] = (100_000).to_bytes(4, "big") + (100_000).to_bytes(4, "big")  # IHDR width, height
    bomb.write_bytes(bytes(data))
    (folder / "notes.txt").write_text("not a page")
    (folder / "mods.xml").write_text(
        '<mods xmlns="http://www.loc.gov/mods/v3"><titleInfo><tytle>x</tytle></titleInfo></mods>'
    )

    result = ingest(services, ItemSource(folder, "letters"))
    assert result.status == "failed"
    reasons = {Path(p.file.split(":")[0]).name: p.reason for p in result.problems}
    assert "notes.txt" in reasons and "not an allowed" in reasons["notes.txt"]
    assert "GIF" in reasons["p3.tif"] or "not TIFF" in reasons["p3.tif"]
    assert "empty" in reasons["p4.jpg"]
    assert "above the limit" in reasons["p5.png"]
    assert "mods.xml" in reasons
    assert "p2.tif" in reasons  # a truncated TIFF loses its directory: refused from the header
    assert str(folder) not in reasons["p2.tif"]  # the reason does not repeat server paths
    assert all_keys(services.preservation) == [] and all_keys(services.access) == []
    assert services.catalog.count_items() == 0
    # A truncated JPEG has a good header: the full decode finds it once the other problems are fixed.
    for name in ("p2.tif", "p3.tif", "p4.jpg", "p5.png", "notes.txt"):
        (folder / name).unlink()
    make_item(folder, [], title="Fixed record")
    result = ingest(services, ItemSource(folder, "letters"))
    assert result.status == "failed"
    assert [Path(p.file).name for p in result.problems] == ["p6.jpg"]
    # libvips keeps one error buffer for all threads, so the decoder's own words may be lost.
    assert "does not decode" in result.problems[0].reason
    assert all_keys(services.preservation) == []


@pytest.mark.parametrize(("slug", "reason"), [("top", "is reserved"), ("Letters & Papers", "not a valid slug")])
def test_a_collection_slug_no_url_could_reach_is_refused(
    services: Services, sample_folder: Path, slug: str, reason: str
) -> None:
    result = ingest(services, ItemSource(sample_folder, slug))
    assert result.status == "failed" and any(reason in p.reason for p in result.problems)
    assert all_keys(services.preservation) == [] and services.catalog.get_collection(slug) is None


def test_dry_run_validates_and_stores_nothing(services: Services, sample_folder: Path) -> None:
    result = ingest(services, ItemSource(sample_folder, "letters"), dry_run=True)
    assert result.status == "valid"
    assert all_keys(services.preservation) == [] and all_keys(services.access) == []
    assert services.catalog.count_items() == 0


def test_object_stored_before_a_crash_is_registered_on_the_next_run(services: Services, sample_folder: Path) -> None:
    """A run that stopped after the OCFL commit but before the catalog: the next run reuses the object."""
    first = ingest(services, ItemSource(sample_folder, "letters"))
    unregister(services, first.item_id)
    versions_before = ObjectStore(services.preservation).read_inventory(object_id(first.item_id)).head
    again = ingest(services, ItemSource(sample_folder, "letters"))
    assert again.status == "ingested" and again.item_id == first.item_id
    assert ObjectStore(services.preservation).read_inventory(object_id(first.item_id)).head == versions_before


def s3_services(seaweedfs, tmp_path: Path) -> Services:  # type: ignore[no-untyped-def]
    from tests.conftest import new_bucket
    from tests.servers.seaweedfs import ACCESS_KEY, SECRET_KEY

    settings = Settings(
        data_dir=tmp_path / "data",
        s3_endpoint=seaweedfs.endpoint,
        s3_access_key=ACCESS_KEY,
        s3_secret_key=SECRET_KEY,
        preservation_storage=f"s3://{new_bucket(seaweedfs)}",
        access_storage=f"s3://{new_bucket(seaweedfs)}/derivatives",
        ingest_workers=2,
    )
    return Services.open(settings)


@pytest.mark.parametrize("backend", ["s3"])
def test_ingest_into_s3_validates_with_ocfl_py(backend: str, seaweedfs, tmp_path: Path, sample_folder: Path) -> None:  # type: ignore[no-untyped-def]
    services = s3_services(seaweedfs, tmp_path)
    try:
        result = ingest(services, ItemSource(sample_folder, "letters"))
        assert result.status == "ingested", result.problems
        assert services.access.exists(services.catalog.files(result.item_id)[0].derivative_key)
        report = validate_storage(services.preservation, tmp_path)
        assert report.objects == 1 and report.errors == [] and report.warnings == []
    finally:
        services.close()


def test_page_that_fails_to_decode_while_scans_upload_to_s3_stores_nothing(seaweedfs, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Scans go up while pages decode; a page that does not decode undoes every upload."""
    folder = tmp_path / "bad"
    folder.mkdir()
    for n in range(1, 4):
        write_page(folder / f"p{n}.tif", 1700, 1700, seed=n)  # two parts each
    cut = write_page(folder / "p4.jpg", 1500, 1500, seed=4)
    cut.write_bytes(cut.read_bytes()[: cut.stat().st_size // 2])  # a good header, a truncated body
    (folder / "mods.xml").write_text(
        '<mods xmlns="http://www.loc.gov/mods/v3"><titleInfo><title>Cut</title></titleInfo></mods>'
    )
    services = s3_services(seaweedfs, tmp_path)
    try:
        result = ingest(services, ItemSource(folder, "letters"))
        assert result.status == "failed"
        assert [Path(p.file).name for p in result.problems] == ["p4.jpg"]
        assert all_keys(services.preservation) == [] and all_keys(services.access) == []
        assert services.preservation.abort_pending("") == []  # no upload left half-way either
        assert services.catalog.count_items() == 0
    finally:
        services.close()


def test_ingest_with_a_postgresql_catalog(postgres, tmp_path: Path, sample_folder: Path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path / "data", database_url=postgres.create_database("ingest_pg"))
    services = Services.open(settings)
    try:
        result = ingest(services, ItemSource(sample_folder, "letters"))
        assert result.status == "ingested"
        assert len(services.catalog.files(result.item_id)) == 4
        assert ingest(services, ItemSource(sample_folder, "letters")).status == "already-ingested"
    finally:
        services.close()


def test_report_json_shape(services: Services, sample_folder: Path) -> None:
    result = ingest(services, ItemSource(sample_folder, "letters"))
    assert json.loads(json.dumps(result.to_json()))["status"] == "ingested"


def test_a_run_killed_after_registration_has_its_bookkeeping_done_by_the_next(
    services: Services, sample_folder: Path
) -> None:
    """Registered, then killed before the event log, fixity rows and search index were written:
    the next run reports already-ingested and writes them."""
    from repo.audit import EventLog
    from repo.search import Search, SearchQuery

    first = ingest(services, ItemSource(sample_folder, "letters"), on_registered=[lambda item_id: None])
    assert first.status == "ingested"
    assert services.catalog.fixity_version(first.item_id, "preservation") is None
    again = ingest(services, ItemSource(sample_folder, "letters"))
    assert (again.status, again.item_id) == ("already-ingested", first.item_id)
    assert services.catalog.fixity_version(first.item_id, "preservation") == 1
    log = EventLog(services.preservation, ObjectStore(services.preservation).root)
    assert [r.item for r in log.records(object_id(first.item_id)) if r.item]  # the facts rebuild needs
    found = Search(services.catalog.db).search(SearchQuery(text="Translator"))
    assert [hit.item_id for hit in found.hits] == [first.item_id]
