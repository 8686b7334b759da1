"""Public URLs follow the server: with MUNIMENT_BASE_URL unset, `muniment serve --port P` writes
:P into manifests, image services, item pages and OAI-PMH (the viewer fetches from where the page
came). Forwarded headers are believed only from the proxies MUNIMENT_TRUSTED_PROXIES names: the
audit log records the connecting address otherwise."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests import seed
from tests.ingest.conftest import make_item
from tests.servers.ports import free_port, stop_process_group, wait_for_port

ROOT = Path(__file__).resolve().parents[2]


def environment(data: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MUNIMENT_")}
    env.update({"MUNIMENT_DATA_DIR": str(data), "MUNIMENT_WORKERS": "1", "MUNIMENT_SERVE_WORKER": "false"})
    env.update(settings)
    return env


def cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "app.cli.main", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@contextmanager
def serving(env: dict[str, str], port: int) -> Iterator[str]:
    log = Path(env["MUNIMENT_DATA_DIR"]) / "serve.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli.main", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for_port(port, timeout=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process_group(process, timeout=15)


def fetch(url: str, headers: dict[str, str] | None = None, body: bytes | None = None) -> bytes:
    request = urllib.request.Request(url, data=body, headers=headers or {}, method="POST" if body else "GET")
    with urllib.request.urlopen(request, timeout=30) as response:
        return bytes(response.read())


def test_serve_on_another_port_writes_that_port_into_manifests_pages_and_oai(tmp_path: Path) -> None:
    env = environment(tmp_path / "data")
    folder = make_item(tmp_path / "scans" / "letter", ["p1.tif"], title="A letter")
    seed.ingest(env, folder, "letters", "L-1")
    port = free_port()
    with serving(env, port) as base:
        manifest = json.loads(fetch(f"{base}/iiif/L-1/manifest"))
        page = fetch(f"{base}/items/L-1").decode()
        identify = fetch(f"{base}/oai?verb=Identify").decode()
    assert manifest["id"] == f"{base}/iiif/L-1/manifest"
    service = manifest["items"][0]["items"][0]["items"][0]["body"]["service"][0]
    assert service["id"].startswith(f"{base}/iiif/3/")
    assert f"{base}/iiif/L-1/manifest" in page and ":8000" not in page
    assert f"<baseURL>{base}/oai</baseURL>" in identify


def test_forwarded_headers_are_believed_only_from_trusted_proxies(tmp_path: Path) -> None:
    data = tmp_path / "data"
    token = seed.token(environment(data), "admin", "proxy-test")
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "X-Forwarded-For": "203.0.113.9",
        "X-Forwarded-Proto": "https",
    }
    for slug, trusted in (("untrusted", ""), ("trusted", "127.0.0.1")):
        env = environment(data, MUNIMENT_TRUSTED_PROXIES=trusted)
        with serving(env, free_port()) as base:
            fetch(f"{base}/api/v1/collections", headers, json.dumps({"slug": slug, "title": slug}).encode())
    audit = [json.loads(line) for line in cli(environment(data), "audit", "--json").splitlines()]
    remote = {entry["target"]: entry["remote"] for entry in audit if entry["action"] == "POST /api/v1/collections"}
    assert remote == {"untrusted": "127.0.0.1", "trusted": "203.0.113.9"}, audit


def _status(url: str, headers: dict[str, str], method: str = "GET", body: bytes | None = None) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as refused:
        return int(refused.code)


def test_a_trusted_proxy_names_a_reader_of_restricted_images_under_muniment_serve(tmp_path: Path) -> None:
    """The IIIF `external` access service behind a real proxy: it sends X-Forwarded-For as well as the
    reader's name, and the name is believed because the connection came from the trusted proxy."""
    data = tmp_path / "data"
    env = environment(data)
    seed.ingest(env, make_item(tmp_path / "scans" / "closed", ["p1.tif"]), "c", "R-1")
    token = seed.token(env, "curator", "proxy-test")
    info = "/iiif/3/R-1~1/info.json"
    reader = {"X-Forwarded-For": "203.0.113.9", "X-Remote-User": "jo"}
    for trusted, expected in (("127.0.0.1", 200), ("", 401)):
        settings = {"MUNIMENT_TRUSTED_PROXIES": trusted, "MUNIMENT_IIIF_AUTH_EXTERNAL_HEADER": "X-Remote-User"}
        with serving(environment(data, **settings), free_port()) as base:
            if trusted:  # restrict it once, through the API
                headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
                body = json.dumps({"visibility": "restricted"}).encode()
                assert _status(f"{base}/api/v1/items/R-1/visibility", headers, "PUT", body) == 200
                assert _status(base + info, {"X-Forwarded-For": "203.0.113.9"}) == 401  # no name, no entry
            assert _status(base + info, reader) == expected, trusted
