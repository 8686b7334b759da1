"""Several writers of one item at once, as real processes, on the filesystem with SQLite and on S3
(SeaweedFS) with PostgreSQL:
nothing lost, nothing doubled, nothing corrupted.

- Four ``muniment edit`` commands at once, 5 rounds: each is accepted or refused with a conflict
  naming the current version; every accepted record is in exactly one version.
- Four ``PUT /api/v1/items/ID/metadata`` at once with the same ``If-Match``, 10 rounds, against
  ``muniment serve`` with two workers: exactly one accepted per round, three 409s.
- Five ``muniment ingest`` of the same folder at once: one object, every derivative, four
  ``already-ingested``.

Afterwards every object is valid for ocfl-py and its head version is a valid bag.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import bagit
import httpx
import pytest

from repo.identifiers import derivative_key, object_id, thumbnail_key
from repo.services import Services
from repo.settings import Settings
from tests import seed
from tests.ingest.conftest import MODS, make_item
from tests.preservation.ocfl_check import validate_storage
from tests.servers.muniment import MunimentServer
from tests.servers.postgres import PostgresServer
from tests.servers.seaweedfs import ACCESS_KEY, SECRET_KEY, SeaweedFS

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 5  # of the command line's edits: a command's start, not its edit, is most of a round


@pytest.fixture(params=["filesystem", "s3"], ids=["filesystem-sqlite", "s3-postgresql"])
def repository(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """The environment of a repository: everything in a folder with a SQLite catalog (one machine),
    or S3 buckets with a PostgreSQL catalog (the several-machine setup, its locks on PostgreSQL)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MUNIMENT_")}
    env["MUNIMENT_DATA_DIR"] = str(tmp_path / "data")
    env["MUNIMENT_OCR"] = "false"  # its version after each ingest would be one more writer than counted here
    if request.param == "s3":
        postgres: PostgresServer = request.getfixturevalue("postgres")
        env["MUNIMENT_DATABASE_URL"] = postgres.create_database(f"c_{uuid.uuid4().hex[:12]}")
        server: SeaweedFS = request.getfixturevalue("seaweedfs")
        bucket = server.create_bucket(f"c-{uuid.uuid4().hex[:16]}")
        env.update(
            {
                "MUNIMENT_PRESERVATION_STORAGE": f"s3://{bucket}/preservation",
                "MUNIMENT_ACCESS_STORAGE": f"s3://{bucket}/access",
                "MUNIMENT_S3_ENDPOINT": server.endpoint,
                "MUNIMENT_S3_ACCESS_KEY": ACCESS_KEY,
                "MUNIMENT_S3_SECRET_KEY": SECRET_KEY,
            }
        )
    return env


def muniment(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli.main", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finished(process: subprocess.Popen[str]) -> tuple[int, str]:
    out, err = process.communicate(timeout=300)
    return process.returncode, out + err


def services_of(env: dict[str, str]) -> Services:
    return Services.open(Settings.load(environ=env))


def ingest_one(env: dict[str, str], folder: Path) -> str:
    return seed.ingest(env, folder, "letters")


def titles_by_version(services: Services, item_id: str) -> dict[int, str]:
    store = services.object_store()
    oid = object_id(item_id)
    inventory = store.read_inventory(oid)
    titles = {}
    for name in inventory.versions:
        with store.open_file(oid, "metadata/mods.xml", name) as stream:
            mods = stream.read().decode()
        titles[int(name[1:])] = mods.split("<title>", 1)[1].split("</title>", 1)[0]
    return titles


def assert_valid(services: Services, workdir: Path, item_ids: list[str]) -> None:
    report = validate_storage(services.preservation, workdir)
    assert report.errors == [], report.errors
    assert report.objects == len(item_ids)
    store = services.object_store()
    for item_id in item_ids:
        bag = store.export_version(object_id(item_id), None, workdir / f"head-{item_id}")
        bagit.Bag(str(bag)).validate()


def test_four_concurrent_command_line_edits(repository: dict[str, str], tmp_path: Path) -> None:
    item_id = ingest_one(repository, make_item(tmp_path / "scans" / "letter", ["p1.tif"], title="Original"))
    accepted: list[str] = []
    refused = 0
    for round_ in range(ROUNDS):
        titles = [f"Round {round_} by editor {who}" for who in "ABCD"]
        files = []
        for title in titles:
            path = tmp_path / "edits" / f"{round_}-{title[-1]}.xml"
            path.parent.mkdir(exist_ok=True)
            path.write_text(MODS.format(title=title))
            files.append(path)
        editors = [muniment(repository, "edit", item_id, "--metadata", str(f)) for f in files]
        for title, (code, output) in zip(titles, map(finished, editors), strict=True):
            if code == 0:
                assert "written" in output, output
                accepted.append(title)
            else:
                assert "another edit came first" in output and "Traceback" not in output, output
                refused += 1
    services = services_of(repository)
    try:
        titles = titles_by_version(services, item_id)
        # Versions contiguous from v1; every accepted record in exactly one version, none other.
        assert sorted(titles) == list(range(1, len(accepted) + 2))
        assert sorted(titles[v] for v in titles if v > 1) == sorted(accepted)
        assert len(accepted) + refused == 4 * ROUNDS and len(accepted) >= ROUNDS
        item = services.catalog.require_item(item_id)
        assert (item.version, item.title) == (len(titles), titles[len(titles)])
        assert_valid(services, tmp_path / "check", [item_id])
    finally:
        services.close()


def test_four_concurrent_api_edits_with_if_match(repository: dict[str, str], tmp_path: Path) -> None:
    item_id = ingest_one(repository, make_item(tmp_path / "scans" / "letter", ["p1.tif"], title="Original"))
    token = seed.token(repository, "curator", "editors")
    extra = {k: v for k, v in repository.items() if k != "MUNIMENT_DATA_DIR"}
    server = MunimentServer(Path(repository["MUNIMENT_DATA_DIR"]), workers=2, env=extra).start()
    accepted: list[str] = []
    try:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=120) as client:
            for round_ in range(10):
                etag = client.get(f"/api/v1/items/{item_id}").headers["ETag"]

                def edit(who: int, etag: str = etag, round_: int = round_) -> tuple[str, httpx.Response]:
                    title = f"Round {round_} by client {who}"
                    body = {"mods": MODS.format(title=title)}
                    answer = client.put(f"/api/v1/items/{item_id}/metadata", json=body, headers={"If-Match": etag})
                    return title, answer

                with ThreadPoolExecutor(4) as pool:
                    answers = list(pool.map(edit, range(4)))
                statuses = sorted(answer.status_code for _, answer in answers)
                assert statuses == [200, 409, 409, 409], [a.text for _, a in answers]
                for title, answer in answers:
                    if answer.status_code == 200:
                        accepted.append(title)
                        assert answer.headers["ETag"] == f'"v{answer.json()["version"]}"'
                    else:
                        message = answer.json()["error"]["message"]
                        assert "another edit came first" in message, answer.text
                        assert f"based on version {etag.strip(chr(34))[1:]}" in message
            stale = client.put(
                f"/api/v1/items/{item_id}/metadata",
                json={"mods": MODS.format(title="Late")},
                headers={"If-Match": '"v1"'},
            )
            assert stale.status_code == 409, stale.text
            assert "is at version 11" in stale.json()["error"]["message"]
    finally:
        server.stop()
    services = services_of(repository)
    try:
        titles = titles_by_version(services, item_id)
        assert sorted(titles) == list(range(1, 12))
        assert [titles[v] for v in range(2, 12)] == accepted
        assert_valid(services, tmp_path / "check", [item_id])
    finally:
        services.close()


def test_five_concurrent_ingests_of_the_same_folder(repository: dict[str, str], tmp_path: Path) -> None:
    folder = make_item(tmp_path / "scans" / "book", ["p1.tif", "p2.jpg", "p3.png"], title="Same content")
    args = ("ingest", str(folder), "--collection", "books", "--identifier", "same-1", "--json")
    runs = [finished(p) for p in [muniment(repository, *args) for _ in range(5)]]
    statuses = sorted(json.loads(output.splitlines()[0])["status"] for _, output in runs)
    assert statuses == ["already-ingested"] * 4 + ["ingested"], runs
    assert all(code == 0 for code, _ in runs), runs
    services = services_of(repository)
    try:
        assert services.catalog.count_items() == 1
        assert services.catalog.require_item("same-1").page_count == 3
        for seq in (1, 2, 3):  # every derivative is there: no loser removed the winner's
            assert services.access.exists(derivative_key("same-1", seq))
            assert services.access.exists(thumbnail_key("same-1", seq))
        assert_valid(services, tmp_path / "check", ["same-1"])
    finally:
        services.close()
