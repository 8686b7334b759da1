"""kill -9 while a version is being written: the previous version stays intact, the object valid, and
the next write succeeds (and the catalog catches up when the kill came after the commit)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import bagit
import pytest

from repo.catalog import Catalog
from repo.identifiers import object_id
from repo.preservation import ObjectStore
from repo.services import Services
from repo.settings import Settings
from storage import FilesystemStorage
from tests.audit.conftest import ingest_pages
from tests.lifecycle.conftest import mods_file
from tests.preservation.ocfl_check import validate_root

ROOT = Path(__file__).resolve().parents[2]


def edit_killed_at(data: Path, item_id: str, metadata: Path, point: re.Pattern[str]) -> list[str]:
    """Run the slowed edit and kill -9 it a moment after it announces a write matching ``point``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MUNIMENT_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.lifecycle.slow_edit", str(data), item_id, str(metadata)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:
        seen.append(line.strip())
        if point.search(line):
            time.sleep(0.1)  # inside the write now
            proc.kill()
            break
    proc.wait()
    assert proc.returncode == -9, f"not killed at {point.pattern}: {seen} {proc.stderr.read() if proc.stderr else ''}"
    return seen


@pytest.mark.slow
def test_kill_9_at_each_step_of_writing_a_version(tmp_path: Path) -> None:
    data = tmp_path / "data"
    services = Services.open(Settings(data_dir=data, ingest_workers=2))
    try:
        item_id = ingest_pages(services, tmp_path, pages=1)
    finally:
        services.close()
    oid = object_id(item_id)
    store = ObjectStore(FilesystemStorage(data / "preservation"))
    metadata = mods_file(tmp_path / "edits", "After the crash")
    v1_state = store.version_state(oid, "v1")

    points = [
        (re.compile(r"^put extensions/muniment-staging/"), "v1", True),  # uploading the new files
        (re.compile(r"^copy .*/v2/content/metadata/dc\.xml$"), "v1", False),  # promoting them into v2/
        (re.compile(r"^put .*/v2/inventory\.json$"), "v1", False),  # writing v2's inventory
        (re.compile(r"^put [0-9a-f/]+/inventory\.json\.sha512$"), "v2", False),  # between commit and sidecar
    ]
    for point, head, valid_at_once in points:
        edit_killed_at(data, item_id, metadata, point)
        # Readers follow the committed root inventory: the previous version is whole.
        assert store.read_inventory(oid).head == head, point.pattern
        assert store.version_state(oid, "v1") == v1_state
        bag_dir = store.export_version(oid, "v1", tmp_path / f"v1-after-{len(list(tmp_path.iterdir()))}")
        bagit.Bag(str(bag_dir)).validate()
        report = validate_root(data / "preservation")
        if valid_at_once:
            assert report.errors == [], (point.pattern, report.errors)
        # What every next write does first; then the object is valid whatever the point was.
        store.recover(oid)
        report = validate_root(data / "preservation")
        assert report.objects == 1 and report.errors == [] and report.warnings == [], (point.pattern, report)

    finished = subprocess.run(
        [sys.executable, "-m", "app.cli.main", "edit", item_id, "--metadata", str(metadata)],
        cwd=ROOT,
        env={**os.environ, "MUNIMENT_DATA_DIR": str(data)},
        capture_output=True,
        text=True,
    )
    assert finished.returncode == 0, finished.stderr
    assert store.read_inventory(oid).head == "v2"  # the last kill came after the commit: no v3
    catalog = Catalog.open(Settings(data_dir=data).catalog_url)
    try:
        item = catalog.require_item(item_id)
        assert (item.version, item.title) == (2, "After the crash")
        assert [e.type for e in catalog.events(item_id)].count("metadata modification") == 1
    finally:
        catalog.close()
    report = validate_root(data / "preservation")
    assert report.errors == [] and report.warnings == []
    assert not list((data / "preservation" / "extensions").glob("muniment-staging/*"))
