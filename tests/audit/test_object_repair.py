"""Fixity beside the content files: inventories and sidecars restored from the other copy, stray
files in an object reported, missing or unreadable access derivatives made again."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from starlette.testclient import TestClient

from app.web import create_app
from ingest.derivatives import make_derivatives
from repo.audit import PRESERVATION, REPLICA, FixityAudit, Preservation, build_report, format_report
from repo.identifiers import object_id
from repo.preservation import ObjectStore
from repo.services import Services
from storage import Storage
from tests.audit.conftest import damage, ingest_pages
from tests.preservation.ocfl_check import validate_storage


def object_root(storage: Storage, item_id: str) -> str:
    return ObjectStore(storage).object_root(object_id(item_id))


def test_a_corrupted_root_inventory_is_restored_from_the_replica(services: Services, tmp_path: Path) -> None:
    item = ingest_pages(services, tmp_path, pages=2)
    assert services.replica is not None
    key = f"{object_root(services.preservation, item)}/inventory.json"
    good = services.replica.get_bytes(key)
    damage(services.preservation, key, "flip")
    p = Preservation(services)
    try:
        run = FixityAudit(p).run()
        assert [(r.copy, r.content_path, r.last_result) for r in run.repaired] == [
            (PRESERVATION, "inventory.json", "repaired")
        ]
        assert run.failed == [] and run.files_ok == run.checked == 2 * 9  # every content file checked, none failed
        assert services.preservation.get_bytes(key) == good
        repairs = [e for e in services.catalog.events(item) if e.type == "repair"]
        assert [(e.outcome, e.detail.split(":")[0]) for e in repairs] == [("success", "inventory.json")]
        assert "from the replica copy" in repairs[0].detail
        logged = [e for record in p.log.records(object_id(item)) for e in record.events if e.event.type == "repair"]
        assert [(e.copy, e.content_path, e.result) for e in logged] == [(PRESERVATION, "inventory.json", "repaired")]
        again = FixityAudit(p).run()
        assert again.clean and again.failed == []
        assert build_report(p, 90, datetime.now(UTC)).ok
    finally:
        p.close()
    report = validate_storage(services.preservation, tmp_path / "check")
    assert report.errors == [] and report.warnings == []


def test_when_both_inventories_are_corrupt_nothing_is_overwritten(fs_services: Services, tmp_path: Path) -> None:
    services = fs_services
    assert services.replica is not None
    item = ingest_pages(services, tmp_path, pages=1)
    keys = {s: f"{object_root(s, item)}/inventory.json" for s in (services.preservation, services.replica)}
    damage(services.preservation, keys[services.preservation], "flip")
    damage(services.replica, keys[services.replica], "truncate")
    damaged = {s: s.get_bytes(k) for s, k in keys.items()}
    p = Preservation(services)
    try:
        run = FixityAudit(p).run()
        assert run.repaired == []
        assert {(r.copy, r.content_path) for r in run.both_bad} == {
            (PRESERVATION, "inventory.json"),
            (REPLICA, "inventory.json"),
        }
        assert {s: s.get_bytes(k) for s, k in keys.items()} == damaged
        text = format_report(build_report(p, 90, datetime.now(UTC)))
        assert "!!! BOTH COPIES BAD: 2 file(s)" in text and "NOTHING WAS OVERWRITTEN" in text
        assert "inventory.json: BOTH COPIES BAD" in text
    finally:
        p.close()


def test_deleted_sidecars_are_reported_and_restored(services: Services, tmp_path: Path) -> None:
    item = ingest_pages(services, tmp_path, pages=1)
    assert services.replica is not None
    root_sidecar = f"{object_root(services.preservation, item)}/inventory.json.sha512"
    version_sidecar = f"{object_root(services.replica, item)}/v1/inventory.json.sha512"
    expected = {root_sidecar: services.preservation.get_bytes(root_sidecar)}
    expected[version_sidecar] = services.replica.get_bytes(version_sidecar)
    services.preservation.delete(root_sidecar)
    services.replica.delete(version_sidecar)
    p = Preservation(services)
    try:
        run = FixityAudit(p).run()
        assert {(r.copy, r.content_path, r.last_result) for r in run.repaired} == {
            (PRESERVATION, "inventory.json.sha512", "repaired"),
            (REPLICA, "v1/inventory.json.sha512", "repaired"),
        }
        assert run.failed == []
        assert services.preservation.get_bytes(root_sidecar) == expected[root_sidecar]
        assert services.replica.get_bytes(version_sidecar) == expected[version_sidecar]
        assert FixityAudit(p).run().clean
    finally:
        p.close()
    for storage in (services.preservation, services.replica):
        report = validate_storage(storage, tmp_path / "check")
        assert report.errors == [] and report.warnings == []


def test_without_a_replica_a_lost_root_sidecar_comes_from_the_head_version(tmp_path: Path) -> None:
    from storage import FilesystemStorage
    from tests.audit.conftest import make_services

    services = make_services(tmp_path, FilesystemStorage(tmp_path / "preservation"), None)
    try:
        item = ingest_pages(services, tmp_path, pages=1)
        sidecar = f"{object_root(services.preservation, item)}/inventory.json.sha512"
        before = services.preservation.get_bytes(sidecar)
        services.preservation.delete(sidecar)
        p = Preservation(services)
        try:
            run = FixityAudit(p).run()
            assert [(r.content_path, r.last_result) for r in run.repaired] == [("inventory.json.sha512", "repaired")]
            assert "from its own v1 inventory" in run.repaired[0].detail
            assert services.preservation.get_bytes(sidecar) == before
        finally:
            p.close()
    finally:
        services.close()


def test_stray_files_in_an_object_are_reported_until_removed(services: Services, tmp_path: Path) -> None:
    item = ingest_pages(services, tmp_path, pages=1)
    root = object_root(services.preservation, item)
    strays = [f"{root}/notes.txt", f"{root}/v1/content/data/extra.tif", f"{root}/v2/content/data/p1.tif"]
    for key in strays:
        services.preservation.put_bytes(key, b"not named by any inventory")
    expected = {"notes.txt", "v1/content/data/extra.tif", "v2/content/data/p1.tif"}
    local = services.preservation.local_path(root)
    if local is not None:  # a temporary file that the filesystem backend hides from listings
        Path(local, ".muniment-tmp-4242").write_bytes(b"half a write")
        expected.add(".muniment-tmp-4242")
    p = Preservation(services)
    try:
        run = FixityAudit(p).run()
        assert {(r.copy, r.content_path, r.last_result) for r in run.failed} == {
            (PRESERVATION, path, "stray") for path in expected
        }
        assert run.repaired == [] and run.files_ok == run.checked
        report = build_report(p, 90, datetime.now(UTC))
        assert not report.ok and {r.content_path for r in report.failed} == expected
        assert "stray file in the object root" in format_report(report)
        assert all(services.preservation.exists(key) for key in strays)  # reported, never removed

        for key in strays:
            services.preservation.delete(key)
        if local is not None:
            Path(local, ".muniment-tmp-4242").unlink()
        assert FixityAudit(p).run().clean
        assert build_report(p, 90, datetime.now(UTC)).ok
    finally:
        p.close()


def test_a_missing_pyramid_and_a_truncated_thumbnail_are_made_again(services: Services, tmp_path: Path) -> None:
    item = ingest_pages(services, tmp_path, pages=2)
    first, second = services.catalog.files(item)
    thumbnail = services.access.get_bytes(second.thumbnail_key)
    services.access.delete(first.derivative_key)
    damage(services.access, second.thumbnail_key, "truncate")
    info = f"/iiif/3/{item}~1/info.json"
    with TestClient(create_app(services.settings, services), raise_server_exceptions=False) as client:
        assert client.get(info).status_code == 404
        p = Preservation(services)
        try:
            unable = FixityAudit(p).run()  # no way to make derivatives given: reported, nothing made
            assert {(r.copy, r.content_path, r.last_result) for r in unable.failed} == {
                ("access", first.derivative_key, "missing"),
                ("access", second.thumbnail_key, "failed"),
            }
            assert not services.access.exists(first.derivative_key)

            run = FixityAudit(p, make_derivatives=make_derivatives).run()
            assert {(r.copy, r.content_path, r.last_result) for r in run.repaired} == {
                ("access", first.derivative_key, "repaired"),
                ("access", second.thumbnail_key, "repaired"),
            }
            assert run.failed == []
            assert FixityAudit(p, make_derivatives=make_derivatives).run().clean
        finally:
            p.close()
        answer = client.get(info)
        assert answer.status_code == 200, answer.text
        assert (answer.json()["width"], answer.json()["height"]) == (first.width, first.height)
        assert client.get(f"/iiif/3/{item}~1/full/max/0/default.jpg").status_code == 200
    assert len(services.access.get_bytes(second.thumbnail_key)) > len(thumbnail) // 2
    repairs = [e for e in services.catalog.events(item) if e.type == "repair"]
    assert {(e.outcome, e.detail.split(":")[0]) for e in repairs} == {
        ("failure", first.derivative_key),
        ("failure", second.thumbnail_key),
        ("success", first.derivative_key),
        ("success", second.thumbnail_key),
    }
