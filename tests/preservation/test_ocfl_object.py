"""OCFL objects holding bags, on every storage backend, checked with ocfl-py and bagit-python."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import bagit
import pytest

from repo.preservation import (
    BagEntry,
    ConcurrentUpdate,
    FixityError,
    LogicalPathNotFound,
    ObjectNotFound,
    ObjectStore,
    OcflError,
    StagedBagError,
    StorageRootError,
    VersionNotFound,
    rebuild_tags,
    validate_bag,
)
from repo.preservation.ocfl_root import STAGING
from storage import ObjectInfo, Storage
from storage.base import PartDigests, PendingPut
from tests.preservation.conftest import OBJECT_ID, USER, MakeBag, bag_info, metadata
from tests.preservation.ocfl_check import cli_validate_object, mirror, validate_root, validate_storage


class SimulatedCrash(BaseException):
    """Not an Exception: like a killed process, no ``except Exception`` handler runs."""


class CrashingStorage(Storage):
    """Delegates to a real backend, and dies at the first operation ``when`` picks."""

    def __init__(self, inner: Storage, when: Callable[[str, str], bool]) -> None:
        self.inner = inner
        self.when = when
        self.location = inner.location

    def _maybe_crash(self, op: str, key: str) -> None:
        if self.when(op, key):
            raise SimulatedCrash(f"{op} {key}")

    def put(self, key: str, stream: BinaryIO, *, sha512: str | None = None) -> ObjectInfo:
        self._maybe_crash("put", key)
        return self.inner.put(key, stream, sha512=sha512)

    def open(self, key: str, start: int = 0, end: int | None = None, *, read_ahead: bool = True) -> BinaryIO:
        return self.inner.open(key, start, end, read_ahead=read_ahead)

    def head(self, key: str) -> ObjectInfo:
        return self.inner.head(key)

    def list_page(self, prefix: str = "", *, start_after: str = "", limit: int = 1000) -> list[str]:
        return self.inner.list_page(prefix, start_after=start_after, limit=limit)

    def copy(self, source: str, dest: str) -> ObjectInfo:
        self._maybe_crash("copy", dest)
        return self.inner.copy(source, dest)

    def delete(self, key: str) -> None:
        self._maybe_crash("delete", key)
        self.inner.delete(key)


def new_metadata_version(store: ObjectStore, tmp_path: Path, edition: int, name: str) -> Path:
    """The tag files of a new version reusing the head's payload (nothing under data/)."""
    built = rebuild_tags(
        tmp_path / name, payload=store.payload_entries(OBJECT_ID), tags=metadata(edition), info=bag_info()
    )
    return built.path


def keys_under(storage: Storage, prefix: str) -> list[str]:
    return [key[len(prefix) :] for key in storage.list(prefix)]


def assert_valid(storage: Storage, tmp_path: Path, *, allow: tuple[str, ...] = ()) -> None:
    report = validate_storage(storage, tmp_path)
    assert report.objects >= 1
    assert report.errors == []
    assert [w for w in report.warnings if not any(code in w for code in allow)] == []


def test_create_update_dedupe_validate_export(store: ObjectStore, make_bag: MakeBag, tmp_path: Path) -> None:
    storage = store.storage
    bag1 = make_bag(1)
    v1 = store.create_or_update(OBJECT_ID, bag1.path, "Ingest letters", USER)
    assert v1.version == "v1"
    assert v1.files == len(bag1.files)
    assert v1.reused == 1  # p1-copy.tif has p1.tif's bytes: stored once

    v2 = store.create_or_update(OBJECT_ID, new_metadata_version(store, tmp_path, 2, "v2"), "New DC", USER)
    root = store.object_root(OBJECT_ID)
    v2_content = keys_under(storage, f"{root}/v2/content/")
    assert v2_content and not any(key.startswith("data/") for key in v2_content)  # scans not copied
    assert set(v2.stored) == {f"v2/content/{key}" for key in v2_content}
    assert all(path.startswith(("metadata/", "tagmanifest")) for path in v2_content)

    inventory = store.read_inventory(OBJECT_ID)
    assert inventory.head == "v2" and inventory.id == OBJECT_ID
    assert inventory.versions["v2"].message == "New DC" and inventory.versions["v2"].user == USER
    state1, state2 = store.version_state(OBJECT_ID, "v1"), store.version_state(OBJECT_ID)
    assert {p: c for p, c in state2.items() if p.startswith("data/")} == {
        p: c for p, c in state1.items() if p.startswith("data/")
    }
    assert state2["data/p1-copy.tif"][0] == state2["data/p1.tif"][0]  # one copy of equal bytes
    with store.open_file(OBJECT_ID, "metadata/dc.xml", "v1") as old:
        assert old.read() == metadata(1)["metadata/dc.xml"]
    with store.open_file(OBJECT_ID, "metadata/dc.xml") as new:
        assert new.read() == metadata(2)["metadata/dc.xml"]
    assert list(store.list_objects()) == [OBJECT_ID]

    assert_valid(storage, tmp_path)  # ocfl-py: zero errors, zero warnings
    cli = cli_validate_object(mirror(storage, tmp_path / "cli") / root)
    assert cli.returncode == 0 and "is VALID" in cli.stdout and "[W" not in cli.stdout + cli.stderr

    for version in ("v1", "v2"):
        exported = store.export_version(OBJECT_ID, version, tmp_path / f"export-{version}")
        bagit.Bag(str(exported)).validate()
        assert validate_bag(exported) == []
    assert (tmp_path / "export-v2/metadata/dc.xml").read_bytes() == metadata(2)["metadata/dc.xml"]


def test_new_version_stores_only_changed_scans(store: ObjectStore, make_bag: MakeBag, scans, tmp_path) -> None:
    store.create_or_update(OBJECT_ID, make_bag(1).path, "Ingest", USER)
    rescan = tmp_path / "p2-rescan.tif"
    rescan.write_bytes(b"a better scan of page two")
    v2 = store.create_or_update(OBJECT_ID, make_bag(2, payload={**scans, "p2.tif": rescan}).path, "Rescan", USER)
    assert "v2/content/data/p2.tif" in v2.stored
    assert not any(path.startswith("v2/content/data/") and path != "v2/content/data/p2.tif" for path in v2.stored)
    assert_valid(store.storage, tmp_path)


def test_layout_and_root_files(store: ObjectStore, make_bag: MakeBag) -> None:
    store.create_or_update(OBJECT_ID, make_bag(1).path, "Ingest", USER)
    storage = store.storage
    assert storage.get_bytes("0=ocfl_1.1") == b"ocfl_1.1\n"
    assert json.loads(storage.get_bytes("ocfl_layout.json"))["extension"] == "0004-hashed-n-tuple-storage-layout"
    config = json.loads(storage.get_bytes("extensions/0004-hashed-n-tuple-storage-layout/config.json"))
    assert config == {
        "extensionName": "0004-hashed-n-tuple-storage-layout",
        "digestAlgorithm": "sha256",
        "tupleSize": 3,
        "numberOfTuples": 3,
        "shortObjectRoot": False,
    }
    root = store.object_root(OBJECT_ID)
    assert storage.get_bytes(f"{root}/0=ocfl_object_1.1") == b"ocfl_object_1.1\n"
    assert storage.get_bytes(f"{root}/inventory.json") == storage.get_bytes(f"{root}/v1/inventory.json")
    assert not list(storage.list(STAGING + "/"))


def test_crash_while_staging_leaves_object_valid_and_next_write_succeeds(
    store: ObjectStore, make_bag: MakeBag, tmp_path: Path
) -> None:
    storage = store.storage
    store.create_or_update(OBJECT_ID, make_bag(1).path, "Ingest", USER)
    store.create_or_update(OBJECT_ID, new_metadata_version(store, tmp_path, 2, "v2"), "DC", USER)
    v3 = make_bag(3).path  # new metadata: there is something to stage

    crashing = ObjectStore(CrashingStorage(storage, lambda op, key: op == "copy"))
    with pytest.raises(SimulatedCrash):
        crashing.create_or_update(OBJECT_ID, v3, "v3 that dies", USER)  # content of v3 is uploaded

    assert list(storage.list(STAGING + "/"))  # the staged v3 content is there...
    root = store.object_root(OBJECT_ID)
    assert not list(storage.list(f"{root}/v3/"))  # ...but nothing inside the object
    assert store.read_inventory(OBJECT_ID).head == "v2"
    with store.open_file(OBJECT_ID, "metadata/dc.xml") as readable:
        assert readable.read() == metadata(2)["metadata/dc.xml"]
    assert_valid(storage, tmp_path, allow=("W901",))  # only: unregistered extension folder (staging)

    info = store.create_or_update(OBJECT_ID, v3, "v3 again", USER)
    assert info.version == "v3"
    assert not list(storage.list(STAGING + "/"))
    assert_valid(storage, tmp_path)


def test_crash_after_promotion_before_commit(store: ObjectStore, make_bag: MakeBag, tmp_path: Path) -> None:
    """The only window where a crash shows in the object: vN copied in, root inventory not
    yet written. Readers still get the previous version; ocfl-py reports the stray folder
    (E046b) until ``recover`` (or the next write) removes it."""
    storage = store.storage
    store.create_or_update(OBJECT_ID, make_bag(1).path, "Ingest", USER)
    store.create_or_update(OBJECT_ID, new_metadata_version(store, tmp_path, 2, "v2"), "DC", USER)
    root = store.object_root(OBJECT_ID)
    crashing = ObjectStore(CrashingStorage(storage, lambda op, key: key == f"{root}/inventory.json"))
    with pytest.raises(SimulatedCrash):
        crashing.create_or_update(OBJECT_ID, new_metadata_version(store, tmp_path, 3, "v3"), "dies", USER)

    assert list(storage.list(f"{root}/v3/"))
    assert store.read_inventory(OBJECT_ID).head == "v2"
    assert store.version_state(OBJECT_ID).keys() == store.version_state(OBJECT_ID, "v2").keys()
    report = validate_storage(storage, tmp_path)
    assert report.errors and all("E046b" in e for e in report.errors)

    recovery = store.recover(OBJECT_ID)
    assert recovery.rolled_back == ["v3"] and recovery.finished is None
    assert any(key.startswith(f"{root}/v3/") for key in recovery.removed)
    assert_valid(storage, tmp_path)
    assert (
        store.create_or_update(OBJECT_ID, new_metadata_version(store, tmp_path, 3, "v3b"), "ok", USER).version == "v3"
    )
    assert_valid(storage, tmp_path)


def test_crash_between_root_inventory_and_its_sidecar(store: ObjectStore, make_bag: MakeBag, tmp_path) -> None:
    storage = store.storage
    store.create_or_update(OBJECT_ID, make_bag(1).path, "Ingest", USER)
    root = store.object_root(OBJECT_ID)
    crashing = ObjectStore(CrashingStorage(storage, lambda op, key: key == f"{root}/inventory.json.sha512"))
    with pytest.raises(SimulatedCrash):
        crashing.create_or_update(OBJECT_ID, new_metadata_version(store, tmp_path, 2, "v2"), "DC", USER)
    assert store.read_inventory(OBJECT_ID).head == "v2"  # committed: the inventory was written
    assert store.recover(OBJECT_ID).finished == "v2"  # completes the sidecar
    assert_valid(storage, tmp_path)


def test_crash_while_creating_leaves_no_object(store: ObjectStore, make_bag: MakeBag, tmp_path: Path) -> None:
    storage = store.storage
    bag = make_bag(1).path
    crashing = ObjectStore(CrashingStorage(storage, lambda op, key: key.endswith("/v1/inventory.json")))
    with pytest.raises(SimulatedCrash):
        crashing.create_or_update(OBJECT_ID, bag, "Ingest", USER)
    assert list(store.list_objects()) == []
    with pytest.raises(ObjectNotFound):
        store.read_inventory(OBJECT_ID)
    assert store.create_or_update(OBJECT_ID, bag, "Ingest", USER).version == "v1"
    assert_valid(storage, tmp_path)


def test_concurrent_writer_is_detected(store: ObjectStore, make_bag: MakeBag, tmp_path: Path) -> None:
    storage = store.storage
    store.create_or_update(OBJECT_ID, make_bag(1).path, "Ingest", USER)
    other = new_metadata_version(store, tmp_path, 2, "other")
    mine = make_bag(3).path
    raced: list[object] = []

    def race(op: str, key: str) -> bool:
        if op == "put" and key.startswith(STAGING) and not raced:
            raced.append(ObjectStore(storage).create_or_update(OBJECT_ID, other, "other writer", USER))
        return False

    with pytest.raises(ConcurrentUpdate):
        ObjectStore(CrashingStorage(storage, race)).create_or_update(OBJECT_ID, mine, "mine", USER)
    assert store.read_inventory(OBJECT_ID).versions["v2"].message == "other writer"
    assert_valid(storage, tmp_path)


def test_missing_and_unknown(store: ObjectStore, make_bag: MakeBag, tmp_path: Path) -> None:
    with pytest.raises(ObjectNotFound):
        store.read_inventory(OBJECT_ID)
    store.create_or_update(OBJECT_ID, make_bag(1).path, "Ingest", USER)
    with pytest.raises(VersionNotFound):
        store.version_state(OBJECT_ID, "v9")
    with pytest.raises(LogicalPathNotFound):
        store.open_file(OBJECT_ID, "data/nothing.tif")
    with pytest.raises(ObjectNotFound):
        store.read_inventory("urn:muniment:item:other")
    holey = tmp_path / "holey"
    rebuild_tags(holey, payload=[BagEntry("data/elsewhere.tif", 3, "ab" * 64)], tags=metadata(2), info=bag_info())
    with pytest.raises(StagedBagError):
        store.create_or_update(OBJECT_ID, holey, "refers to content the object lacks", USER)


def test_purge(store: ObjectStore, make_bag: MakeBag) -> None:
    store.create_or_update(OBJECT_ID, make_bag(1).path, "Ingest", USER)
    store.create_or_update("urn:muniment:item:0002", make_bag(2).path, "Ingest", USER)
    store.purge(OBJECT_ID)
    assert list(store.list_objects()) == ["urn:muniment:item:0002"]
    assert not list(store.storage.list(store.object_root(OBJECT_ID) + "/"))
    with pytest.raises(ObjectNotFound):
        store.purge(OBJECT_ID)


def test_root_refuses_foreign_storage(storage: Storage, make_bag: MakeBag) -> None:
    storage.put_bytes("someone/else.txt", b"not ours")
    with pytest.raises(StorageRootError):
        ObjectStore(storage).create_or_update(OBJECT_ID, make_bag(1).path, "Ingest", USER)


def test_export_detects_corrupted_content(fs_store: ObjectStore, make_bag: MakeBag, tmp_path: Path) -> None:
    fs_store.create_or_update(OBJECT_ID, make_bag(1).path, "Ingest", USER)
    content = fs_store.version_state(OBJECT_ID)["data/p2.tif"][0]
    path = fs_store.storage.local_path(f"{fs_store.object_root(OBJECT_ID)}/{content}")
    assert path is not None
    Path(path).write_bytes(b"bit rot")
    with pytest.raises(FixityError):
        fs_store.export_version(OBJECT_ID, None, tmp_path / "export")


def test_filesystem_root_validates_in_place(fs_store: ObjectStore, make_bag: MakeBag) -> None:
    fs_store.create_or_update(OBJECT_ID, make_bag(1).path, "Ingest", USER)
    storage_root = fs_store.storage.local_path("0=ocfl_1.1")
    assert storage_root is not None
    report = validate_root(Path(storage_root).parent)
    assert report.errors == [] and report.warnings == []


class NativePendingCrashingStorage(CrashingStorage):
    """Like CrashingStorage, but staging goes through the backend's own pending puts (S3: multipart
    uploads completed at commit), and ``when`` also sees ``("commit", key)``."""

    def put_pending(
        self, key: str, stream: BinaryIO, *, sha512: str | None, staging_key: str, parts: PartDigests | None = None
    ) -> PendingPut:
        self._maybe_crash("stage", key)
        pending = self.inner.put_pending(key, stream, sha512=sha512, staging_key=staging_key, parts=parts)
        crash = self._maybe_crash

        class Crashing(PendingPut):
            def __init__(self) -> None:
                self.key, self.info = pending.key, pending.info

            def commit(self) -> ObjectInfo:
                crash("commit", key)
                return pending.commit()

            def abort(self) -> None:
                pending.abort()

        return Crashing()

    def abort_pending(self, prefix: str) -> list[str]:
        return self.inner.abort_pending(prefix)


def test_crash_with_native_pending_uploads_leaves_nothing_in_the_object(
    store: ObjectStore, make_bag: MakeBag, tmp_path: Path
) -> None:
    """Staged content that no reader, lister or validator can see until the version commits."""
    storage = store.storage
    store.create_or_update(OBJECT_ID, make_bag(1).path, "Ingest", USER)
    root = store.object_root(OBJECT_ID)
    v2 = make_bag(2).path
    crashing = ObjectStore(NativePendingCrashingStorage(storage, lambda op, key: op == "commit"))
    with pytest.raises(SimulatedCrash):
        crashing.create_or_update(OBJECT_ID, v2, "v2 that dies", USER)

    assert not list(storage.list(f"{root}/v2/"))
    assert store.read_inventory(OBJECT_ID).head == "v1"
    assert_valid(storage, tmp_path, allow=("W901",))  # W901: the filesystem's staging folder
    store.recover(OBJECT_ID)
    assert storage.abort_pending(root + "/") == []  # recover dropped the S3 uploads
    assert not list(storage.list(STAGING + "/"))
    info = store.create_or_update(OBJECT_ID, v2, "v2 again", USER)
    assert info.version == "v2" and info.stored
    assert_valid(storage, tmp_path)


def test_aborted_first_version_stores_nothing_at_all(store: ObjectStore, make_bag: MakeBag) -> None:
    """An ingest whose page fails to decode after its scans were staged: not even the root remains."""
    bag = make_bag(1)
    writer = store.begin_version(OBJECT_ID)
    for entry in bag.payload:
        writer.stage(entry.path, bag.path / entry.path, entry.sha512)
    writer.abort()
    assert list(store.storage.list("")) == []
    assert store.storage.abort_pending("") == []
    with pytest.raises(OcflError):
        writer.commit(bag.files, "too late", USER)


def test_version_written_file_by_file_from_threads(store: ObjectStore, make_bag: MakeBag, tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    bag = make_bag(1)
    writer = store.begin_version(OBJECT_ID)
    with ThreadPoolExecutor(4) as pool:
        sent = list(pool.map(lambda e: writer.stage(e.path, bag.path / e.path, e.sha512), bag.files))
    assert sent.count(False) == 1  # p1-copy.tif has the digest of p1.tif: stored once
    with pytest.raises(StagedBagError):
        writer.commit([*bag.files, BagEntry("data/unknown.tif", 1, "0" * 128)], "names a file never staged", USER)
    writer = store.begin_version(OBJECT_ID)  # the failed commit dropped what it had staged
    for entry in bag.files:
        writer.stage(entry.path, bag.path / entry.path, entry.sha512)
    info = writer.commit(bag.files, "Ingest", USER)
    assert info.version == "v1" and info.reused == 1
    assert_valid(store.storage, tmp_path)
