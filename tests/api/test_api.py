"""The admin API end to end: collections, items, metadata versions, visibility, withdrawal, reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from repo.auth import Role
from tests.api.helpers import Repository, ingest_item

API = "/api/v1"


@pytest.fixture
def database_url(catalog_url: str) -> str:
    return catalog_url  # these tests run on SQLite and on PostgreSQL


def test_collections_are_created_listed_and_updated(repo: Repository) -> None:
    client, curator = repo.client, repo.auth(Role.CURATOR)
    created = client.post(f"{API}/collections", json={"slug": "maps", "title": "Maps"}, headers=curator)
    assert created.status_code == 201 and created.headers["location"] == f"{API}/collections/maps"
    assert created.json()["title"] == "Maps"
    again = client.post(f"{API}/collections", json={"slug": "maps", "title": "Other"}, headers=curator)
    assert again.status_code == 409 and "already exists" in again.json()["error"]["message"]
    changed = client.patch(f"{API}/collections/maps", json={"description": "Old maps"}, headers=curator)
    assert changed.status_code == 200 and changed.json()["description"] == "Old maps"
    assert changed.json()["title"] == "Maps"
    listed = client.get(f"{API}/collections").json()["collections"]  # a public read: no token
    assert [c["slug"] for c in listed] == ["maps"]
    assert client.get(f"{API}/collections/maps").json()["description"] == "Old maps"
    assert client.get(f"{API}/collections/nope").status_code == 404
    assert client.patch(f"{API}/collections/nope", json={}, headers=curator).status_code == 404
    # Two curators change it from the same reading: the later is refused, then changes what is stored.
    read = client.get(f"{API}/collections/maps").headers["ETag"]
    first = client.patch(f"{API}/collections/maps", json={"title": "Maps A"}, headers={**curator, "If-Match": read})
    assert first.status_code == 200 and first.headers["ETag"] != read
    later = client.patch(f"{API}/collections/maps", json={"title": "Maps B"}, headers={**curator, "If-Match": read})
    assert later.status_code == 409 and "saved by someone else" in later.json()["error"]["message"]
    assert client.get(f"{API}/collections/maps").json()["title"] == "Maps A"
    current = {**curator, "If-Match": first.headers["ETag"]}
    assert client.patch(f"{API}/collections/maps", json={"title": "Maps B"}, headers=current).status_code == 200
    bad = client.patch(f"{API}/collections/maps", json={}, headers={**curator, "If-Match": "v3"})
    assert bad.status_code == 400 and "If-Match" in bad.json()["error"]["message"]
    client.patch(f"{API}/collections/maps", json={"title": "Maps"}, headers=curator)
    for slug, reason in (("top", "is reserved"), ("Top Maps", "should match pattern")):
        refused = client.post(f"{API}/collections", json={"slug": slug, "title": "T"}, headers=curator)
        assert refused.status_code == 422, slug
        assert reason in refused.text, refused.text


def test_items_are_read_edited_hidden_and_withdrawn(repo: Repository, tmp_path: Path) -> None:
    client = repo.client
    item_id = ingest_item(repo.services, tmp_path / "scans", "MS-1", pages=2)
    anonymous = client.get(f"{API}/items/{item_id}")
    assert anonymous.status_code == 200
    body = anonymous.json()
    assert body["page_count"] == 2 and [p["seq"] for p in body["pages"]] == [1, 2]
    assert body["dc"]["title"] == ["Letter MS-1"] and body["public"] is True
    assert body["manifest"] == f"http://testserver/iiif/{item_id}/manifest"

    edited = client.put(
        f"{API}/items/{item_id}/metadata",
        json={"dc": {"title": ["A new title"], "date": ["1850"]}},
        headers=repo.auth(Role.CURATOR),
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["version"] == 2 and "title" in edited.json()["changed"]
    assert client.get(f"{API}/items/{item_id}").json()["title"] == "A new title"

    hidden = client.put(
        f"{API}/items/{item_id}/visibility", json={"visibility": "restricted"}, headers=repo.auth(Role.CURATOR)
    )
    assert hidden.status_code == 200 and hidden.json()["public"] is False
    assert client.get(f"{API}/items/{item_id}").status_code == 401
    assert client.get(f"{API}/items").json()["total"] == 0
    assert client.get(f"{API}/items/{item_id}", headers=repo.auth(Role.READER)).status_code == 200
    assert client.get(f"{API}/items", headers=repo.auth(Role.READER)).json()["total"] == 1

    embargoed = client.put(
        f"{API}/items/{item_id}/visibility",
        json={"visibility": "embargoed", "embargo_until": "2999-01-01"},
        headers=repo.auth(Role.CURATOR),
    )
    assert embargoed.json()["embargo_until"] == "2999-01-01T00:00:00Z" and embargoed.json()["public"] is False
    lifted = client.put(
        f"{API}/items/{item_id}/visibility",
        json={"visibility": "embargoed", "embargo_until": "2001-01-01T00:00:00Z"},
        headers=repo.auth(Role.CURATOR),
    )
    assert lifted.json()["public"] is True

    refused = client.post(
        f"{API}/items/{item_id}/withdraw", json={"reason": "duplicate"}, headers=repo.auth(Role.CURATOR)
    )
    assert refused.status_code == 403
    withdrawn = client.post(
        f"{API}/items/{item_id}/withdraw", json={"reason": "duplicate"}, headers=repo.auth(Role.ADMIN)
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert client.get(f"{API}/items/{item_id}").status_code == 410
    again = client.post(f"{API}/items/{item_id}/withdraw", json={"reason": "x"}, headers=repo.auth(Role.ADMIN))
    assert again.status_code == 409 and "already withdrawn" in again.json()["error"]["message"]
    visibility = client.put(
        f"{API}/items/{item_id}/visibility", json={"visibility": "public"}, headers=repo.auth(Role.CURATOR)
    )
    assert visibility.status_code == 409


def test_every_write_is_in_the_audit_log(repo: Repository, tmp_path: Path) -> None:
    client = repo.client
    client.post(f"{API}/collections", json={"slug": "maps", "title": "Maps"}, headers=repo.auth(Role.CURATOR))
    client.post(f"{API}/collections", json={"slug": "maps", "title": "Maps"}, headers=repo.auth(Role.CURATOR))
    client.post(f"{API}/collections", json={"slug": "x", "title": "X"}, headers=repo.auth(Role.READER))
    client.post(f"{API}/collections", json={"slug": "y", "title": "Y"})  # nobody to name: not logged
    log = client.get(f"{API}/audit", headers=repo.auth(Role.ADMIN))
    assert log.status_code == 200
    entries = log.json()["entries"]
    assert [(e["actor"], e["outcome"], e["target"]) for e in entries] == [
        ("reader-token", 403, ""),
        ("curator-token", 409, "maps"),
        ("curator-token", 201, "maps"),
    ]
    first = entries[-1]
    assert first["action"] == "POST /api/v1/collections" and first["role"] == "curator"
    assert first["remote"] == "testclient" and first["at"].endswith("Z")
    page = client.get(f"{API}/audit", params={"limit": 2}, headers=repo.auth(Role.ADMIN)).json()
    older = client.get(f"{API}/audit", params={"before": page["next_before"]}, headers=repo.auth(Role.ADMIN)).json()
    assert [e["id"] for e in page["entries"] + older["entries"]] == [e["id"] for e in entries]
    assert client.get(f"{API}/audit", headers=repo.auth(Role.CURATOR)).status_code == 403


def test_fixity_report_reads_what_the_audit_recorded(repo: Repository, tmp_path: Path) -> None:
    ingest_item(repo.services, tmp_path / "scans", "MS-2")
    report = repo.client.get(f"{API}/fixity", headers=repo.auth(Role.CURATOR))
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["files"] >= 1 and body["never_checked"] == body["files"] and body["failed"] == []
    assert body["never_checked_first"][0]["copy"] == "preservation"
