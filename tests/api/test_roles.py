"""Every registered route of the whole application, walked: each one that writes answers 401
without a token (and with a bad one) and 403 with a role too weak for it; nothing outside the
admin API writes at all. Public reads need no token."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.routing import BaseRoute, Mount, Route

from repo.auth import Role
from tests.api.helpers import Repository, ingest_item

WRITES = ("POST", "PUT", "PATCH", "DELETE")
# POST routes that only read: OAI-PMH accepts its query as a form body (the protocol says so).
READ_ONLY_POSTS = {"/oai"}
SAMPLES = {"item": "MS-1", "slug": "letters", "job": "0123456789abcdef"}


def walk(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, set[str] | None]]:
    """(path, methods) of every route, recursing into mounts; methods None: the route takes any."""
    for route in routes:
        if isinstance(route, Mount) and route.routes:
            yield from walk(list(route.routes), prefix + route.path)
        elif isinstance(route, Route):
            yield prefix + route.path, set(route.methods or ())
        else:  # a mounted app (static files) or a route of its own kind (the image server)
            yield prefix + getattr(route, "path", ""), None


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: SAMPLES.get(m.group(1), "x"), path)


@pytest.fixture
def full(repo: Repository, tmp_path: Path) -> Repository:
    ingest_item(repo.services, tmp_path / "scans", "MS-1")
    return repo


def test_every_route_that_writes_needs_a_token_and_a_strong_enough_role(full: Repository) -> None:
    client = full.client
    document = client.get("/api/v1/openapi.json").json()
    roles = {
        (path, method.upper()): op.get("x-muniment-role")
        for path, ops in document["paths"].items()
        for method, op in ops.items()
    }
    routes = list(walk(full.app.routes))
    api = {
        (p.removeprefix("/api/v1"), m)
        for p, methods in routes
        if p.startswith("/api/v1/") and methods
        for m in methods - {"HEAD"}
        if p != "/api/v1/openapi.json"
    }
    assert api == set(roles), "every API route is in the OpenAPI document, and only those"
    checked = 0
    for path, methods in routes:
        url = concrete(path) if methods is not None else concrete(path) + "/anything/info.json"
        for method in sorted(set(WRITES) & methods if methods is not None else set(WRITES)):
            if not path.startswith("/api/v1/"):
                _assert_does_not_write(client, method, path, url)
                continue
            role = roles[(path.removeprefix("/api/v1"), method)]
            assert role in ("curator", "admin"), f"{method} {path} writes, so it needs curator or admin"
            _assert_guarded(full, method, url, Role(role))
            checked += 1
    assert checked == 8  # the seven of the first release and the access tier (PUT ./access-tier)


def test_every_protected_read_needs_a_token_and_public_reads_do_not(full: Repository) -> None:
    client = full.client
    document = client.get("/api/v1/openapi.json").json()
    for path, ops in document["paths"].items():
        op: dict[str, Any] | None = ops.get("get")
        if op is None:
            continue
        url = "/api/v1" + concrete(path)
        if op.get("x-muniment-role"):
            _assert_guarded(full, "GET", url, Role(op["x-muniment-role"]))
        else:
            assert client.get(url).status_code == 200, url
    for url in (
        "/",
        "/search",
        "/collections/letters",
        "/items/MS-1",
        "/iiif/MS-1/manifest",
        "/iiif/collection/letters",
        "/iiif/3/MS-1~1/info.json",
        "/oai?verb=Identify",
    ):
        assert client.get(url).status_code == 200, url


def _assert_guarded(repo: Repository, method: str, url: str, role: Role) -> None:
    client = repo.client
    anonymous = client.request(method, url)
    assert anonymous.status_code == 401, f"{method} {url}: {anonymous.status_code}"
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    assert anonymous.json()["error"]["status"] == 401
    forged = client.request(method, url, headers={"Authorization": "Bearer mnt_000000000000_" + "A" * 43})
    assert forged.status_code == 401
    weaker = role.weaker()
    assert weaker is not None
    refused = client.request(method, url, headers=repo.auth(weaker))
    assert refused.status_code == 403, f"{method} {url} with {weaker.value}: {refused.status_code}"
    assert role.value in refused.json()["error"]["message"]
    allowed = client.request(method, url, headers=repo.auth(role))
    assert allowed.status_code not in (401, 403, 500), f"{method} {url}: {allowed.status_code}"


def _assert_does_not_write(client: Any, method: str, path: str, url: str) -> None:
    response = client.request(
        method, url, content=b"verb=Identify", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    if path in READ_ONLY_POSTS and method == "POST":
        assert response.status_code == 200 and b"<Identify>" in response.content
    elif path.startswith(("/staff/", "/iiif/auth/")):
        # The staff pages' writes need a signed-in session and its CSRF token (tests/staff); the IIIF
        # sign-in window's form needs its CSRF token (tests/iiif_auth).
        assert response.status_code in (401, 403), f"{method} {url}: {response.status_code}"
    else:
        assert response.status_code in (404, 405), f"{method} {url}: {response.status_code}"
