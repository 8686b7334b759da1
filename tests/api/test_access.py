"""Restricted and embargoed items: absent from pages, search, collection manifests and OAI-PMH;
their manifest, pages and images answer 401 without a reader token and are served with one (and
never from a cache to someone without it); an embargo lifts by the clock alone."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from repo.auth import Role
from repo.catalog import format_datestamp
from tests.api.helpers import Repository, ingest_item

API = "/api/v1"
OAI_PREFIX = "oai:muniment.example.org:"


@pytest.fixture
def three(repo: Repository, tmp_path: Path) -> Repository:
    for identifier in ("P-1", "R-1", "E-1"):
        ingest_item(repo.services, tmp_path / "scans", identifier)
    curator = repo.auth(Role.CURATOR)
    assert (
        repo.client.put(f"{API}/items/R-1/visibility", json={"visibility": "restricted"}, headers=curator).status_code
        == 200
    )
    assert (
        repo.client.put(
            f"{API}/items/E-1/visibility",
            json={"visibility": "embargoed", "embargo_until": "2999-01-01"},
            headers=curator,
        ).status_code
        == 200
    )
    return repo


def oai_ids(repo: Repository, **args: str) -> list[str]:
    text = repo.client.get("/oai", params={"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", **args}).text
    return [part.split("<")[0].removeprefix(OAI_PREFIX) for part in text.split("<identifier>")[1:]]


def test_hidden_items_are_absent_from_every_listing(three: Repository) -> None:
    client = three.client
    assert oai_ids(three) == ["P-1"]
    assert (
        "idDoesNotExist"
        in client.get(
            "/oai", params={"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": OAI_PREFIX + "R-1"}
        ).text
    )
    members = client.get("/iiif/collection/letters").json()["items"]
    assert [m["id"].rsplit("/", 2)[-2] for m in members] == ["P-1"]
    search = client.get("/search", params={"q": "Letter"}).text
    collection_page = client.get("/collections/letters").text
    for page in (search, collection_page):
        assert "/items/P-1" in page and "/items/R-1" not in page and "/items/E-1" not in page
    assert [i["id"] for i in client.get(f"{API}/items").json()["items"]] == ["P-1"]


@pytest.mark.parametrize("item", ["R-1", "E-1"])
def test_hidden_items_need_a_reader_token(three: Repository, item: str) -> None:
    client, reader = three.client, three.auth(Role.READER)
    # A restricted item's record (manifest, page) is everyone's; its images are not (iiif/auth).
    records = (f"/iiif/{item}/manifest", f"/items/{item}")
    for url in records if item == "R-1" else ():
        assert client.get(url).status_code == 200, url
    for url in (
        *(records if item == "E-1" else ()),
        f"/iiif/3/{item}~1/info.json",
        f"/iiif/3/{item}~1/full/max/0/default.jpg",
        f"{API}/items/{item}",
    ):
        assert client.get(url).status_code == 401, url
        assert client.get(url, headers={"Authorization": "Bearer not-a-token"}).status_code == 401, url
        assert client.get(url, headers=reader).status_code == 200, url
    info = client.get(f"/iiif/3/{item}~1/info.json", headers=reader)
    assert info.headers["cache-control"] == "private, no-cache"
    manifest = client.get(f"/iiif/{item}/manifest", headers=reader)
    caching = "private, no-cache" if item == "E-1" else "public, no-cache"  # the same for everyone
    assert manifest.headers["cache-control"] == caching
    revalidated = client.get(f"/iiif/{item}/manifest", headers={**reader, "If-None-Match": manifest.headers["etag"]})
    assert revalidated.status_code == 304 and revalidated.headers["cache-control"] == caching
    page = client.get(f"/items/{item}", headers=reader)
    assert page.headers["cache-control"] == "private, no-cache"
    for url in ("/iiif/3/P-1~1/info.json", "/iiif/P-1/manifest"):
        public = client.get(url)
        assert public.status_code == 200 and public.headers["cache-control"].startswith("public"), url


def test_an_authorized_image_is_never_served_from_a_cache_to_anyone_else(three: Repository) -> None:
    client, reader = three.client, three.auth(Role.READER)
    tile = "/iiif/3/R-1~1/0,0,32,32/32,/0/default.jpg"
    for _ in range(3):  # every cache warm: resolver answers, encoded images, remembered requests
        assert client.get(tile, headers=reader).status_code == 200
        assert client.get("/iiif/3/R-1~1/info.json", headers=reader).status_code == 200
        assert client.get(tile).status_code == 401
        assert client.get("/iiif/3/R-1~1/info.json").status_code == 401
        assert client.get(tile, headers={"Authorization": "Bearer mnt_000000000000_" + "x" * 43}).status_code == 401


def test_withdrawn_and_purged_are_gone_for_everyone(three: Repository) -> None:
    client = three.client
    assert (
        client.post(f"{API}/items/R-1/withdraw", json={"reason": "rights"}, headers=three.auth(Role.ADMIN)).status_code
        == 200
    )
    for headers in ({}, three.auth(Role.READER)):
        for url in ("/iiif/R-1/manifest", "/items/R-1", "/iiif/3/R-1~1/info.json"):
            assert client.get(url, headers=headers).status_code == 410, url
    three.services.catalog.db.execute("UPDATE items SET status = 'purged' WHERE id = 'R-1'")
    assert client.get("/iiif/R-1/manifest", headers=three.auth(Role.READER)).status_code == 410


def test_an_embargo_lifts_by_the_clock_with_no_job(three: Repository) -> None:
    client = three.client
    until = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
    answer = client.put(
        f"{API}/items/E-1/visibility",
        json={"visibility": "embargoed", "embargo_until": format_datestamp(until)},
        headers=three.auth(Role.CURATOR),
    )
    assert answer.status_code == 200 and answer.json()["public"] is False
    changed = answer.json()["datestamp"]
    time.sleep(1.1)
    harvested = format_datestamp(datetime.now(UTC))  # a harvester's last visit: after the change, before the end
    assert harvested > changed
    assert client.get("/iiif/E-1/manifest").status_code == 401
    assert oai_ids(three, **{"from": harvested}) == []
    time.sleep(max(0.0, (until - datetime.now(UTC)).total_seconds()) + 1.1)
    assert client.get("/iiif/E-1/manifest").status_code == 200
    assert client.get("/items/E-1").status_code == 200
    assert client.get("/iiif/3/E-1~1/info.json").status_code == 200
    assert "/items/E-1" in client.get("/search", params={"q": "Letter"}).text
    # The catalog datestamp is still the visibility change's; harvesters see the embargo's end.
    assert three.services.catalog.require_item("E-1").datestamp == changed
    assert oai_ids(three, **{"from": harvested}) == ["E-1"]
    record = client.get(
        "/oai", params={"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": OAI_PREFIX + "E-1"}
    ).text
    assert f"<datestamp>{format_datestamp(until)}</datestamp>" in record


@pytest.mark.parametrize("item", ["R-1", "E-1"])
def test_every_answer_about_a_hidden_item_is_private(three: Repository, item: str) -> None:
    client, reader = three.client, three.auth(Role.READER)
    for path in ("mods.xml", "dc.xml", "thumbnail", "download"):
        url = f"/items/{item}/{path}"
        assert client.get(url, follow_redirects=False).status_code == 401, url
        answer = client.get(url, headers=reader, follow_redirects=False)
        assert answer.status_code in (200, 303, 307), url
        assert answer.headers["cache-control"] == "private, no-cache", url
    for url in (f"{API}/items/{item}", f"{API}/items"):
        answer = client.get(url, headers=reader)
        assert answer.status_code == 200 and answer.headers["cache-control"] == "private, no-cache", url
    for path in ("mods.xml", "dc.xml"):
        public = client.get(f"/items/P-1/{path}")
        assert public.status_code == 200 and "private" not in public.headers.get("cache-control", ""), path
