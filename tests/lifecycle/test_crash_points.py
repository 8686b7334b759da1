"""kill -9 a real `muniment ingest` at each rename, link, fsync and unlink it makes, then run it again.

strace injects SIGKILL at the Nth call of one system call (``-e inject=rename:signal=SIGKILL:when=N``),
for N = 1, 2, ... until a run completes without reaching it. After each kill the ingest runs
again (once, instead, `muniment recover` runs first, where the kill fell between the root
inventory and its sidecar): every object valid for ocfl-py, its head version a valid bag, the
catalog holding the one item exactly as stored, and no stray file anywhere in the storage root.
strace counts calls per thread; the commit runs on the ingest's main thread, which makes all
but the first few calls of each kind, so every call of the commit is a kill point of its own.
Two kill points run at once, each in a data folder of its own; a first run without strace
compiles every module, so that no run under strace writes bytecode (a rename of its own).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
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
    if strace:  # bytecode is read from the cache the first run wrote; a .pyc written now would add renames
        env["PYTHONDONTWRITEBYTECODE"] = "1"
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


class KillPoints:
    """The kill points still to run: for each call, N = 1, 2, ... until a run completes.

    Two runs go at once (the ingest runs on one thread; the machine has two cores), each in a
    data folder of its own. A run of a call whose end is not known yet may be one past it: it
    completes too and is not counted.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.next = dict.fromkeys(CALLS, 1)
        self.running = dict.fromkeys(CALLS, 0)
        self.end: dict[str, int] = {}  # the first N whose run completed: the call makes N - 1 of them
        self.stopped = False  # a check failed: the other run stops too

    def claim(self) -> tuple[str, int] | None:
        with self.lock:
            open_calls = [c for c in CALLS if c not in self.end]
            if not open_calls or self.stopped:
                return None
            call = min(open_calls, key=lambda c: self.running[c])  # another call than the other run's, if any
            n = self.next[call]
            if n > MAX_CALLS:
                pytest.fail(f"ingest still reached {call} #{MAX_CALLS}")
            self.next[call] += 1
            self.running[call] += 1
            return call, n

    def done(self, call: str, n: int, completed: bool) -> None:
        with self.lock:
            self.running[call] -= 1
            if completed:
                self.end[call] = min(n, self.end.get(call, n))


@pytest.mark.slow
@pytest.mark.skipif(not os.access(STRACE, os.X_OK), reason="needs strace (Debian package strace)")
def test_kill_9_at_every_rename_fsync_and_unlink_of_an_ingest(tmp_path: Path) -> None:
    item = make_item(tmp_path / "scans" / "letter", ["p1.png"])
    template = tmp_path / "template"
    Services.open(Settings(data_dir=template)).close()  # an empty repository: its catalog exists
    shutil.copytree(template, tmp_path / "first")
    first = cli(tmp_path / "first", "ingest", str(item), "--collection", "letters")  # and every module compiled
    assert first.returncode == 0 and "1 ingested" in first.stdout + first.stderr, first.stderr
    points = KillPoints()
    checking = threading.Lock()  # one check at a time: the checks share this process and its temporary folder
    killed: list[tuple[str, int]] = []
    recovered_by_command = False

    def check_after_kill(call: str, n: int, data: Path) -> None:
        nonlocal recovered_by_command
        killed.append((call, n))
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

    def run_points() -> None:
        try:
            while claimed := points.claim():
                call, n = claimed
                data = tmp_path / f"data-{call}-{n}"
                shutil.copytree(template, data)
                run = cli(data, "ingest", str(item), "--collection", "letters", strace=killed_at(call, n))
                if run.returncode == 0:
                    assert "1 ingested" in run.stdout + run.stderr, run.stderr
                else:
                    assert run.returncode == -9, (call, n, run.stderr)
                    with checking:
                        check_after_kill(call, n, data)
                points.done(call, n, completed=run.returncode == 0)
                shutil.rmtree(data)
        except BaseException:
            points.stopped = True
            raise

    with ThreadPoolExecutor(2) as pool:
        for future in [pool.submit(run_points) for _ in range(2)]:
            future.result()
    for call in CALLS:
        assert points.end[call] > 1, f"{call}: the ingest makes no such call; the test would prove nothing"
        assert {n for c, n in killed if c == call} >= set(range(1, points.end[call])), f"{call}: a point was missed"
    assert recovered_by_command
    assert len(killed) > 50
