"""Recovery that proves itself: an ingest that finds an object already stored (a run that stopped
before the catalog) registers it only once it checks out byte by byte, and `muniment recover`
repairs every object it can, reporting each one, and names the ones it cannot."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ingest.context import ItemSource
from ingest.runner import Ingester, ItemResult
from repo.identifiers import object_id
from repo.preservation import ObjectStore
from repo.services import Services
from repo.settings import Settings
from tests.audit.conftest import content_key, damage
from tests.ingest.conftest import make_item, unregister
from tests.preservation.ocfl_check import validate_root
from tests.storage.test_filesystem import crash_while_writing

ROOT = Path(__file__).resolve().parents[2]


def ingest(services: Services, folder: Path) -> ItemResult:
    ingester = Ingester(services)
    try:
        return ingester.ingest(ItemSource(folder, "letters"))
    finally:
        ingester.close()


def stored_not_catalogued(services: Services, tmp_path: Path, name: str) -> tuple[str, Path]:
    """An item whose run stopped once its object was committed, before its catalog row."""
    folder = make_item(tmp_path / "scans" / name, ["p1.png", "p2.png"], title=name, seed=len(name))
    result = ingest(services, folder)
    assert result.status == "ingested" and result.item_id
    unregister(services, result.item_id)
    return result.item_id, folder


def recover(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MUNIMENT_")} | {"MUNIMENT_DATA_DIR": str(data)}
    command = [sys.executable, "-m", "app.cli.main", "recover", *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)


def test_an_existing_object_is_verified_before_it_is_registered(tmp_path: Path) -> None:
    services = Services.open(Settings(data_dir=tmp_path / "data", ingest_workers=1))
    try:
        item_id, folder = stored_not_catalogued(services, tmp_path, "damaged")
        page = content_key(services.preservation, item_id, "data/p2.png")
        damage(services.preservation, page, "flip")
        root = ObjectStore(services.preservation).object_root(object_id(item_id))
        services.preservation.put_bytes(f"{root}/v1/content/stray.txt", b"not in any inventory")

        result = ingest(services, folder)
        assert result.status == "failed"
        assert {p.file for p in result.problems} == {page, f"{root}/v1/content/stray.txt"}
        assert "differs from the inventory" in str(result.problems)
        assert services.catalog.get_item(item_id) is None  # nothing registered

        intact_id, intact = stored_not_catalogued(services, tmp_path, "intact")
        result = ingest(services, intact)
        assert (result.status, result.item_id) == ("ingested", intact_id)  # the object is reused
        assert ObjectStore(services.preservation).read_inventory(object_id(intact_id)).head == "v1"
    finally:
        services.close()


def test_recover_command_repairs_what_it_can_and_names_what_it_cannot(tmp_path: Path) -> None:
    data = tmp_path / "data"
    services = Services.open(Settings(data_dir=data, ingest_workers=1))
    try:
        store = ObjectStore(services.preservation)
        half_id, _ = stored_not_catalogued(services, tmp_path, "half-committed")
        half_root = store.object_root(object_id(half_id))
        services.preservation.delete(f"{half_root}/inventory.json.sha512")  # killed before the root sidecar
        bad_id, _ = stored_not_catalogued(services, tmp_path, "bit-rot")
        damage(services.preservation, content_key(services.preservation, bad_id, "data/p1.png"), "flip")
        good = ingest(services, make_item(tmp_path / "scans" / "good", ["p1.png"], seed=9))
        assert good.status == "ingested"
    finally:
        services.close()
    crash_while_writing(data / "preservation", "0=ocfl_1.1")  # the storage root's own folder
    crash_while_writing(data / "preservation", f"{half_root}/v2/inventory.json")  # inside an object
    crash_while_writing(data / "access", "somewhere/0001.tif")

    first = recover(data)
    assert first.returncode == 1, first.stderr  # one object is beyond recovery
    lines = first.stdout.splitlines()
    assert f"recovered preservation {object_id(half_id)}: finished the commit of v1; removed 1 leftover file" in lines
    assert f"INVALID preservation {object_id(bad_id)}: 1 problem(s)" in lines
    assert "recovered preservation (storage root): removed 1 leftover file" in lines
    assert "recovered access: removed 1 leftover file" in lines
    assert [line for line in lines if "not catalogued" in line] == [
        f"  {object_id(half_id)} is stored but not catalogued: run its ingest again to register it"
    ]
    assert lines[-1] == "checked 3 objects: 1 recovered, 1 invalid"
    assert not list((data / "preservation").rglob(".muniment-tmp-*")) and not list(data.rglob(".muniment-tmp-*"))
    report = validate_root(data / "preservation")
    assert report.objects == 3
    assert report.errors and all(str(store.object_root(object_id(bad_id))) in e for e in report.errors)

    again = recover(data, "--json")
    assert again.returncode == 1
    doc = json.loads(again.stdout)
    assert doc["objects"] == 3 and doc["access_removed"] == []
    assert [(r["object"], r["finished"], r["removed"]) for r in doc["repaired"]] == [(object_id(bad_id), None, [])]
    assert doc["repaired"][0]["problems"][0][1].startswith("sha512 ")
