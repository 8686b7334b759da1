"""Bag manifests naming paths outside the bag, and fetch.txt (refused unless the URL's host is in
MUNIMENT_FETCH_ALLOWED_HOSTS; even then nothing is downloaded). In an uploaded archive and in a
folder under an allowed root, which is validated where it lies: the file a manifest points at is
never opened, the URL never fetched."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from repo.auth import Role
from tests.api.helpers import make_bag, zip_folder
from tests.hostile.canary import SECRET
from tests.hostile.conftest import Hostile


def _submit(hostile: Hostile, bag: Path, tmp_path: Path, where: str) -> dict[str, object]:
    if where == "upload":
        return hostile.upload(zip_folder(bag, tmp_path / "bag.zip"))
    dropbox = Path(hostile.repo.services.settings.ingest_allowed_roots[0])
    os.rename(bag, dropbox / "bag")
    answer = hostile.repo.client.post(
        "/api/v1/ingests", json={"path": str(dropbox / "bag")}, headers=hostile.repo.auth(Role.CURATOR)
    )
    assert answer.status_code == 202, answer.text
    return hostile.repo.wait_for_job(answer.json()["id"])


@pytest.mark.parametrize("where", ["upload", "folder"])
def test_manifests_naming_paths_outside_the_bag(hostile: Hostile, tmp_path: Path, where: str) -> None:
    bag = make_bag(tmp_path / "made", "MS-30")
    secret = hostile.outside.secret
    digest = hashlib.sha512(SECRET).hexdigest()  # not read from the file: the canary would see that
    escape = os.path.relpath(secret, bag)
    with (bag / "manifest-sha512.txt").open("a") as manifest:
        manifest.write(f"{digest}  data/../{escape}\n{digest}  {secret}\n")
    with (bag / "tagmanifest-sha512.txt").open("a") as manifest:
        manifest.write(f"{digest}  ../{escape}\n")
    job = _submit(hostile, bag, tmp_path, where)
    assert job["state"] == "failed"
    problems = hostile.problems(job)  # type: ignore[arg-type]
    assert "manifest-sha512.txt:2:" in problems and "'..' segment leads outside the bag" in problems
    assert f"{secret}': absolute path" in problems
    assert "tagmanifest-sha512.txt:" in problems, problems


@pytest.mark.parametrize("where", ["upload", "folder"])
def test_fetch_txt_from_a_host_not_allowed_is_refused(hostile: Hostile, tmp_path: Path, where: str) -> None:
    bag = make_bag(tmp_path / "made", "MS-31")
    (bag / "fetch.txt").write_text(f"{hostile.http.url}/p2.tif 100 data/p2.tif\nfile:///etc/passwd - data/p3.tif\n")
    job = _submit(hostile, bag, tmp_path, where)
    problems = hostile.problems(job)  # type: ignore[arg-type]
    assert "fetch.txt:1: host '127.0.0.1' is not in the fetch allowlist" in problems, problems
    assert "fetch.txt:2: only http(s) URLs are accepted" in problems


def test_fetch_txt_from_an_allowed_host_downloads_nothing(hostile: Hostile, tmp_path: Path) -> None:
    missing = make_bag(tmp_path / "missing", "MS-32")
    (missing / "fetch.txt").write_text("https://allowed.example/p2.tif 100 data/p2.tif\n")
    problems = hostile.problems(hostile.upload(zip_folder(missing, tmp_path / "missing.zip")))
    assert "data/p2.tif: listed in fetch.txt but not present; fetch it first" in problems, problems
    # Allowed, and already fetched (the file is in the bag): accepted.
    present = make_bag(tmp_path / "present", "MS-33")
    (present / "fetch.txt").write_text("https://allowed.example/p1.tif - data/p1.tif\n")
    answer = hostile.repo.client.post(
        "/api/v1/ingests/upload",
        content=zip_folder(present, tmp_path / "ok.zip").read_bytes(),
        headers={**hostile.repo.auth(Role.CURATOR), "Content-Type": "application/zip"},
    )
    job = hostile.repo.wait_for_job(answer.json()["id"])
    assert job["state"] == "succeeded", job
    hostile.mark()


@pytest.mark.parametrize("where", ["upload", "folder"])
def test_a_bag_refused_for_a_bad_checksum_is_in_the_audit_log(hostile: Hostile, tmp_path: Path, where: str) -> None:
    bag = make_bag(tmp_path / "made", "MS-31")
    page = next((bag / "data").rglob("*.tif"))
    data = page.read_bytes()
    page.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))  # one bit changed: its sha512 no longer matches
    job = _submit(hostile, bag, tmp_path, where)
    assert job["state"] == "failed" and "sha512 validation failed" in str(job["problems"]), job
    entries = hostile.repo.client.get("/api/v1/audit", headers=hostile.repo.auth(Role.ADMIN)).json()["entries"]
    refused = [e for e in entries if e["target"] == job["id"] and e["action"].startswith("ingest refused")]
    assert len(refused) == 1, entries
    entry = refused[0]
    assert entry["actor"] == "curator-token" and entry["role"] == "curator" and entry["outcome"] == 422
    named = (
        "upload.zip" if where == "upload" else str(Path(hostile.repo.services.settings.ingest_allowed_roots[0]) / "bag")
    )
    assert entry["detail"].startswith(f"bag '{named}': "), entry
    assert f"data/{page.name} sha512 validation failed" in entry["detail"] and "staging" not in entry["detail"]
