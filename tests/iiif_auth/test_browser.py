"""The Authorization Flow in real Chromium (Debian's, driven by Playwright) against `muniment serve`:
Mirador on Muniment's own item page asks a restricted item's reader to sign in, the tiles load once
the reader has signed in in the window it opened, and are refused again after signing out; and a
small client page on another origin (another port) does what the 2.0 specification says a client
does: probe, open the access service, get a token by postMessage from the token service's frame,
probe again. No token ever appears in a URL or a line of the server's log."""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from repo.auth import Role
from repo.auth.users import UserStore
from repo.lifecycle.collections import ensure_collection
from repo.lifecycle.visibility import set_visibility
from repo.services import Services
from repo.settings import Settings
from tests.api.helpers import ingest_item
from tests.servers.ports import free_port
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS

sync_api = pytest.importorskip("playwright.sync_api")

MUNIMENT = str(Path(sys.executable).parent / "muniment")
PASSWORD = "a reader's password"
TIMEOUT_MS = 30_000
OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "iiif-auth"
AUTH2 = "http://iiif.io/api/auth/2/context.json"

pytestmark = pytest.mark.slow

# The client of the 2.0 flow, as the specification describes it (section 2.2 and following).
CLIENT_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>IIIF Auth 2 client</title></head>
<body><main><h1>Test client</h1><iframe id="messageFrame" title="token service" hidden></iframe></main>
<script>
window.tokenMessage = function (tokenService, messageId) {
  return new Promise(function (resolve) {
    function receive(event) {
      if (event.data && event.data.messageId === messageId) {
        window.removeEventListener("message", receive);
        resolve({data: event.data, origin: event.origin});
      }
    }
    window.addEventListener("message", receive);
    document.getElementById("messageFrame").src =
      tokenService + "?messageId=" + encodeURIComponent(messageId) + "&origin=" + encodeURIComponent(location.origin);
  });
};
window.probe = async function (probeService, token) {
  var headers = token ? {Authorization: "Bearer " + token} : {};
  var answer = await fetch(probeService, {headers: headers});
  return {status: answer.status, body: await answer.json()};
};
</script></body></html>"""


@dataclass
class Server:
    base_url: str
    item_id: str
    log: Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("auth-browser")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    settings = Settings(data_dir=root / "data", ingest_workers=2, base_url=base_url, ocr=False)
    services = Services.open(settings)
    try:
        ensure_collection(services, "letters", "Letters")
        item_id = ingest_item(services, root / "scans", "sealed-1", pages=1)
        set_visibility(services, item_id, "restricted", None)
        UserStore(services.catalog.db).create("reader", Role.READER, PASSWORD)
    finally:
        services.close()
    env = {
        **os.environ,
        "MUNIMENT_DATA_DIR": str(root / "data"),
        "MUNIMENT_BASE_URL": base_url,
        "MUNIMENT_PORT": str(port),
        "MUNIMENT_WORKERS": "1",
        "MUNIMENT_SERVE_WORKER": "false",
        "MUNIMENT_OCR": "false",
        "MUNIMENT_LOG_LEVEL": "INFO",  # the access log too: a token must not be in it
    }
    log = root / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen([MUNIMENT, "serve"], env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert process.poll() is None, log.read_text()
                time.sleep(0.2)
            yield Server(base_url, item_id, log)
        finally:
            process.terminate()
            process.wait(timeout=15)


@pytest.fixture(scope="module")
def client_origin() -> Iterator[str]:
    """Another origin (another port of 127.0.0.1) serving the test client page."""

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = CLIENT_PAGE.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Page)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: apt-get install chromium (make test does)"
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


def sign_in_in(popup: Any) -> None:
    popup.wait_for_load_state()
    popup.fill("#name", "reader")
    popup.fill("#password", PASSWORD)
    popup.click("button:has-text('Sign in')")
    popup.wait_for_event("close", timeout=TIMEOUT_MS)  # the window closes itself once signed in


def assert_no_token_leaked(tokens: list[str], urls: list[str], log: Path) -> None:
    assert tokens, "no token was handed out"
    text = log.read_text()
    for token in tokens:
        assert not [u for u in urls if token in u], "a token appeared in a URL"
        assert token not in text, "a token appeared in the server's log"


def test_mirador_signs_a_reader_in_and_out(server: Server, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    urls: list[str] = []
    tiles: list[tuple[str, int]] = []
    context.on("request", lambda r: urls.append(r.url))

    def seen(response: Any) -> None:
        if f"/iiif/3/{server.item_id}~1/" in response.url and response.url.endswith("/default.jpg"):
            tiles.append((response.url, response.status))

    context.on("response", seen)
    # What the token service's frame posts to the page (its body is gone once Mirador drops the frame).
    page.add_init_script(
        "window.addEventListener('message', e => { if (e.data && e.data.accessToken)"
        " (window.tokensSeen = window.tokensSeen || []).push(e.data.accessToken); });"
    )
    page.goto(f"{server.base_url}/items/{server.item_id}")
    page.get_by_text("Sign in to Muniment").wait_for()  # Mirador's bar: the 1.0 login service's label
    assert not [t for t in tiles if t[1] == 200]
    page.screenshot(path=str(OUTPUT / "mirador-prompt.png"))
    page.get_by_role("button", name="Continue").click()
    page.get_by_text("This image is restricted").wait_for()  # its header, then its confirmLabel
    with page.expect_popup() as opened:
        page.get_by_role("button", name="Sign in", exact=True).click()
    sign_in_in(opened.value)
    page.wait_for_function("() => [...document.querySelectorAll('canvas')].some(c => c.width > 0)", timeout=TIMEOUT_MS)
    deadline = time.monotonic() + 20
    while not [t for t in tiles if t[1] == 200] and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    assert [t for t in tiles if t[1] == 200], f"no tile loaded after sign-in: {tiles}"
    page.screenshot(path=str(OUTPUT / "mirador-signed-in.png"))
    tile = next(url for url, status in tiles if status == 200)
    assert page.evaluate("async url => (await fetch(url)).status", tile) == 200
    tokens = page.evaluate("() => window.tokensSeen || []")
    assert tokens, "Mirador did not get a token from the 1.0 token service"
    cookies = context.cookies()
    assert any(c["name"] == "muniment_staff" and c["httpOnly"] for c in cookies)

    # Signing out in Mirador (the logout service, in a window of its own) refuses the tiles at once.
    with page.expect_popup() as logout:
        page.get_by_role("button", name="Sign out of Muniment").click()
    logout.value.wait_for_event("close", timeout=TIMEOUT_MS)
    assert page.evaluate("async url => (await fetch(url, {cache: 'no-store'})).status", tile) == 401
    page.reload()
    page.get_by_text("Sign in to Muniment").wait_for()
    page.screenshot(path=str(OUTPUT / "mirador-signed-out.png"))
    context.close()
    assert_no_token_leaked(tokens, urls, server.log)


def test_a_spec_following_client_on_another_origin(server: Server, client_origin: str, browser: Any) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    urls: list[str] = []
    context.on("request", lambda r: urls.append(r.url))
    page.goto(f"{client_origin}/viewer.html")
    info = page.evaluate(
        "async url => (await fetch(url)).json()", f"{server.base_url}/iiif/3/{server.item_id}~1/info.json"
    )
    probe_service = next(s for s in info["service"] if s.get("type") == "AuthProbeService2")
    access = probe_service["service"][0]
    token_service = next(s for s in access["service"] if s["type"] == "AuthAccessTokenService2")
    logout_service = next(s for s in access["service"] if s["type"] == "AuthLogoutService2")
    assert access["profile"] == "active" and set(access) >= {"id", "type", "profile", "label", "service"}
    assert set(access["label"]) == {"en"} and set(token_service) >= {"id", "type"}

    first = page.evaluate("([p]) => window.probe(p)", [probe_service["id"]])
    assert first["status"] == 200  # a probe answers 200; its body says what the resource would answer
    assert first["body"]["@context"] == AUTH2 and first["body"]["type"] == "AuthProbeResult2"
    assert first["body"]["status"] == 401 and "heading" in first["body"] and "note" in first["body"]

    before = page.evaluate("([t]) => window.tokenMessage(t, 'before')", [token_service["id"]])
    assert before["origin"] == server.base_url
    assert before["data"]["type"] == "AuthAccessTokenError2" and before["data"]["profile"] == "missingAspect"

    with page.expect_popup() as opened:
        page.evaluate(
            "([url, origin]) => window.open(url + '?origin=' + encodeURIComponent(origin))",
            [access["id"], client_origin],
        )
    sign_in_in(opened.value)

    got = page.evaluate("([t]) => window.tokenMessage(t, 'ae3415')", [token_service["id"]])
    message = got["data"]
    assert got["origin"] == server.base_url
    assert set(message) == {"@context", "type", "accessToken", "expiresIn", "messageId"}
    assert message["@context"] == AUTH2 and message["type"] == "AuthAccessToken2" and message["messageId"] == "ae3415"
    assert isinstance(message["expiresIn"], int) and message["expiresIn"] > 0
    token = message["accessToken"]

    again = page.evaluate("([p, t]) => window.probe(p, t)", [probe_service["id"], token])
    assert again["body"] == {"@context": AUTH2, "type": "AuthProbeResult2", "status": 200}

    # The same token shown from another origin (this server's own pages, without the cookie) is refused.
    own = context.new_page()
    own.goto(f"{server.base_url}/healthz")
    elsewhere = own.evaluate(
        "([p, t]) => fetch(p, {credentials: 'omit', headers: {Authorization: 'Bearer ' + t}}).then(r => r.json())",
        [probe_service["id"], token],
    )
    assert elsewhere["status"] == 401

    # Logout, then the token names no one.
    out = context.new_page()
    out.goto(logout_service["id"])
    after = page.evaluate("([p, t]) => window.probe(p, t)", [probe_service["id"], token])
    assert after["body"]["status"] == 401
    context.close()
    assert_no_token_leaked([token], urls, server.log)
