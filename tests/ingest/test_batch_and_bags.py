"""Batches through the real command line: reports, exit status, crash and resume; bags as input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from repo.catalog import Catalog
from repo.identifiers import object_id
from repo.preservation import ObjectStore
from repo.settings import Settings
from storage import FilesystemStorage
from tests.ingest.conftest import make_item, write_page
from tests.preservation.ocfl_check import validate_root


def run_muniment(data: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MUNIMENT_")}
    env["MUNIMENT_DATA_DIR"] = str(data)
    return subprocess.run(
        [sys.executable, "-m", "app.cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=300,
    )


def write_batch(root: Path, count: int, bad: set[int] = frozenset(), pages: int = 2) -> Path:  # type: ignore[assignment]
    rows = ["folder,collection,identifier,title,creator,date"]
    for n in range(count):
        folder = root / f"item{n}"
        folder.mkdir(parents=True, exist_ok=True)
        for p in range(1, pages + 1):
            write_page(folder / f"p{p}.tif", 600, 400, seed=n * 10 + p)
        if n in bad:
            (folder / "p1.tif").write_bytes(b"GIF89a not a tiff")
        rows.append(f'item{n},letters,MS-{n},Letter number {n},"Babbage, Charles",18{40 + n % 50}')
    batch = root / "items.csv"
    batch.write_text("\n".join(rows) + "\n")
    return batch


def test_batch_goes_on_past_a_bad_item_and_reports_it(tmp_path: Path) -> None:
    batch = write_batch(tmp_path / "in", 4, bad={2})
    result = run_muniment(tmp_path / "data", "ingest", "--batch", str(batch), "--report", str(tmp_path / "r.json"))
    assert result.returncode != 0
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["summary"]["ingested"] == 3 and report["summary"]["failed"] == 1
    failed = next(i for i in report["items"] if i["status"] == "failed")
    assert "item2" in failed["item"] and failed["problems"][0]["file"].endswith("p1.tif")
    catalog = Catalog.open(Settings(data_dir=tmp_path / "data").catalog_url)
    assert sorted(i.external_id or "" for i in catalog.list_items()) == ["MS-0", "MS-1", "MS-3"]
    assert catalog.get_item("MS-1") is not None and catalog.metadata("MS-1").dc["title"] == ["Letter number 1"]  # type: ignore[union-attr]
    # Fix the bad item and run the same batch again: only it is ingested now.
    write_page(tmp_path / "in" / "item2" / "p1.tif", 600, 400, seed=99)
    again = run_muniment(tmp_path / "data", "ingest", "--batch", str(batch), "--json", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    lines = [json.loads(line) for line in again.stdout.splitlines()]
    assert json.loads((tmp_path / "ingest-report.json").read_text())["summary"]["ingested"] == 1  # batch default
    assert sorted(line["status"] for line in lines if line["event"] == "item") == [
        "already-ingested",
        "already-ingested",
        "already-ingested",
        "ingested",
    ]


@pytest.mark.slow
def test_kill_9_at_several_points_then_rerun_completes_without_duplicates(tmp_path: Path) -> None:
    batch = write_batch(tmp_path / "in", 8, pages=3)
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MUNIMENT_")}
    env["MUNIMENT_DATA_DIR"] = str(data)
    for delay in (0.8, 1.6, 2.4, 3.2):
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli.main", "ingest", "--batch", str(batch), "--quiet"],
            env=env,
            cwd=tmp_path,  # a run that finishes before its kill writes its default report here
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert_consistent(data)
    final = run_muniment(data, "ingest", "--batch", str(batch), "--report", str(tmp_path / "r.json"))
    assert final.returncode == 0, final.stdout + final.stderr
    catalog = Catalog.open(Settings(data_dir=data).catalog_url)
    assert catalog.count_items() == 8
    assert sorted(i.external_id or "" for i in catalog.list_items()) == [f"MS-{n}" for n in range(8)]
    assert_consistent(data)
    report = validate_root(data / "preservation")
    assert report.objects == 8 and report.errors == []
    assert list((data / "staging" / "ingest").iterdir()) == []  # staging of killed runs cleaned


def assert_consistent(data: Path) -> None:
    """No catalog row without its complete object; no object half-visible."""
    if not (data / "catalog.sqlite3").exists():
        return
    catalog = Catalog.open(Settings(data_dir=data).catalog_url)
    store = ObjectStore(FilesystemStorage(data / "preservation"))
    for item in catalog.list_items(limit=1000):
        inventory = store.read_inventory(object_id(item.id))
        assert {e.path for e in store.payload_entries(object_id(item.id))} == {f.path for f in catalog.files(item.id)}
        assert inventory.head == "v1"
    catalog.close()


def test_existing_bag_as_zip_is_validated_and_ingested(tmp_path: Path) -> None:
    source = make_item(tmp_path / "src", ["p1.tif", "p2.tif"])
    first = run_muniment(tmp_path / "one", "ingest", str(source), "--collection", "letters", "--identifier", "MS-7")
    assert first.returncode == 0, first.stderr
    exported = ObjectStore(FilesystemStorage(tmp_path / "one" / "preservation")).export_version(
        object_id("MS-7"), None, tmp_path / "bag"
    )
    archive = tmp_path / "bag.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(exported.rglob("*")):
            if path.is_file():
                zf.write(path, f"bag/{path.relative_to(exported)}")
    profile = Path(__file__).parents[1] / "preservation" / "fixtures" / "bagit-profiles" / "btr-bagit-profile.json"
    result = run_muniment(tmp_path / "two", "ingest", "--bag", str(archive), "--profile", str(profile))
    assert result.returncode == 0, result.stdout + result.stderr
    catalog = Catalog.open(Settings(data_dir=tmp_path / "two").catalog_url)
    item = catalog.require_item("MS-7")
    assert item.collection == "letters" and item.page_count == 2


def test_tampered_bag_is_refused_with_every_problem(tmp_path: Path) -> None:
    source = make_item(tmp_path / "src", ["p1.tif", "p2.tif"])
    run_muniment(tmp_path / "one", "ingest", str(source), "--collection", "letters", "--identifier", "MS-8")
    bag = ObjectStore(FilesystemStorage(tmp_path / "one" / "preservation")).export_version(
        object_id("MS-8"), None, tmp_path / "bag"
    )
    page = bytearray((bag / "data" / "p1.tif").read_bytes())
    page[-10] ^= 0xFF  # one flipped bit pattern, same size: only the checksum can tell
    (bag / "data" / "p1.tif").write_bytes(bytes(page))
    (bag / "fetch.txt").write_text("http://evil.example/x 10 data/x.tif\n")
    result = run_muniment(tmp_path / "two", "ingest", "--bag", str(bag))
    assert result.returncode != 0
    assert "data/p1.tif" in result.stderr + result.stdout
    assert "fetch.txt" in result.stderr + result.stdout
    assert not (tmp_path / "two" / "preservation").exists() or not any(
        (tmp_path / "two" / "preservation").rglob("*.tif")
    )
