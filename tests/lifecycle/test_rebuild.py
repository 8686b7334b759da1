"""rebuild-catalog: drop the catalog, rebuild it from preservation storage alone, and find it identical."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from app.api.views import collection_out
from app.web import create_app
from repo.audit import FixityAudit, Preservation
from repo.auth import Role, TokenStore
from repo.catalog import Catalog
from repo.lifecycle import edit_metadata, purge, rebuild_catalog, withdraw
from repo.lifecycle.collections import PREFIX as COLLECTIONS
from repo.lifecycle.collections import CollectionRecords, ensure_collection
from repo.metadata.loader import load_record
from repo.services import Services
from repo.settings import Settings
from storage import FilesystemStorage, Storage
from storage.s3 import S3Storage
from tests.audit.conftest import content_key, damage, ingest, ingest_pages
from tests.conftest import s3_location
from tests.ingest.conftest import make_item
from tests.lifecycle.conftest import USER, mods_file
from tests.lifecycle.test_kill_during_version import ROOT
from tests.preservation.ocfl_check import validate_storage
from tests.servers.seaweedfs import ACCESS_KEY, SECRET_KEY


@pytest.fixture(params=[("filesystem", "sqlite"), ("s3", "postgresql")], ids=["filesystem-sqlite", "s3-postgresql"])
def setup(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Services, Any]]:
    """Preservation, replica and access storage plus a way to make a fresh, empty catalog."""
    storage_kind, database = request.param
    if storage_kind == "filesystem":
        stores: list[Storage] = [FilesystemStorage(tmp_path / n) for n in ("preservation", "replica", "access")]
    else:
        server = request.getfixturevalue("seaweedfs")
        bucket = request.getfixturevalue("shared_bucket")
        run = uuid.uuid4().hex[:12]
        stores = [S3Storage(s3_location(server, bucket, prefix=f"{n}-{run}")) for n in ("p", "r", "a")]

    def new_catalog() -> Catalog:
        if database == "sqlite":
            return Catalog.open(f"sqlite:///{tmp_path / uuid.uuid4().hex}.sqlite3")
        return Catalog.open(request.getfixturevalue("postgres").create_database(f"t_{uuid.uuid4().hex[:12]}"))

    settings = Settings(data_dir=tmp_path / "data", ingest_workers=2)
    services = Services(settings, stores[0], stores[2], stores[1], new_catalog())
    yield services, new_catalog
    services.catalog.close()


def snapshot(catalog: Catalog) -> dict[str, Any]:
    items = catalog.list_items(limit=1000)
    return {
        "items": items,
        "files": {i.id: catalog.files(i.id) for i in items},
        "metadata": {i.id: catalog.metadata(i.id) for i in items},
        "events": {i.id: catalog.events(i.id) for i in items},
        "replication": {i.id: catalog.replication(i.id) for i in items},
        "fixity": sorted(catalog.fixity_rows("all"), key=lambda r: (r.item_id, r.copy, r.content_path)),
        "collections": [c.slug for c in catalog.list_collections()],
    }


def test_rebuilt_catalog_is_identical(setup: tuple[Services, Any], tmp_path: Path) -> None:
    services, new_catalog = setup
    edited = ingest_pages(services, tmp_path, pages=2, name="edited", seed=1)
    withdrawn = ingest_pages(services, tmp_path, pages=1, name="withdrawn", seed=2, identifier="MS 7")
    purged = ingest_pages(services, tmp_path, pages=1, name="purged", seed=3)
    p = Preservation(services)
    try:
        edit_metadata(p, edited, load_record(mods_file(tmp_path / "e", "Edited title")), USER)
        withdraw(p, withdrawn, "duplicate", USER)
        FixityAudit(p).run()
        damage(services.preservation, content_key(services.preservation, edited, "data/p2.tif"), "flip")
        run = FixityAudit(p).run()
        assert len(run.repaired) == 1
        purge(p, purged, "deposited in error", USER)
        # One pyramid lost: that page's size must come from the master's header.
        services.access.delete(services.catalog.files(edited)[1].derivative_key)
    finally:
        p.close()
    before = snapshot(services.catalog)
    assert {i.status for i in before["items"]} == {"active", "withdrawn", "purged"}
    assert {i.id: i.external_id for i in before["items"]}[withdrawn] == "MS 7"

    services.catalog.close()
    services.catalog = new_catalog()  # the old catalog is gone: only storage remains
    p = Preservation(services)
    try:
        result = rebuild_catalog(p)
    finally:
        p.close()
    assert (result.items, result.withdrawn, result.purged, result.problems) == (2, 1, 1, [])
    after = snapshot(services.catalog)
    for part in before:
        assert after[part] == before[part], part

    from repo.search import Search, SearchQuery

    assert [h.item_id for h in Search(services.catalog.db).search(SearchQuery(text="edited")).hits] == [edited]


def test_every_collection_comes_back_with_its_title_description_and_dates(
    setup: tuple[Services, Any], tmp_path: Path
) -> None:
    """42 collections made and changed through the API (some empty, some described, some with items)
    and one made by an ingest: an empty catalog rebuilt from storage lists them all as they were."""
    services, new_catalog = setup
    curator = {"Authorization": f"Bearer {TokenStore(services.catalog.db).create('curator', Role.CURATOR)[0]}"}
    with TestClient(create_app(services.settings, services)) as client:
        for n in range(42):
            body = {"slug": f"c{n:02d}", "title": f"Collection {n}: «Briefe» & Co."}
            if n % 3:
                body["description"] = f"Papers of family {n}.\nA second line."
            if n % 5 == 0:
                body["rights"] = "http://rightsstatements.org/vocab/InC/1.0/"
            assert client.post("/api/v1/collections", json=body, headers=curator).status_code == 201
        time.sleep(1.1)  # datestamps have seconds: the changed ones must have a later `modified`
        for n in range(0, 42, 7):
            change = {"title": f"Renamed {n}", "description": "" if n % 2 else "Described later."}
            assert client.patch(f"/api/v1/collections/c{n:02d}", json=change, headers=curator).status_code == 200
    ingest(services, make_item(tmp_path / "scans" / "a", ["p1.tif"], seed=1), collection="c01")
    ingest(services, make_item(tmp_path / "scans" / "b", ["p1.tif"], seed=2), collection="c07")
    ingest(services, make_item(tmp_path / "scans" / "c", ["p1.tif"], seed=3), collection="letters")  # made by ingest
    before = [collection_out(c).model_dump() for c in services.catalog.list_collections()]
    assert len(before) == 43 and sum(c["description"] == "" for c in before) == 16
    assert {c["slug"] for c in before if c["modified"] > c["created"]} == {f"c{n:02d}" for n in range(0, 42, 7)}

    services.catalog.close()
    services.catalog = new_catalog()  # only storage remains
    p = Preservation(services)
    try:
        result = rebuild_catalog(p)
    finally:
        p.close()
    assert (result.collections, result.items, result.unrecorded, result.problems) == (43, 3, [], [])
    with TestClient(create_app(services.settings, services)) as client:
        assert client.get("/api/v1/collections").json()["collections"] == before
        assert client.get("/api/v1/collections/c14").json()["title"] == "Renamed 14"
    # The replica holds the same records, and the root stays valid OCFL with them in it.
    assert services.replica is not None
    assert list(services.replica.list(COLLECTIONS)) == list(services.preservation.list(COLLECTIONS))
    report = validate_storage(services.preservation, tmp_path)
    assert (report.objects, report.errors, report.warnings) == (3, [], [])


def update_killed(env: dict[str, str], slug: str, title: str) -> None:
    """Change the collection's title in a slowed process, killed -9 while its record is being written."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.lifecycle.slow_collection", slug, title],
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
        if line.startswith(f"put {COLLECTIONS}{slug}/"):
            time.sleep(0.1)  # inside the write now (the slowed stream waits before its first read)
            proc.kill()
            break
    proc.wait()
    assert proc.returncode == -9, (
        f"not killed while writing the record: {seen} {proc.stderr.read() if proc.stderr else ''}"
    )


@pytest.mark.parametrize("backend", ["filesystem", "s3"])
def test_a_crash_while_writing_a_collection_record_leaves_the_old_one(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MUNIMENT_")}
    env["MUNIMENT_DATA_DIR"] = str(tmp_path / "data")
    if backend == "s3":
        server = request.getfixturevalue("seaweedfs")
        env |= {
            "MUNIMENT_PRESERVATION_STORAGE": f"s3://{request.getfixturevalue('shared_bucket')}/{uuid.uuid4().hex[:12]}",
            "MUNIMENT_S3_ENDPOINT": server.endpoint,
            "MUNIMENT_S3_ACCESS_KEY": ACCESS_KEY,
            "MUNIMENT_S3_SECRET_KEY": SECRET_KEY,
        }

    def rebuilt_title() -> str:
        """The title an empty catalog gets from storage alone."""
        fresh = Settings.load(environ={**env, "MUNIMENT_DATABASE_URL": f"sqlite:///{tmp_path / uuid.uuid4().hex}.db"})
        services = Services.open(fresh)
        p = Preservation(services)
        try:
            assert rebuild_catalog(p).problems == []
            collection = services.catalog.get_collection("diaries")
            assert collection is not None
            return collection.title
        finally:
            p.close()
            services.close()

    services = Services.open(Settings.load(environ=env))
    try:
        ensure_collection(services, "diaries", "Diaries, 1850-1900", "Kept by the vicar.")
    finally:
        services.close()

    update_killed(env, "diaries", "Diaries of the vicar")
    services = Services.open(Settings.load(environ=env))
    try:
        # The catalog's change died with the process (its transaction never committed) ...
        collection = services.catalog.get_collection("diaries")
        assert collection is not None and collection.title == "Diaries, 1850-1900"
        # ... and storage reads the old record, whole, as the latest one.
        recorded, problems = CollectionRecords(services.preservation).latest()
        assert problems == [] and recorded["diaries"] == collection
    finally:
        services.close()
    assert rebuilt_title() == "Diaries, 1850-1900"

    done = subprocess.run(
        [sys.executable, "-m", "tests.lifecycle.slow_collection", "diaries", "Diaries of the vicar"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and "done Diaries of the vicar" in done.stdout, done.stderr
    assert rebuilt_title() == "Diaries of the vicar"
