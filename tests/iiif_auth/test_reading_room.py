"""The kiosk and external access services: a reading room's addresses (behind a trusted proxy's
X-Forwarded-For) and a trusted proxy's header see restricted images without signing in; no one
else does, whatever headers they send."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from app.web import create_app
from tests.iiif_auth.conftest import BASE, Library

PROXY = "127.0.0.9"
ROOM = "10.1.2.7"


@pytest.fixture(scope="module")
def reading_room(library: Library) -> Iterator[object]:
    settings = dataclasses.replace(
        library.services.settings,
        trusted_proxies=(PROXY,),
        iiif_auth_kiosk_ranges=("10.1.2.0/24",),
        iiif_auth_external_header="X-Remote-User",
    )
    yield create_app(settings, dataclasses.replace(library.services, settings=settings))


def client(app: object, address: str) -> TestClient:
    return TestClient(app, base_url=BASE, client=(address, 40000))  # type: ignore[arg-type]


def test_the_reading_room_sees_restricted_images_and_no_one_else(library: Library, reading_room: object) -> None:
    info = f"/iiif/3/{library.restricted}~1/info.json"
    probe = f"/iiif/auth/2/probe/{library.restricted}~1"
    inside = client(reading_room, ROOM)
    assert inside.get(info).status_code == 200
    assert inside.get(probe).json()["status"] == 200
    assert "window.close()" in inside.get("/iiif/auth/kiosk", params={"origin": BASE}).text
    outside = client(reading_room, "10.9.9.9")
    assert outside.get(info).status_code == 401
    assert outside.get("/iiif/auth/kiosk", params={"origin": BASE}).status_code == 403
    # Through the trusted proxy, the address it names counts; anyone else's X-Forwarded-For does not.
    assert client(reading_room, PROXY).get(info, headers={"X-Forwarded-For": f"1.2.3.4, {ROOM}"}).status_code == 200
    assert outside.get(info, headers={"X-Forwarded-For": ROOM}).status_code == 401
    # The kiosk service is declared beside the active one; a kiosk token works in the room only.
    services = outside.get(info).json()["service"][1]["service"]
    assert [(s["profile"], "id" in s) for s in services] == [("active", True), ("kiosk", True), ("external", False)]
    page = inside.get("/iiif/auth/2/token", params={"messageId": "k", "origin": BASE}).text
    assert '"type": "AuthAccessToken2"' in page


def test_a_trusted_proxy_names_the_reader(library: Library, reading_room: object) -> None:
    info = f"/iiif/3/{library.restricted}~1/info.json"
    assert client(reading_room, PROXY).get(info, headers={"X-Remote-User": "jo"}).status_code == 200
    assert client(reading_room, "10.9.9.9").get(info, headers={"X-Remote-User": "jo"}).status_code == 401
