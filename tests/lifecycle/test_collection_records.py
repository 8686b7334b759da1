"""Collection records in preservation storage: the latest readable one wins, and a record storage
cannot take leaves the catalog unchanged (the API says 503); the replica gets them, now or later."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from starlette.testclient import TestClient

from app.web import create_app
from repo.audit import Preservation
from repo.auth import Role, TokenStore
from repo.catalog import Collection
from repo.lifecycle.collections import (
    PREFIX,
    CollectionRecords,
    ensure_collection,
    replicate_records,
    update_collection,
)
from repo.preservation import OcflRoot
from repo.services import Services
from storage import FilesystemStorage
from storage.errors import StorageUnavailable
from tests.audit.conftest import make_services
from tests.lifecycle.conftest import RecordingStorage


def test_the_latest_readable_record_wins(tmp_path: Path) -> None:
    storage = FilesystemStorage(tmp_path / "preservation")
    records = CollectionRecords(storage)
    first = Collection("maps", "Maps", "", "", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z")
    second = Collection("maps", "Maps and Plans", "Surveys.", "", first.created, "2026-02-01T00:00:00Z")
    records.write(first)
    records.write(second)
    assert records.latest() == ({"maps": second}, [])

    damaged = sorted(storage.list(f"{PREFIX}maps/"))[-1]
    storage.put_bytes(damaged, b'{"slug": "maps", "ti')  # bit rot in the newest record
    found, problems = records.latest()
    assert found == {"maps": first}
    assert len(problems) == 1 and problems[0].startswith(f"{damaged}: unreadable collection record (")
    assert problems[0].endswith("an earlier record is used")


def test_a_record_storage_refuses_changes_nothing(fs_services: Services) -> None:
    recording = RecordingStorage(fs_services.preservation)
    fs_services.preservation = recording
    curator = {"Authorization": f"Bearer {TokenStore(fs_services.catalog.db).create('c', Role.CURATOR)[0]}"}
    with TestClient(create_app(fs_services.settings, fs_services)) as client:
        assert (
            client.post("/api/v1/collections", json={"slug": "maps", "title": "Maps"}, headers=curator).status_code
            == 201
        )

        def refuse(key: str) -> None:
            if key.startswith(PREFIX):
                raise StorageUnavailable("the S3 endpoint does not answer")

        recording.on_put = refuse
        created = client.post("/api/v1/collections", json={"slug": "plans", "title": "Plans"}, headers=curator)
        assert created.status_code == 503
        assert created.json()["error"]["message"] == (
            "collection 'plans' not saved: the preservation storage is unavailable"
        )
        changed = client.patch("/api/v1/collections/maps", json={"title": "Other"}, headers=curator)
        assert changed.status_code == 503
        assert client.get("/api/v1/collections/plans").status_code == 404
        assert client.get("/api/v1/collections/maps").json()["title"] == "Maps"
    assert CollectionRecords(recording).latest()[0]["maps"].title == "Maps"


def test_records_the_replica_missed_are_copied_by_the_catch_up(fs_services: Services) -> None:
    assert fs_services.replica is not None
    replica = RecordingStorage(fs_services.replica)
    fs_services.replica = replica

    def away(key: str) -> None:
        raise StorageUnavailable("the replica does not answer")

    replica.on_put = away
    ensure_collection(fs_services, "maps", "Maps")  # stored on the primary all the same
    assert list(replica.list(PREFIX)) == []
    replica.on_put = lambda key: None
    p = Preservation(fs_services)
    try:
        assert replicate_records(p) == 1  # what `muniment replicate` runs after the items
    finally:
        p.close()
    assert CollectionRecords(replica).latest() == CollectionRecords(fs_services.preservation).latest()
    assert CollectionRecords(replica).latest()[0]["maps"].title == "Maps"
    assert OcflRoot(replica).exists()  # a root like the primary, so that objects can follow


def test_concurrent_changes_leave_the_catalog_and_the_latest_record_alike(tmp_path: Path, catalog_url: str) -> None:
    """The catalog row stays locked until its record is stored, so the last writer's record is the
    latest one, whichever thread that is (SQLite and PostgreSQL)."""
    services = make_services(tmp_path, FilesystemStorage(tmp_path / "preservation"), None, database_url=catalog_url)
    try:
        ensure_collection(services, "maps", "Maps")
        for round in range(6):
            titles = [f"Maps {round}.{n}" for n in range(4)]
            with ThreadPoolExecutor(4) as pool:
                list(pool.map(lambda title: update_collection(services, "maps", title=title), titles))
            stored = CollectionRecords(services.preservation).latest()[0]["maps"]
            assert stored == services.catalog.get_collection("maps") and stored.title in titles
    finally:
        services.close()
