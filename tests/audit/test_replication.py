"""Replication: every version copied to the replica and verified; `muniment replicate` catches up."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import pytest

from app.cli.main import main
from repo.audit import Preservation, replicate_item
from repo.audit.event_log import PREFIX
from repo.identifiers import object_id
from repo.preservation import ObjectStore
from repo.services import Services
from repo.settings import Settings
from storage import FilesystemStorage, ObjectInfo, Storage, StorageUnavailable
from tests.audit.conftest import ingest_pages
from tests.preservation.ocfl_check import validate_storage


class Unreachable(Storage):
    """A replica during an outage."""

    location = "s3://replica (down)"

    def _down(self, *args: object, **kwargs: object) -> ObjectInfo:
        raise StorageUnavailable("cannot reach the replica")

    put = _down
    head = _down
    copy = _down

    def open(self, key: str, start: int = 0, end: int | None = None, *, read_ahead: bool = True) -> BinaryIO:
        raise StorageUnavailable("cannot reach the replica")

    def list_page(self, prefix: str = "", *, start_after: str = "", limit: int = 1000) -> list[str]:
        raise StorageUnavailable("cannot reach the replica")

    def delete(self, key: str) -> None:
        raise StorageUnavailable("cannot reach the replica")


def test_ingest_during_an_outage_then_catch_up(services: Services, tmp_path: Path) -> None:
    replica = services.replica
    assert replica is not None
    services.replica = Unreachable()
    first = ingest_pages(services, tmp_path, pages=2, name="a", seed=1)
    second = ingest_pages(services, tmp_path, pages=1, name="b", seed=2)
    assert {i.id for i in services.catalog.unreplicated()} == {first, second}
    failures = [e for e in services.catalog.events(first) if e.type == "replication"]
    assert [e.outcome for e in failures] == ["failure"] and "cannot reach the replica" in failures[0].detail

    services.replica = replica
    p = Preservation(services)
    try:
        results = [replicate_item(p, item.id) for item in services.catalog.unreplicated()]
        assert sorted((r.item_id, r.version, r.files) for r in results) == sorted(
            [(first, 1, 9), (second, 1, 8)]
        )  # every content file: scans and tag files
        assert services.catalog.unreplicated() == []
        again = replicate_item(p, first)
        assert again.files == 0  # nothing left to copy
    finally:
        p.close()
    for item_id in (first, second):
        row = services.catalog.replication(item_id)
        assert row is not None and row.version == 1
        assert [e.outcome for e in services.catalog.events(item_id) if e.type == "replication"] == [
            "failure",
            "success",
        ]
        assert ObjectStore(replica).read_inventory(object_id(item_id)) == ObjectStore(
            services.preservation
        ).read_inventory(object_id(item_id))
    assert set(replica.list(PREFIX)) == set(services.preservation.list(PREFIX))  # the event log too
    report = validate_storage(replica, tmp_path / "replica-check")
    assert report.objects == 2 and report.errors == [] and report.warnings == []


def test_replicate_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for name in [n for n in __import__("os").environ if n.startswith("MUNIMENT_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("MUNIMENT_DATA_DIR", str(tmp_path / "data"))
    services = Services.open(Settings.load(None))
    try:
        item_id = ingest_pages(services, tmp_path, pages=1)  # no replica configured yet
    finally:
        services.close()
    assert main(["replicate"]) == 2
    assert "MUNIMENT_REPLICA_STORAGE" in capsys.readouterr().err
    monkeypatch.setenv("MUNIMENT_REPLICA_STORAGE", str(tmp_path / "replica"))
    assert main(["replicate"]) == 0
    out = capsys.readouterr().out
    assert f"ok      {item_id}: v1 verified on the replica" in out and "1 replicated, 0 failed" in out
    assert main(["replicate"]) == 0
    assert "0 replicated, 0 failed" in capsys.readouterr().out

    assert main(["fixity"]) == 0
    assert "checked 16 files" in capsys.readouterr().out
    assert main(["fixity", "--report"]) == 0
    report = capsys.readouterr().out
    assert "Failed: 0" in report and "Never checked: 0" in report and "Not yet verified on the replica: 0" in report
    store = ObjectStore(FilesystemStorage(tmp_path / "data" / "preservation"))
    content, _ = store.version_state(object_id(item_id))["data/p1.tif"]
    (tmp_path / "data" / "preservation" / store.object_root(object_id(item_id)) / content).write_bytes(b"rot")
    assert main(["fixity", "--item", item_id]) == 1
    out = capsys.readouterr().out
    assert "1 repaired, 0 failed" in out and "REPAIRED" in out
    assert main(["fixity", "--max-bytes", "1k"]) == 0
    assert "budget spent" in capsys.readouterr().out
