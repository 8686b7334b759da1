"""Ingest jobs: an uploaded bag archive and a bag under an allowed root, run in the background,
their state and per-file problems in the catalog for any worker to answer."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from app.ingest_tasks import bag_task
from repo.auth import Role
from repo.catalog.jobs import JobStore
from repo.settings import Settings
from tests.api.helpers import Repository, make_bag, zip_folder

API = "/api/v1"


@pytest.fixture
def database_url(catalog_url: str) -> str:
    return catalog_url  # these tests run on SQLite and on PostgreSQL


def test_an_uploaded_bag_is_ingested_in_the_background(repo: Repository, tmp_path: Path) -> None:
    archive = zip_folder(make_bag(tmp_path / "bag", "MS-10"), tmp_path / "bag.zip")
    response = repo.client.post(
        f"{API}/ingests/upload",
        params={"name": "ms10.zip"},
        content=archive.read_bytes(),
        headers={**repo.auth(Role.CURATOR), "Content-Type": "application/zip"},
    )
    assert response.status_code == 202, response.text
    job = response.json()
    assert response.headers["location"] == f"{API}/ingests/{job['id']}"
    assert job["kind"] == "upload" and job["submitted_by"] == "curator-token" and job["source"] == "ms10.zip"
    done = repo.wait_for_job(job["id"])
    assert done["state"] == "succeeded" and done["result"] == "ingested", done
    assert done["item_id"] == "MS-10" and done["problems"] == []
    assert repo.client.get(f"{API}/items/MS-10").json()["collection"] == "letters"
    listed = repo.client.get(f"{API}/ingests", headers=repo.auth(Role.CURATOR)).json()["jobs"]
    assert [j["id"] for j in listed] == [job["id"]]
    staging = repo.services.settings.staging_path
    # The job reads succeeded when its item task ends; the worker removes the upload just after.
    deadline = time.monotonic() + 10
    while any((staging / "api").iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any((staging / "api").iterdir()), "the upload's staging folder is removed"


def test_a_bag_under_an_allowed_root_is_ingested(repo: Repository, settings: Settings) -> None:
    root = Path(settings.ingest_allowed_roots[0])
    make_bag(root / "ms11", "MS-11", collection=None)
    repo.client.post(f"{API}/collections", json={"slug": "maps", "title": "Maps"}, headers=repo.auth(Role.CURATOR))
    response = repo.client.post(
        f"{API}/ingests", json={"path": str(root / "ms11"), "collection": "maps"}, headers=repo.auth(Role.CURATOR)
    )
    assert response.status_code == 202, response.text
    done = repo.wait_for_job(response.json()["id"])
    assert done["state"] == "succeeded" and done["item_id"] == "MS-11", done
    assert repo.client.get(f"{API}/items/MS-11").json()["collection"] == "maps"
    assert (root / "ms11" / "bagit.txt").is_file(), "the source bag is left as it was"


def test_a_failed_job_lists_every_problem_without_server_paths(repo: Repository, tmp_path: Path) -> None:
    bag = make_bag(tmp_path / "bag", "MS-12", page=b"GIF89a" + b"\0" * 100)  # a valid bag, a GIF named .tif
    archive = zip_folder(bag, tmp_path / "bad.zip")
    response = repo.client.post(
        f"{API}/ingests/upload",
        content=archive.read_bytes(),
        headers={**repo.auth(Role.CURATOR), "Content-Type": "application/zip"},
    )
    done = repo.wait_for_job(response.json()["id"])
    assert done["state"] == "failed" and done["result"] == "failed" and done["item_id"] is None
    problems = done["problems"]
    assert [p["file"] for p in problems] == ["bag/data/p1.tif"], problems
    assert "content is not TIFF" in problems[0]["reason"]
    text = str(done)
    assert str(repo.services.settings.data_dir) not in text and str(tmp_path) not in text
    assert repo.client.get(f"{API}/items/MS-12").status_code == 404


def test_a_job_whose_worker_died_is_delivered_again(repo: Repository, settings: Settings) -> None:
    """A worker took the task and died (kill -9: its Huey message is gone, its lease runs out):
    the job never reads ``running`` for it, and a live worker finishes it."""
    root = Path(settings.ingest_allowed_roots[0])
    make_bag(root / "ms13", "MS-13")
    store = JobStore(repo.services.catalog.db)
    store.create("00000000000000aa", "path", "ms13", [bag_task(root / "ms13", "ms13", None)], submitted_by="someone")
    held = store.claim("00000000000000aa", 1, "gone-host:999999:dead", lease_seconds=0.2)
    assert held is not None and held.attempts == 1
    time.sleep(0.3)
    job = repo.client.get(f"{API}/ingests/00000000000000aa", headers=repo.auth(Role.CURATOR)).json()
    assert job["state"] in ("queued", "running"), job
    done = repo.wait_for_job("00000000000000aa")
    assert done["state"] == "succeeded" and done["item_id"] == "MS-13", done
    detail = repo.client.get(f"{API}/jobs/00000000000000aa", headers=repo.auth(Role.CURATOR)).json()
    assert detail["attempts"] == 2 and detail["progress"] == {
        "tasks": 1,
        "done": 1,
        "succeeded": 1,
        "failed": 0,
        "pages": 1,
        "bytes": detail["progress"]["bytes"],
    }
