"""kill -9 a real `muniment ingest` at each rename, link, fsync and unlink it makes, then run it again.

strace injects SIGKILL at the Nth call of one system call (``-e inject=rename:signal=SIGKILL:when=N``),
for N = 1, 2, ... until a run completes without reaching it. After each kill the ingest runs
again (once, instead, `muniment recover` runs first, where the kill fell between the root
inventory and its sidecar): every object valid for ocfl-py, its head version a valid bag, the
catalog holding the one item exactly as stored, and no stray file anywhere in the storage root.
strace counts calls per thread; the commit runs on the ingest's main thread, which makes all
but the first few calls of each kind, so every call of the commit is a kill point of its own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import bagit
import pytest

from ingest.context import ItemSource
from ingest.runner import Ingester
from repo.catalog import Catalog, changes
from repo.identifiers import object_id
from repo.preservation import ObjectStore
from repo.preservation.ocfl_inventory import version_number
from repo.services import Services
from repo.settings import Settings
from storage import FilesystemStorage
from tests.ingest.conftest import make_item
from tests.preservation.ocfl_check import validate_root

ROOT = Path(__file__).resolve().parents[2]
STRACE = shutil.which("strace") or "/usr/bin/strace"
# What the commit protocol and the catalog use to make a write durable and visible, or to drop it.
CALLS = ("rename", "link", "fsync", "fdatasync", "unlink", "unlinkat")
MAX_CALLS = 120  # far more than a one-page ingest makes of any one kind: a loop that never ends fails


def cli(data: Path, *args: str, strace: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MUNIMENT_")}
    env |= {"MUNIMENT_DATA_DIR": str(data), "MUNIMENT_INGEST_WORKERS": "1"}
    command = [sys.executable, "-m", "app.cli.main", *args]
    return subprocess.run((strace or []) + command, cwd=ROOT, env=env, capture_output=True, text=True)


def killed_at(call: str, n: int) -> list[str]:
    return [
        STRACE,
        "-f",
        "-qq",
        "-o",
        os.devnull,
        "-e",
        f"trace={call}",
        "-e",
        f"inject={call}:signal=SIGKILL:when={n}",
    ]


def ingest_again(data: Path, item: Path) -> str:
    services = Services.open(Settings(data_dir=data, ingest_workers=1))
    ingester = Ingester(services)
    try:
        result = ingester.ingest(ItemSource(item, "letters"))
    finally:
        ingester.close()
        services.close()
    assert result.status in ("ingested", "already-ingested"), result.problems
    assert result.item_id
    return result.item_id


def stray_files(root: Path) -> list[str]:
    """Temporary files, empty folders and staged leftovers: none may outlive recovery."""
    found = []
    for folder, dirs, files in os.walk(root):
        rel = Path(folder).relative_to(root)
        found += [str(rel / name) for name in files if name.startswith(".muniment-tmp-")]
        if not dirs and not files and Path(folder) != root:
            found.append(f"{rel}/ (empty)")
    staging = root / "extensions" / "muniment-staging"
    return found + ([str(staging.relative_to(root))] if staging.exists() else [])


def assert_consistent(data: Path, item_id: str, tmp_path: Path) -> None:
    preservation = data / "preservation"
    report = validate_root(preservation)
    assert report.objects == 1 and report.errors == [] and report.warnings == [], report
    assert stray_files(preservation) == []
    store = ObjectStore(FilesystemStorage(preservation))
    oid = object_id(item_id)
    inventory = store.read_inventory(oid)
    bag = store.export_version(oid, None, tmp_path / f"bag-{len(list(tmp_path.glob('bag-*')))}")
    bagit.Bag(str(bag)).validate()
    catalog = Catalog.open(Settings(data_dir=data).catalog_url)
    try:
        assert catalog.count_items() == 1
        # Change Discovery was told once of each, whichever write the kill interrupted.
        told = [(a.type, a.object_key) for a in changes.activities(catalog.db, 1, 100)]
        assert told == [("Create", "letters"), ("Create", item_id)]
        item = catalog.require_item(item_id)
        assert item.version == version_number(inventory.head)
        payload = {e.path: e.sha512 for e in store.payload_entries(oid)}
        assert {f.path: f.sha512 for f in catalog.files(item_id)} == payload
        for f in catalog.files(item_id):
            assert (data / "access" / f.derivative_key).is_file() and (data / "access" / f.thumbnail_key).is_file()
    finally:
        catalog.close()


@pytest.mark.slow
@pytest.mark.skipif(not os.access(STRACE, os.X_OK), reason="needs strace (Debian package strace)")
def test_kill_9_at_every_rename_fsync_and_unlink_of_an_ingest(tmp_path: Path) -> None:
    item = make_item(tmp_path / "scans" / "letter", ["p1.png"])
    template = tmp_path / "template"
    Services.open(Settings(data_dir=template)).close()  # an empty repository: its catalog exists
    recovered_by_command = False
    points = 0
    for call in CALLS:
        for n in range(1, MAX_CALLS + 1):
            data = tmp_path / "data"
            shutil.rmtree(data, ignore_errors=True)
            shutil.copytree(template, data)
            run = cli(data, "ingest", str(item), "--collection", "letters", strace=killed_at(call, n))
            if run.returncode == 0:
                assert "1 ingested" in run.stdout + run.stderr, run.stderr
                break
            assert run.returncode == -9, (call, n, run.stderr)
            points += 1
            store = ObjectStore(FilesystemStorage(data / "preservation"))
            half_committed = store.root.exists() and any(not store.read_committed(o)[2] for o in store.list_objects())
            if half_committed and not recovered_by_command:
                # The case: root inventory written, its sidecar not. `muniment recover` finishes it.
                recovered_by_command = True
                fixed = cli(data, "recover")
                assert fixed.returncode == 0, fixed.stderr
                assert "finished the commit of v1" in fixed.stdout, fixed.stdout
                assert "is stored but not catalogued" in fixed.stdout
                report = validate_root(data / "preservation")
                assert report.errors == [] and report.warnings == [], report
                assert stray_files(data / "preservation") == []
            item_id = ingest_again(data, item)
            assert_consistent(data, item_id, tmp_path)
        else:
            pytest.fail(f"ingest still reached {call} #{MAX_CALLS}")
        assert n > 1, f"{call}: the ingest makes no such call; the test would prove nothing"
    assert recovered_by_command
    assert points > 50
