"""The stream's record and its HTTP: caching by finality, validators, what a catalog upgraded from
the release before holds, rebuild-catalog, and writers in several threads at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from app.web.app import create_app
from repo.audit import Preservation
from repo.catalog import Catalog, Database, changes
from repo.catalog.schema import MIGRATIONS
from repo.lifecycle import rebuild_catalog, withdraw
from repo.services import Services
from repo.settings import Settings
from storage import FilesystemStorage
from tests.audit.conftest import ingest_pages, make_services
from tests.lifecycle.conftest import USER
from tests.presentation import samples

BASE = "https://repo.example.org"


@pytest.fixture
def services(tmp_path: Path, catalog_url: str) -> Iterator[Services]:
    opened = Services.open(
        Settings(data_dir=tmp_path, database_url=catalog_url, base_url=BASE, iiif_discovery_page_size=2)
    )
    yield opened
    opened.close()


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services.settings, services)) as test_client:
        yield test_client


def stream(catalog: Catalog) -> list[tuple[str, str, str]]:
    return [(a.type, a.object_type, a.object_key) for a in changes.activities(catalog.db, 1, 10**9)]


def test_full_pages_are_cached_long_the_last_page_and_the_collection_revalidate(
    client: TestClient, services: Services
) -> None:
    empty = client.get("/iiif/discovery/")
    assert empty.status_code == 200 and empty.json()["totalItems"] == 0
    assert empty.json()["last"]["id"] == f"{BASE}/iiif/discovery/page-0"
    assert client.get("/iiif/discovery/page-0").json()["orderedItems"] == []
    for n in (1, 2):
        samples.add(services.catalog, samples.item(f"i{n}"))  # the collection, then two items: 3
    collection = client.get("/iiif/discovery")
    assert collection.json() == client.get("/iiif/discovery/all-changes").json()
    assert collection.json()["totalItems"] == 3 and collection.json()["last"]["id"].endswith("/page-1")
    assert collection.headers["cache-control"] == "public, no-cache"
    full, last = client.get("/iiif/discovery/page-0"), client.get("/iiif/discovery/page-1")
    assert full.headers["cache-control"] == "public, max-age=604800"
    assert last.headers["cache-control"] == "public, no-cache"
    assert client.get("/iiif/discovery/page-2").status_code == 404
    assert client.get("/iiif/discovery/activity/4").status_code == 404
    assert client.get("/iiif/discovery/activity/3").headers["cache-control"] == "public, max-age=604800"

    again = client.get("/iiif/discovery/page-1", headers={"If-None-Match": last.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    samples.add(services.catalog, samples.item("i3"))  # page 1 is full now, and still the last page
    grown = client.get("/iiif/discovery/page-1", headers={"If-None-Match": last.headers["etag"]})
    assert grown.status_code == 200 and len(grown.json()["orderedItems"]) == 2 and "next" not in grown.json()
    samples.add(services.catalog, samples.item("i4"))
    assert client.get("/iiif/discovery/page-1").json()["next"]["id"] == f"{BASE}/iiif/discovery/page-2"
    preflight = client.options("/iiif/discovery/page-1", headers={"Origin": "https://viewer.example"})
    assert preflight.status_code == 204 and preflight.headers["access-control-allow-origin"] == "*"
    gzipped = client.get("/iiif/discovery/page-0", headers={"Accept-Encoding": "gzip"})
    assert gzipped.headers["content-encoding"] == "gzip" and gzipped.json()["startIndex"] == 0


def test_the_top_collection_says_where_the_changes_are(client: TestClient) -> None:
    top = client.get("/iiif/collection/top").json()
    assert {"id": f"{BASE}/iiif/discovery/all-changes", "type": "Dataset"}.items() <= top["seeAlso"][0].items()
    assert client.get(top["seeAlso"][0]["id"].removeprefix(BASE)).json()["type"] == "OrderedCollection"


def test_a_catalog_from_the_release_before_starts_its_stream_with_what_is_public(catalog_url: str) -> None:
    db = Database(catalog_url)
    try:
        for migration in MIGRATIONS[:7]:
            db.script(migration.statements(db.dialect))
        db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, description TEXT"
            " NOT NULL, applied TEXT NOT NULL)"
        )
        for m in MIGRATIONS[:7]:
            db.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?)", (m.version, m.description, "2026-01-01T00:00:00Z")
            )
        day = "2026-01-01T00:00:00Z"
        db.execute("INSERT INTO collections VALUES ('letters', 'Letters', '', '', ?, ?)", (day, day))
        rows = [
            ("late", "public", None, "active", "2026-03-01T00:00:00Z"),
            ("early", "public", None, "active", "2026-02-01T00:00:00Z"),
            ("ended", "embargoed", "2026-02-15", "active", "2026-01-05T00:00:00Z"),
            ("waiting", "embargoed", "2999-01-01", "active", "2026-01-06T00:00:00Z"),
            ("hidden", "restricted", None, "active", "2026-01-07T00:00:00Z"),
            ("gone", "public", None, "withdrawn", "2026-01-08T00:00:00Z"),
        ]
        for item_id, visibility, embargo, status, datestamp in rows:
            db.execute(
                "INSERT INTO items (id, collection, content_key, title, visibility, embargo_until, status,"
                " page_count, created, datestamp) VALUES (?, 'letters', ?, ?, ?, ?, ?, 1, ?, ?)",
                (item_id, item_id, item_id, visibility, embargo, status, datestamp, datestamp),
            )
    finally:
        db.close()
    catalog = Catalog.open(catalog_url)
    try:
        assert stream(catalog) == [
            ("Create", "Collection", "letters"),
            ("Create", "Manifest", "early"),
            ("Create", "Manifest", "ended"),  # dated at its embargo's end, as OAI-PMH dates it
            ("Create", "Manifest", "late"),
        ]
        times = [a.end_time for a in changes.activities(catalog.db, 1, 4)]
        assert times == ["2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", "2026-02-15T00:00:00Z", "2026-03-01T00:00:00Z"]
        catalog.set_status("early", visibility="restricted")  # it goes on from there
        assert stream(catalog)[-1] == ("Delete", "Manifest", "early") and changes.total(catalog.db) == 5
    finally:
        catalog.close()


def test_rebuild_catalog_announces_only_what_differs_and_a_new_catalog_gets_every_public_item(
    tmp_path: Path,
) -> None:
    services = make_services(tmp_path, FilesystemStorage(tmp_path / "preservation"), None)
    p = Preservation(services)
    try:
        kept = ingest_pages(services, tmp_path, pages=1, name="kept", seed=1)
        gone = ingest_pages(services, tmp_path, pages=1, name="gone", seed=2)
        withdraw(p, gone, "duplicate", USER)
        before = stream(services.catalog)
        # An item the catalog says is public but storage no longer holds: rebuild deletes it.
        samples.add(services.catalog, samples.item("phantom"))
        assert rebuild_catalog(p).problems == []
        assert stream(services.catalog) == [
            *before,
            ("Create", "Manifest", "phantom"),
            ("Delete", "Manifest", "phantom"),
        ]

        services.catalog.close()
        services.catalog = Catalog.open(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
        p.close()
        p = Preservation(services)
        rebuild_catalog(p)
        assert stream(services.catalog) == [("Create", "Collection", "letters"), ("Create", "Manifest", kept)]
    finally:
        p.close()
        services.close()


def test_writers_in_many_threads_number_the_stream_without_gaps_in_commit_order(services: Services) -> None:
    catalog = services.catalog
    samples.add(catalog, samples.item("seed"))
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for k in range(5):
                samples.add(catalog, samples.item(f"t{n}-{k}"))
                catalog.set_status(f"t{n}-{k}", visibility="restricted")
        except BaseException as exc:  # reported below: a thread's failure must fail the test
            errors.append(exc)

    def read() -> None:
        # A reader never finds a number taken before the activities below it are there: what a
        # harvester read of a page is never joined later by an activity that committed late.
        while any(t.is_alive() for t in writers):
            total = changes.total(catalog.db)
            if [a.seq for a in changes.activities(catalog.db, 1, total)] != list(range(1, total + 1)):
                errors.append(AssertionError(f"a gap below {total}"))
                return

    writers = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    threads = [*writers, threading.Thread(target=read)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    listed = changes.activities(catalog.db, 1, 10**9)
    assert [a.seq for a in listed] == list(range(1, 2 + 40 + 1))  # collection, seed, 20 x (Create, Delete)
    assert [a.end_time for a in listed] == sorted(a.end_time for a in listed)
    for n in range(4):
        for k in range(5):
            mine = [a.type for a in listed if a.object_key == f"t{n}-{k}"]
            assert mine == ["Create", "Delete"]


def test_only_changes_the_public_can_see_are_announced(services: Services) -> None:
    catalog = services.catalog
    samples.add(catalog, samples.item("a"))
    catalog.set_version("a", 2)  # a new version (OCR text, say) of a public item
    catalog.set_status("a", visibility="embargoed", embargo_until="2001-01-01")  # ended already: still public
    catalog.set_status("a", visibility="restricted")
    catalog.set_version("a", 3)  # nobody outside sees it
    catalog.set_status("a", visibility="restricted")
    catalog.set_status("a", status="withdrawn", reason="duplicate")
    catalog.purge_item("a", "deposited in error", "2026-01-01T00:00:00Z", [])
    assert stream(catalog) == [
        ("Create", "Collection", "letters"),
        ("Create", "Manifest", "a"),
        ("Update", "Manifest", "a"),
        ("Delete", "Manifest", "a"),
    ]
