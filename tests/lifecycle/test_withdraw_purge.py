"""Withdrawal hides an item and keeps it preserved; purge removes it from storage and keeps a tombstone."""

from __future__ import annotations

import getpass
import time
from pathlib import Path

import pytest

from repo.audit import Preservation
from repo.catalog import utc_now
from repo.errors import MunimentError
from repo.identifiers import object_id
from repo.lifecycle import DEACCESSION, purge, withdraw
from repo.oai.queries import disseminated_item
from repo.preservation import ObjectStore
from repo.services import Services
from tests.audit.conftest import ingest_pages
from tests.lifecycle.conftest import USER
from tests.preservation.ocfl_check import validate_storage


def test_withdraw_keeps_the_object_records_it_in_a_new_version_and_moves_the_datestamp(
    preservation: Preservation, fs_services: Services, tmp_path: Path
) -> None:
    item_id = ingest_pages(fs_services, tmp_path, pages=1)
    before = fs_services.catalog.require_item(item_id)
    time.sleep(1.1)  # datestamps have seconds granularity
    item = withdraw(preservation, item_id, "duplicate of MS-2", USER)
    assert (item.status, item.status_reason, item.version) == ("withdrawn", "duplicate of MS-2", 2)
    assert item.datestamp > before.datestamp and not item.is_public()
    store = ObjectStore(fs_services.preservation)
    assert store.version_state(object_id(item_id), "v2").keys() == store.version_state(object_id(item_id), "v1").keys()
    premis = store.open_file(object_id(item_id), "metadata/premis.xml").read().decode()
    assert f">{DEACCESSION}<" in premis and "duplicate of MS-2" in premis
    assert [e.type for e in fs_services.catalog.events(item_id)].count(DEACCESSION) == 1
    stored = disseminated_item(fs_services.catalog.db, item_id, utc_now())
    assert stored is not None and stored.deleted  # OAI-PMH: a deleted record
    with pytest.raises(MunimentError, match="already withdrawn"):
        withdraw(preservation, item_id, "again", USER)


def test_purge_removes_every_stored_copy_and_keeps_a_tombstone(
    preservation: Preservation, fs_services: Services, tmp_path: Path
) -> None:
    services = fs_services
    assert services.replica is not None
    keep = ingest_pages(services, tmp_path, pages=1, name="keep", seed=1)
    item_id = ingest_pages(services, tmp_path, pages=2, name="gone", seed=2)
    derivatives = [k for f in services.catalog.files(item_id) for k in (f.derivative_key, f.thumbnail_key)]
    assert all(services.access.exists(k) for k in derivatives)
    result = purge(preservation, item_id, "rights holder's request", USER)
    assert result.preservation_keys > 0 and result.replica_keys == result.preservation_keys

    for storage in (services.preservation, services.replica):
        store = ObjectStore(storage)
        assert not store.exists(object_id(item_id)) and store.exists(object_id(keep))
        assert not list(storage.list(store.object_root(object_id(item_id)) + "/"))
        report = validate_storage(storage, tmp_path / "check" / storage.location.rsplit("/", 1)[-1])
        assert report.objects == 1 and report.errors == [] and report.warnings == []
    assert not any(services.access.exists(k) for k in derivatives)
    assert list(services.access.list(f"{keep}/"))

    tombstone = services.catalog.require_item(item_id)
    assert (tombstone.status, tombstone.status_reason) == ("purged", "rights holder's request")
    assert services.catalog.files(item_id) == [] and services.catalog.metadata(item_id) is None
    deletion = [e for e in services.catalog.events(item_id) if e.type == "deletion"]
    assert len(deletion) == 1 and deletion[0].agent == "ada" and "rights holder's request" in deletion[0].detail
    stored = disseminated_item(services.catalog.db, item_id, utc_now())
    assert stored is not None and stored.deleted
    records = preservation.log.records(object_id(item_id))
    assert records[-1].tombstone and records[-1].item is not None and records[-1].item["status"] == "purged"
    # Running it again finishes nothing more and does no harm.
    assert purge(preservation, item_id, "rights holder's request", USER).preservation_keys == 0


def test_purge_command_needs_confirm_and_logs_the_os_user(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.cli.main import main
    from repo.settings import Settings

    monkeypatch.setenv("MUNIMENT_DATA_DIR", str(tmp_path / "data"))
    services = Services.open(Settings.load(None))
    try:
        item_id = ingest_pages(services, tmp_path, pages=1)
    finally:
        services.close()
    assert main(["purge", item_id, "--reason", "test"]) == 2
    assert "--confirm" in capsys.readouterr().err
    assert main(["withdraw", item_id, "--reason", "takedown notice"]) == 0
    assert main(["purge", item_id, "--reason", "takedown notice", "--confirm"]) == 0
    assert f"purged by {getpass.getuser()}" in capsys.readouterr().out
    services = Services.open(Settings.load(None))
    try:
        events = services.catalog.events(item_id)
        assert events[-1].type == "deletion" and events[-1].agent == getpass.getuser()
        assert not ObjectStore(services.preservation).exists(object_id(item_id))
    finally:
        services.close()
