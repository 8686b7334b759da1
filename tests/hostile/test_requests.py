"""Uploads over the size limit (declared, and streamed without a length), malformed JSON, unknown
fields and wrong types: a clear 4xx in the one error shape, naming the problem; nothing stored or
left in staging."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

import pytest
from starlette.routing import BaseRoute, Mount, Route

from repo.auth import Role
from tests.hostile.conftest import UPLOAD_LIMIT, Hostile


def _chunks(total: int, size: int = 256 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        yield b"PK\x03\x04" + b"\0" * (size - 4)
        sent += size


def test_an_upload_over_the_limit_is_refused_while_it_is_read(hostile: Hostile) -> None:
    client, curator = hostile.repo.client, hostile.repo.auth(Role.CURATOR)
    declared = client.post(
        "/api/v1/ingests/upload",
        content=b"x" * (UPLOAD_LIMIT + 1),
        headers={**curator, "Content-Type": "application/zip"},
    )
    assert declared.status_code == 413
    assert "larger than the limit of" in declared.json()["error"]["message"]
    streamed = client.post(
        "/api/v1/ingests/upload",
        content=_chunks(UPLOAD_LIMIT + 512 * 1024),
        headers={**curator, "Content-Type": "application/zip"},
    )  # chunked: no length to trust
    assert streamed.status_code == 413 and "MUNIMENT_UPLOAD_MAX_BYTES" in streamed.json()["error"]["message"]
    jobs = client.get("/api/v1/ingests", headers=curator).json()["jobs"]
    assert jobs == []


def test_an_empty_or_mistyped_upload_is_refused(hostile: Hostile) -> None:
    client, curator = hostile.repo.client, hostile.repo.auth(Role.CURATOR)
    empty = client.post("/api/v1/ingests/upload", content=b"", headers={**curator, "Content-Type": "application/zip"})
    assert empty.status_code == 422 and "empty" in empty.json()["error"]["message"]
    text = client.post("/api/v1/ingests/upload", content=b"hello", headers={**curator, "Content-Type": "text/plain"})
    assert text.status_code == 415


@pytest.mark.parametrize("body", [b"{", b"{'slug': 'x'}", b"\xff\xfe", b"[1, 2", b"", b"null x", b'{"slug": "a"'])
def test_malformed_json_is_a_400(hostile: Hostile, body: bytes) -> None:
    answer = hostile.repo.client.post(
        "/api/v1/collections",
        content=body,
        headers={**hostile.repo.auth(Role.CURATOR), "Content-Type": "application/json"},
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["message"] == "malformed JSON"


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"slug": "maps", "title": "Maps", "colour": "blue"}, "body.colour: Extra inputs are not permitted"),
        ({"slug": "maps", "title": 7}, "body.title: Input should be a valid string"),
        ({"slug": "Maps!", "title": "Maps"}, "body.slug: String should match pattern"),
        ({"slug": "maps", "title": "Maps", "description": None}, "null is not a value for description"),
        ({"slug": "maps", "title": "bad\u0000title"}, "body.title: String should match pattern"),
        ([{"slug": "maps"}], "body: Input should be an object"),
        ("maps", "body: Input should be an object"),
    ],
)
def test_unknown_fields_and_wrong_types_are_named(hostile: Hostile, body: object, named: str) -> None:
    answer = hostile.repo.client.post("/api/v1/collections", json=body, headers=hostile.repo.auth(Role.CURATOR))
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["status"] == 422 and any(d.startswith(named) or named in d for d in error["details"]), error


def test_unknown_and_repeated_query_parameters_are_named(hostile: Hostile) -> None:
    client = hostile.repo.client
    unknown = client.get("/api/v1/items", params={"colour": "blue"})
    assert unknown.status_code == 422 and "query.colour" in unknown.json()["error"]["details"][0]
    repeated = client.get("/api/v1/items?limit=1&limit=2")
    assert repeated.status_code == 422 and "given more than once" in repeated.json()["error"]["details"][0]
    wrong = client.get("/api/v1/items", params={"limit": "lots"})
    assert wrong.status_code == 422 and wrong.json()["error"]["details"][0].startswith("query.limit")


def test_server_side_paths_outside_the_allowed_roots(hostile: Hostile) -> None:
    client, curator = hostile.repo.client, hostile.repo.auth(Role.CURATOR)
    dropbox = hostile.repo.services.settings.ingest_allowed_roots[0]
    secret = str(hostile.outside.secret)
    for path in (
        secret,
        f"{dropbox}/../outside",
        f"{dropbox}/../outside/secret.txt",
        "relative/bag",
        "/",
        f"{dropbox}/missing",
    ):
        answer = client.post("/api/v1/ingests", json={"path": path}, headers=curator)
        assert answer.status_code == 422, (path, answer.text)
        assert str(hostile.outside.folder) not in answer.text.replace(path, "")
    # A link inside the root that leads outside is followed before the check, not after.
    (hostile.repo.services.settings.staging_path).mkdir(parents=True, exist_ok=True)
    link = f"{dropbox}/sneaky"
    __import__("os").symlink(hostile.outside.folder, link)
    answer = client.post("/api/v1/ingests", json={"path": link}, headers=curator)
    assert answer.status_code == 422 and "not under an allowed root" in answer.json()["error"]["details"][0]


def _paths(routes: Iterable[BaseRoute], prefix: str = "") -> Iterator[str]:
    """A concrete path for every route of the app, its parameters filled in."""
    for route in routes:
        path = prefix + re.sub(r"\{[^}:]+(:path)?\}", "sample-1", getattr(route, "path", ""))
        if isinstance(route, Mount):
            inner = route.routes
            yield from _paths(inner, path) if inner else [path + "/sample.css"]
        elif isinstance(route, Route):
            yield path


def test_every_405_names_the_methods_the_path_allows(hostile: Hostile) -> None:
    client = hostile.repo.client
    paths = sorted({*_paths(hostile.repo.app.routes), "/iiif/3/sample~1/info.json"})
    assert len(paths) > 20 and "/api/v1/items/sample-1" in paths and "/oai" in paths
    refusals = 0
    for path in paths:
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            answer = client.request(method, path)
            if answer.status_code != 405:
                continue
            refusals += 1
            allowed = [m.strip() for m in answer.headers.get("allow", "").split(",") if m.strip()]
            assert allowed and method not in allowed, f"{method} {path}: Allow {answer.headers.get('allow')!r}"
            for other in allowed:
                assert client.request(other, path).status_code != 405, f"{other} {path} is listed but refused"
    assert refusals > 20
    collection = client.delete("/api/v1/collections/sample-1")  # GET and PATCH are separate operations
    assert collection.headers["allow"] == "GET, HEAD, PATCH", collection.headers
    manifest = client.post("/iiif/sample-1/manifest")  # its CORS preflight is a route of its own
    assert manifest.headers["allow"] == "GET, HEAD, OPTIONS", manifest.headers
