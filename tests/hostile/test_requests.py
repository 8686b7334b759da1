"""Uploads over the size limit (declared, and streamed without a length), malformed JSON, unknown
fields and wrong types: a clear 4xx in the one error shape, naming the problem; nothing stored or
left in staging."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

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
