"""IIIF Change Discovery 1.0 as a harvester reads it: real ingests, edits, withdrawals, embargoes
and purges, then the stream from its first page to its last, and again from where it stopped."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from app.web.app import create_app
from repo.audit import Preservation
from repo.catalog import format_datestamp, utc_now
from repo.lifecycle import edit_metadata, purge, withdraw
from repo.lifecycle.collections import update_collection
from repo.lifecycle.visibility import set_visibility
from repo.metadata.loader import load_record
from repo.oai.queries import disseminated_item
from repo.services import Services
from storage import FilesystemStorage
from tests.audit.conftest import ingest_pages, make_services
from tests.lifecycle.conftest import USER, mods_file

BASE = "https://repo.example.org"
CONTEXT = "http://iiif.io/api/discovery/1/context.json"
JSON_LD = f'application/ld+json;profile="{CONTEXT}"'
PAGE_SIZE = 3
DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")


@pytest.fixture
def services(tmp_path: Path, catalog_url: str) -> Iterator[Services]:
    opened = make_services(
        tmp_path,
        FilesystemStorage(tmp_path / "preservation"),
        None,
        database_url=catalog_url,
        base_url=BASE,
        iiif_discovery_page_size=PAGE_SIZE,
    )
    yield opened
    opened.close()


class Harvester:
    """What the specification says a client does, through the real application: dereference ids,
    follow ``last``/``prev`` and ``next``, keep its place (a page number and how much of it it read)."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.page_url = ""
        self.seen_on_page = 0

    def get(self, url: str) -> dict[str, Any]:
        assert url.startswith(BASE + "/iiif/discovery/"), url
        response = self.client.get(url.removeprefix(BASE))
        assert response.status_code == 200, (url, response.text)
        assert response.headers["content-type"] == JSON_LD
        assert response.headers["access-control-allow-origin"] == "*"
        document: dict[str, Any] = response.json()
        assert next(iter(document)) == "@context" and document["@context"] == CONTEXT
        assert document.get("id") == url  # every id dereferences to itself
        return document

    def from_first(self) -> list[tuple[str, str, str]]:
        collection = self.get(BASE + "/iiif/discovery/all-changes")
        assert collection["type"] == "OrderedCollection"
        page_url, pages, items = collection["first"]["id"], [], []
        while True:
            page = self.read_page(page_url, collection)
            pages.append(page)
            items += page["orderedItems"]
            if "next" not in page:
                break
            page_url = page["next"]["id"]
        assert page_url == collection["last"]["id"]
        # The chain backwards is the same pages, as a client walking from ``last`` would find them.
        backwards = [page_url]
        while "prev" in (page := self.get(backwards[-1])):
            backwards.append(page["prev"]["id"])
        assert backwards == [p["id"] for p in reversed(pages)]
        assert collection["totalItems"] == len(items)
        self.page_url, self.seen_on_page = pages[-1]["id"], len(pages[-1]["orderedItems"])
        return self.check(items)

    def resume(self) -> list[tuple[str, str, str]]:
        """Only what is new since the last read: the rest of its last page, then the pages after."""
        collection = self.get(BASE + "/iiif/discovery/all-changes")
        page = self.read_page(self.page_url, collection)
        items = page["orderedItems"][self.seen_on_page :]
        while "next" in page:
            page = self.read_page(page["next"]["id"], collection)
            items += page["orderedItems"]
        self.page_url, self.seen_on_page = page["id"], len(page["orderedItems"])
        return self.check(items)

    def read_page(self, url: str, collection: dict[str, Any]) -> dict[str, Any]:
        page = self.get(url)
        number = int(url.rsplit("-", 1)[1])
        assert page["type"] == "OrderedCollectionPage"
        assert page["partOf"] == {"id": collection["id"], "type": "OrderedCollection"}
        assert page["startIndex"] == number * PAGE_SIZE
        assert ("prev" in page) == (number > 0)
        assert 1 <= len(page["orderedItems"]) <= PAGE_SIZE
        if "next" in page:
            assert len(page["orderedItems"]) == PAGE_SIZE  # only the last page may be short
        for link in ("prev", "next"):
            if link in page:
                assert page[link]["type"] == "OrderedCollectionPage"
        return page

    def check(self, items: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
        times = [a["endTime"] for a in items]
        assert times == sorted(times) and all(DATETIME.fullmatch(t) for t in times)
        for activity in items:
            assert set(activity) == {"id", "type", "object", "endTime"}
            assert set(activity["object"]) == {"id", "type"}
            alone = self.get(activity["id"])
            assert alone == {"@context": CONTEXT, **activity}
        return [(a["type"], a["object"]["type"], a["object"]["id"].removeprefix(BASE)) for a in items]


def manifest(item_id: str) -> tuple[str, str]:
    return "Manifest", f"/iiif/{item_id}/manifest"


def test_a_harvester_reads_every_public_change_in_order_and_then_only_what_is_new(
    services: Services, tmp_path: Path
) -> None:
    p = Preservation(services)
    app = create_app(services.settings, services)
    with TestClient(app) as client:
        harvester = Harvester(client)
        edited = ingest_pages(services, tmp_path, pages=1, name="edited", seed=1)
        withdrawn = ingest_pages(services, tmp_path, pages=1, name="withdrawn", seed=2)
        edit_metadata(p, edited, load_record(mods_file(tmp_path / "e", "A new title")), USER)
        withdraw(p, withdrawn, "duplicate", USER)
        expiring = ingest_pages(services, tmp_path, pages=1, name="expiring", seed=3)
        ends = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
        set_visibility(services, expiring, "embargoed", format_datestamp(ends))
        restricted = ingest_pages(services, tmp_path, pages=1, name="restricted", seed=4)
        set_visibility(services, restricted, "restricted", None)
        # Edits nobody outside may see are not announced; its release is, as a Create.
        edit_metadata(p, restricted, load_record(mods_file(tmp_path / "r", "Unseen title")), USER)
        set_visibility(services, restricted, "public", None)
        lifted = ingest_pages(services, tmp_path, pages=1, name="lifted", seed=5)
        set_visibility(services, lifted, "embargoed", "2999-01-01")
        set_visibility(services, lifted, "public", None)

        assert harvester.from_first() == [
            ("Create", "Collection", "/iiif/collection/letters"),
            ("Create", *manifest(edited)),
            ("Create", *manifest(withdrawn)),
            ("Update", *manifest(edited)),
            ("Delete", *manifest(withdrawn)),
            ("Create", *manifest(expiring)),
            ("Delete", *manifest(expiring)),  # embargoed: not live until it ends
            ("Create", *manifest(restricted)),
            ("Delete", *manifest(restricted)),
            ("Create", *manifest(restricted)),
            ("Create", *manifest(lifted)),
            ("Delete", *manifest(lifted)),
            ("Create", *manifest(lifted)),
        ]
        assert harvester.resume() == []

        time.sleep(max(0.0, (ends - datetime.now(UTC)).total_seconds()) + 1.1)
        # No write happened at the embargo's end: the read finds it due.
        assert harvester.resume() == [("Create", *manifest(expiring))]
        purge(p, edited, "deposited in error", USER)
        update_collection(services, "letters", title="Letters of Ada")
        new = harvester.resume()
        assert new == [("Delete", *manifest(edited)), ("Update", "Collection", "/iiif/collection/letters")]

        # Dated as OAI-PMH dates it: the end of the embargo, not when it was noticed.
        page = harvester.get(f"{BASE}/iiif/discovery/page-4")["orderedItems"]  # activities 13 to 15
        ended = page[1]
        assert (ended["type"], ended["object"]["id"]) == ("Create", BASE + manifest(expiring)[1])
        assert ended["endTime"] == format_datestamp(ends) and ended["id"] == f"{BASE}/iiif/discovery/activity/14"
        record = disseminated_item(services.catalog.db, expiring, utc_now())
        assert record is not None and record.datestamp == ended["endTime"]

        # What a Create names is there for anyone; what a Delete names is not.
        assert client.get(manifest(expiring)[1]).status_code == 200
        assert [client.get(manifest(i)[1]).status_code for i in (edited, withdrawn)] == [410, 410]
    p.close()
