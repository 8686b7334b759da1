"""The Authorization Flow over HTTP, in process: what an anonymous reader, a signed-in one and a
token holder get of a restricted and a tiered item; tokens bound to their origin, session and time."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable

from iiif.image import ImageServerConfig
from repo.auth import Role, TokenStore
from repo.auth.readers import Aspects, Readers
from repo.catalog.reader_access import find_token
from tests.iiif_auth.conftest import BASE, Library
from tests.presentation.schema_check import assert_valid

OTHER = "http://127.0.0.1:9"
_MESSAGE = re.compile(r"postMessage\((.*), (\"[^\"]*\")\);")


def soon(check: Callable[[], bool], seconds: float | None = None) -> bool:
    """Whether ``check`` holds within the image server's reuse of anyone's answers (resolve_ttl)."""
    deadline = time.monotonic() + (seconds or ImageServerConfig.resolve_ttl + 2)
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.25)
    return True


def posted(html: str) -> tuple[dict[str, object], str]:
    found = _MESSAGE.search(html)
    assert found, html
    return json.loads(found.group(1)), json.loads(found.group(2))


def test_a_restricted_image_refuses_anyone_but_says_how_to_sign_in(library: Library) -> None:
    client = library.client()
    info = client.get(f"/iiif/3/{library.restricted}~1/info.json")
    assert info.status_code == 401
    services = info.json()["service"]
    assert [s.get("type") or s["profile"] for s in services] == ["http://iiif.io/api/auth/1/login", "AuthProbeService2"]
    probe = services[1]
    assert probe["id"] == f"{BASE}/iiif/auth/2/probe/{library.restricted}~1"
    access = probe["service"][0]
    assert (access["type"], access["profile"], access["id"]) == (
        "AuthAccessService2",
        "active",
        f"{BASE}/iiif/auth/access",
    )
    assert [s["type"] for s in access["service"]] == ["AuthAccessTokenService2", "AuthLogoutService2"]
    assert info.json()["@context"][0] == "http://iiif.io/api/auth/2/context.json"
    assert client.get(f"/iiif/3/{library.restricted}~1/0,0,100,100/100,/0/default.jpg").status_code == 401
    result = client.get(probe["id"]).json()
    assert result["type"] == "AuthProbeResult2" and result["status"] == 401 and result["heading"]["en"]
    assert "substitute" not in result
    assert client.get(f"/iiif/auth/2/probe/{library.restricted}~9").json()["status"] == 404
    assert client.get("/iiif/auth/2/probe/nothing-here~1").json()["status"] == 404
    # A public image declares nothing and is refused to no one.
    public = client.get(f"/iiif/3/{library.public}~1/info.json")
    assert public.status_code == 200 and "service" not in public.json()


def test_the_manifest_is_the_same_for_everyone_and_publicly_cacheable(library: Library) -> None:
    anonymous = library.client().get(f"/iiif/{library.restricted}/manifest")
    reader = library.client()
    library.sign_in(reader)
    signed_in = reader.get(f"/iiif/{library.restricted}/manifest")
    assert anonymous.status_code == signed_in.status_code == 200
    assert anonymous.content == signed_in.content and anonymous.headers["etag"] == signed_in.headers["etag"]
    assert "private" not in anonymous.headers["cache-control"]
    manifest = anonymous.json()
    assert_valid(manifest)  # the Presentation 3.0 schema, services and all
    assert manifest["@context"][0] == "http://iiif.io/api/auth/2/context.json"
    body = manifest["items"][0]["items"][0]["items"][0]["body"]
    image_service = body["service"][0]
    assert [s.get("type") or s["profile"] for s in image_service["service"]] == [
        "http://iiif.io/api/auth/1/login",
        "AuthProbeService2",
    ]
    public = library.client().get(f"/iiif/{library.public}/manifest").json()
    assert "auth" not in json.dumps(public)


def test_a_signed_in_reader_sees_the_images_by_cookie_and_signing_out_refuses_them_at_once(library: Library) -> None:
    client = library.client()
    library.sign_in(client)
    tile = f"/iiif/3/{library.restricted}~1/0,0,100,100/100,/0/default.jpg"
    assert client.get(f"/iiif/3/{library.restricted}~1/info.json").status_code == 200
    answer = client.get(tile)
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/jpeg"
    assert answer.headers["cache-control"].startswith("private")
    assert client.get(f"/iiif/auth/2/probe/{library.restricted}~1").json()["status"] == 200
    # The access window, opened again, sees the session and closes itself.
    again = client.get("/iiif/auth/access", params={"origin": BASE})
    assert "signed in as reader" in again.text and "window.close()" in again.text
    out = client.get("/iiif/auth/logout")
    assert out.status_code == 200 and "signed out" in out.text
    assert client.get(tile).status_code == 401
    assert client.get(f"/iiif/auth/2/probe/{library.restricted}~1").json()["status"] == 401


def test_a_wrong_password_is_refused_and_recorded(library: Library) -> None:
    client = library.client()
    form = client.get("/iiif/auth/access", params={"origin": BASE})
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf
    answer = client.post("/iiif/auth/access", data={"csrf_token": csrf.group(1), "name": "reader", "password": "wrong"})
    assert answer.status_code == 401 and "wrong" in answer.text
    forged = client.post("/iiif/auth/access", data={"csrf_token": "forged", "name": "reader", "password": "x"})
    assert forged.status_code == 403


def test_tokens_go_only_to_the_origin_that_asked_and_work_only_from_it(library: Library) -> None:
    client = library.client()
    anonymous, target = posted(client.get("/iiif/auth/2/token", params={"messageId": "a1", "origin": OTHER}).text)
    assert target == OTHER
    assert anonymous["type"] == "AuthAccessTokenError2" and anonymous["profile"] == "missingAspect"
    assert anonymous["messageId"] == "a1" and anonymous["@context"] == "http://iiif.io/api/auth/2/context.json"
    library.sign_in(client)
    page = client.get("/iiif/auth/2/token", params={"messageId": "m-7", "origin": OTHER + "/"})
    assert page.headers["cache-control"] == "no-store"
    message, target = posted(page.text)
    assert target == OTHER and "'*'" not in page.text and '"*"' not in page.text
    assert set(message) == {"@context", "type", "accessToken", "expiresIn", "messageId"}
    assert message["type"] == "AuthAccessToken2" and message["messageId"] == "m-7"
    assert message["expiresIn"] == library.services.settings.iiif_auth_token_seconds
    token = str(message["accessToken"])
    bare = library.client()  # no cookie: the token alone
    probe = f"/iiif/auth/2/probe/{library.restricted}~1"
    assert bare.get(probe, headers={"Authorization": f"Bearer {token}", "Origin": OTHER}).json()["status"] == 200
    elsewhere = bare.get(probe, headers={"Authorization": f"Bearer {token}", "Origin": "http://127.0.0.1:8"})
    assert elsewhere.json()["status"] == 401
    info = f"/iiif/3/{library.restricted}~1/info.json"
    assert bare.get(info, headers={"Authorization": f"Bearer {token}", "Origin": OTHER}).status_code == 200
    assert bare.get(info, headers={"Authorization": f"Bearer {token}"}).status_code == 401  # from this site itself
    # No usable origin: the page posts nothing at all.
    nowhere = client.get("/iiif/auth/2/token", params={"messageId": "m", "origin": "javascript:alert(1)"})
    assert "postMessage" not in nowhere.text
    # Signing out ends the session's tokens at once.
    client.get("/iiif/auth/logout")
    assert bare.get(probe, headers={"Authorization": f"Bearer {token}", "Origin": OTHER}).json()["status"] == 401


def test_an_expired_token_is_refused(library: Library) -> None:
    client = library.client()
    library.sign_in(client)
    cookie = client.cookies.get("muniment_staff")
    readers = Readers(library.services.catalog.db, "", token_seconds=1)
    issued = readers.issue(Aspects(cookie=cookie), OTHER)
    assert issued is not None
    assert readers.token_principal(issued.token, OTHER) is not None
    time.sleep(2.1)
    assert readers.token_principal(issued.token, OTHER) is None
    probe = f"/iiif/auth/2/probe/{library.restricted}~1"
    answer = library.client().get(probe, headers={"Authorization": f"Bearer {issued.token}", "Origin": OTHER})
    assert answer.json()["status"] == 401 and "expired" in answer.json()["note"]["en"][0]
    # Only its SHA-256 was ever stored.
    assert find_token(library.services.catalog.db, issued.token) is None


def test_auth_1_token_service(library: Library) -> None:
    client = library.client()
    library.sign_in(client)
    message, target = posted(client.get("/iiif/auth/1/token", params={"messageId": "7", "origin": OTHER}).text)
    assert target == OTHER and set(message) == {"accessToken", "expiresIn", "messageId"}
    as_json = client.get("/iiif/auth/1/token").json()
    assert set(as_json) == {"accessToken", "expiresIn"}
    refused = library.client().get("/iiif/auth/1/token").json()
    assert refused["error"] == "missingCredentials"


def test_a_tiered_item_shows_anyone_small_sizes_and_readers_everything(library: Library) -> None:
    anonymous = library.client()
    small = anonymous.get(f"/iiif/3/{library.tiered}~1/full/!64,64/0/default.jpg")
    assert small.status_code == 200 and small.headers["content-type"] == "image/jpeg"
    assert anonymous.get(f"/iiif/3/{library.tiered}~1/full/max/0/default.jpg").status_code == 401
    # A small tile of the full resolution is the full image's detail: refused too.
    assert anonymous.get(f"/iiif/3/{library.tiered}~1/0,0,64,64/64,/0/default.jpg").status_code == 401
    info = anonymous.get(f"/iiif/3/{library.tiered}~1/info.json").json()
    assert info["maxWidth"] == 64 and "service" in info
    result = anonymous.get(f"/iiif/auth/2/probe/{library.tiered}~1").json()
    assert result["status"] == 401
    assert result["substitute"] == [
        {
            "id": f"{BASE}/iiif/3/{library.tiered}~1/full/!64,64/0/default.jpg",
            "type": "Image",
            "format": "image/jpeg",
            "label": {"en": ["Public version, at most 64 pixels"]},
        }
    ]
    assert anonymous.get(str(result["substitute"][0]["id"]).removeprefix(BASE)).status_code == 200
    reader = library.client()
    library.sign_in(reader)
    assert reader.get(f"/iiif/3/{library.tiered}~1/full/max/0/default.jpg").status_code == 200
    assert reader.get(f"/iiif/auth/2/probe/{library.tiered}~1").json() == {
        "@context": "http://iiif.io/api/auth/2/context.json",
        "type": "AuthProbeResult2",
        "status": 200,
    }


def test_curators_set_an_items_tier_through_the_api(library: Library) -> None:
    store = TokenStore(library.services.catalog.db)
    curator, _ = store.create("tier curator", Role.CURATOR)
    reader, _ = store.create("tier reader", Role.READER)
    client = library.client()
    path = f"/api/v1/items/{library.restricted}/access-tier"
    small = f"/iiif/3/{library.restricted}~2/full/!64,64/0/default.jpg"
    assert client.get(small).status_code == 401
    refused = client.put(path, json={"tier": "small"}, headers={"Authorization": f"Bearer {reader}"})
    assert refused.status_code == 403
    bad = client.put(path, json={"tier": "tiny"}, headers={"Authorization": f"Bearer {curator}"})
    assert bad.status_code == 422 and "tier" in bad.text
    answer = client.put(path, json={"tier": "small"}, headers={"Authorization": f"Bearer {curator}"})
    assert answer.status_code == 200 and answer.json() == {"item": library.restricted, "tier": "small", "own": True}
    assert soon(lambda: client.get(small).status_code == 200)  # anyone's
    back = client.put(path, json={"tier": "inherit"}, headers={"Authorization": f"Bearer {curator}"})
    assert back.json() == {"item": library.restricted, "tier": "restricted", "own": False}
    assert soon(lambda: client.get(small).status_code == 401)


def test_the_command_line_sets_a_collections_tier(library: Library) -> None:
    env = {**os.environ, "MUNIMENT_DATA_DIR": str(library.services.settings.data_dir), "MUNIMENT_OCR": "false"}

    def muniment(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "app.cli.main", "access-tier", *args], env=env, capture_output=True, text=True
        )

    shown = muniment(library.restricted)
    assert shown.returncode == 0 and f"{library.restricted}: restricted (from collection letters" in shown.stdout
    assert muniment("--collection", "letters", "small").returncode == 0
    try:
        inherited = muniment(library.restricted)
        assert f"{library.restricted}: small (from collection letters" in inherited.stdout
        assert soon(
            lambda: library.client().get(f"/iiif/3/{library.restricted}~1/full/!64,64/0/default.jpg").status_code == 200
        )
        missing = muniment("no-such-item", "small")
        assert missing.returncode != 0 and "no item 'no-such-item'" in missing.stderr
    finally:
        assert muniment("--collection", "letters", "inherit").returncode == 0
    assert soon(
        lambda: library.client().get(f"/iiif/3/{library.restricted}~1/full/!64,64/0/default.jpg").status_code == 401
    )
