"""The same scans ingested again with another record: refused, naming the item that holds them;
with --update, that record becomes the item's next version (the scans are not stored again). A
collection titled at ingest is labelled by its title, never by its slug."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from app.web import create_app
from repo.catalog import Catalog
from repo.identifiers import object_id
from repo.lifecycle.stored_bag import read_stored_bag
from repo.preservation import ObjectStore
from repo.services import Services
from repo.settings import Settings
from storage import FilesystemStorage
from tests.ingest.conftest import MODS, make_item
from tests.ingest.test_batch_and_bags import run_muniment


def test_known_scans_with_another_record(tmp_path: Path) -> None:
    data = tmp_path / "data"
    scans = make_item(tmp_path / "scans", ["p1.tif"], title="Notes by the Translator")
    args = ("ingest", str(scans), "--collection", "letters", "--identifier", "MS-7")
    assert run_muniment(data, *args).returncode == 0
    again = run_muniment(data, *args)  # the same scans, the same record: nothing to do
    assert again.returncode == 0 and "already-ingested" in again.stdout + again.stderr

    (scans / "mods.xml").write_text(MODS.format(title="Sketch of the Analytical Engine"))
    refused = run_muniment(data, "ingest", str(scans), "--collection", "letters")
    assert refused.returncode == 1
    said = refused.stdout + refused.stderr
    assert (
        "these scans are already item MS-7 (collection letters, version 1), with another record (title differ)" in said
    )
    assert "ingest again with --update, or run `muniment edit MS-7 --metadata FILE`" in said

    updated = run_muniment(data, "ingest", str(scans), "--collection", "letters", "--update")
    assert updated.returncode == 0, updated.stderr
    assert "updated" in updated.stdout + updated.stderr
    store = ObjectStore(FilesystemStorage(data / "preservation"))
    bag = read_stored_bag(store, object_id("MS-7"))
    assert bag.version == "v2" and bag.record().title == "Sketch of the Analytical Engine"
    inventory = store.read_inventory(object_id("MS-7"))
    assert inventory.state("v2")["data/p1.tif"] == inventory.state("v1")["data/p1.tif"]  # not stored again
    catalog = Catalog.open(f"sqlite:///{data / 'catalog.sqlite3'}")
    try:
        item = catalog.require_item("MS-7")
        assert (item.version, item.title) == (2, "Sketch of the Analytical Engine")
    finally:
        catalog.close()


def test_a_collection_titled_at_ingest_is_labelled_by_its_title(tmp_path: Path) -> None:
    data = tmp_path / "data"
    scans = make_item(tmp_path / "scans", ["p1.tif"])
    args = ("ingest", str(scans), "--collection", "iiif-test", "--collection-title", "IIIF Test")
    assert run_muniment(data, *args).returncode == 0
    settings = Settings(data_dir=data, base_url="http://testserver")
    services = Services.open(settings)
    try:
        with TestClient(create_app(settings, services)) as client:
            collection = client.get("/iiif/collection/iiif-test").json()
            assert collection["label"] == {"none": ["IIIF Test"]}
            sets = client.get("/oai", params={"verb": "ListSets"}).text
            assert "<setSpec>iiif-test</setSpec><setName>IIIF Test</setName>" in sets
            assert "<h1>IIIF Test</h1>" in client.get("/collections/iiif-test").text
    finally:
        services.close()
    refused = run_muniment(data, "ingest", str(scans), "--collection-title", "Anything")
    assert refused.returncode == 2 and "--collection-title needs --collection" in refused.stderr
