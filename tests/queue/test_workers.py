"""Real `muniment worker` processes take a queued batch; one is killed with kill -9 while it holds
a task: the task is delivered again, every item is ingested exactly once into a valid OCFL object
and bag, and the job reads ``succeeded``. On the embedded default (SQLite catalog and SqliteHuey)
and on PostgreSQL (catalog and PostgresHuey on one server) with S3 storage."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import bagit
import pytest

from repo.catalog.jobs import JobStore
from repo.identifiers import object_id
from repo.services import Services
from repo.settings import Settings
from tests.ingest.conftest import make_item
from tests.preservation.ocfl_check import validate_storage
from tests.servers.muniment import MunimentServer
from tests.servers.postgres import PostgresServer
from tests.servers.seaweedfs import ACCESS_KEY, SECRET_KEY, SeaweedFS

ROOT = Path(__file__).resolve().parents[2]
ITEMS = 10


@pytest.fixture(params=["sqlite", "postgresql+s3"])
def repository(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MUNIMENT_")}
    env.update(
        {
            "MUNIMENT_DATA_DIR": str(tmp_path / "data"),
            "MUNIMENT_QUEUE_LEASE_SECONDS": "2",
            "MUNIMENT_INGEST_WORKERS": "1",
            "MUNIMENT_LOG_LEVEL": "WARNING",
        }
    )
    if request.param == "postgresql+s3":
        postgres: PostgresServer = request.getfixturevalue("postgres")
        server: SeaweedFS = request.getfixturevalue("seaweedfs")
        bucket = server.create_bucket(f"q-{uuid.uuid4().hex[:16]}")
        env.update(
            {
                "MUNIMENT_DATABASE_URL": postgres.create_database(f"q_{uuid.uuid4().hex[:12]}"),
                "MUNIMENT_PRESERVATION_STORAGE": f"s3://{bucket}/preservation",
                "MUNIMENT_ACCESS_STORAGE": f"s3://{bucket}/access",
                "MUNIMENT_S3_ENDPOINT": server.endpoint,
                "MUNIMENT_S3_ACCESS_KEY": ACCESS_KEY,
                "MUNIMENT_S3_SECRET_KEY": SECRET_KEY,
            }
        )
    return env


def muniment(env: dict[str, str], *args: str, log: Path | None = None) -> subprocess.Popen[str]:
    out = log.open("a") if log else subprocess.PIPE
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli.main", *args],
        cwd=ROOT,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT if log else subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def run(env: dict[str, str], *args: str) -> str:
    process = muniment(env, *args)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, out + err
    return out


def write_batch(root: Path, count: int) -> Path:
    rows = ["folder,identifier"]
    for n in range(count):
        make_item(root / f"item{n}", ["p1.tif", "p2.tif"], title=f"Item {n}", seed=n + 1)
        rows.append(f"item{n},ITEM-{n}")
    (root / "batch.csv").write_text("\n".join(rows) + "\n")
    return root / "batch.csv"


def holder_of_a_running_task(store: JobStore, job_id: str, pid: int, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for task in store.get(job_id).tasks:
            if task.state == "running" and f":{pid}:" in task.holder:
                return task.name
        time.sleep(0.01)
    raise AssertionError(f"worker {pid} took no task in {timeout} s")


def wait_until_ended(env: dict[str, str], job_id: str, timeout: float = 180) -> dict[str, object]:
    """The job as ``muniment jobs show --json`` prints it once it has ended (or at the timeout):
    watched from here, since a command per look took a second or two each, then shown once."""
    services = Services.open(Settings.load(environ=env))
    try:
        store = JobStore(services.catalog.db)
        deadline = time.monotonic() + timeout
        while not store.get(job_id).finished and time.monotonic() < deadline:
            time.sleep(0.25)
    finally:
        services.close()
    job: dict[str, object] = json.loads(run(env, "jobs", "show", job_id, "--json"))
    return job


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def assert_each_item_once(env: dict[str, str], workdir: Path) -> None:
    services = Services.open(Settings.load(environ=env))
    try:
        items = services.catalog.db.query("SELECT id, external_id FROM items ORDER BY external_id")
        assert sorted(i["external_id"] for i in items) == sorted(f"ITEM-{n}" for n in range(ITEMS))
        report = validate_storage(services.preservation, workdir)
        assert report.errors == [], report.errors
        assert report.objects == ITEMS, "exactly one OCFL object per item"
        store = services.object_store()
        for item in items:
            bag = store.export_version(object_id(item["id"]), None, workdir / f"bag-{item['id']}")
            bagit.Bag(str(bag)).validate()
    finally:
        services.close()


@pytest.mark.slow
def test_a_worker_killed_mid_task_leaves_every_item_ingested_once(repository: dict[str, str], tmp_path: Path) -> None:
    batch = write_batch(tmp_path / "scans", ITEMS)
    job_id = run(repository, "ingest", "--batch", str(batch), "--collection", "letters", "--queue", "--quiet").strip()
    store = JobStore(Services.open(Settings.load(environ=repository)).catalog.db)
    assert store.get(job_id).state == "queued"
    logs = tmp_path / "logs"
    logs.mkdir()
    doomed = muniment(repository, "worker", log=logs / "doomed.log")
    survivor = None
    try:
        killed_task = holder_of_a_running_task(store, job_id, doomed.pid)
        os.killpg(doomed.pid, signal.SIGKILL)  # mid-task: its Huey message is gone with it
        doomed.wait()
        survivor = muniment(repository, "worker", log=logs / "survivor.log")
        job = wait_until_ended(repository, job_id)
        assert job["state"] == "succeeded", (job, (logs / "survivor.log").read_text()[-3000:])
        tasks = {t["name"]: t for t in job["tasks"]}  # type: ignore[attr-defined]
        assert tasks[killed_task]["attempts"] == 2, tasks[killed_task]
        assert job["progress"]["succeeded"] == ITEMS  # type: ignore[index]
    finally:
        for process in (doomed, survivor):
            if process is not None:
                stop(process)
    assert_each_item_once(repository, tmp_path / "check")


@pytest.mark.slow
def test_two_workers_share_a_batch_and_one_is_killed(tmp_path: Path) -> None:
    """Two workers at once on the embedded default; one dies holding a task, the other finishes."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MUNIMENT_")}
    env.update(
        {
            "MUNIMENT_DATA_DIR": str(tmp_path / "data"),
            "MUNIMENT_QUEUE_LEASE_SECONDS": "2",
            "MUNIMENT_INGEST_WORKERS": "1",
            "MUNIMENT_LOG_LEVEL": "WARNING",
        }
    )
    batch = write_batch(tmp_path / "scans", ITEMS)
    job_id = run(env, "ingest", "--batch", str(batch), "--collection", "letters", "--queue", "--quiet").strip()
    store = JobStore(Services.open(Settings.load(environ=env)).catalog.db)
    workers = [muniment(env, "worker", log=tmp_path / f"worker{n}.log") for n in range(2)]
    try:
        holder_of_a_running_task(store, job_id, workers[1].pid)
        os.killpg(workers[1].pid, signal.SIGKILL)
        job = wait_until_ended(env, job_id)
        assert job["state"] == "succeeded", job
        assert sum(t["attempts"] for t in job["tasks"]) == ITEMS + 1  # type: ignore[attr-defined]
    finally:
        for process in workers:
            stop(process)
    assert_each_item_once(env, tmp_path / "check")


def test_serve_runs_queued_ingests_with_its_own_task_worker(tmp_path: Path) -> None:
    """The embedded default in one command: `muniment serve` starts the consumer beside the web."""
    server = MunimentServer(tmp_path / "data", env={"MUNIMENT_LOG_LEVEL": "WARNING"})
    env = server.env
    folder = make_item(tmp_path / "scans" / "letter", ["p1.tif"], title="A letter", seed=3)
    job_id = run(env, "ingest", str(folder), "--collection", "letters", "--identifier", "L-1", "--queue", "--quiet")
    server.start()
    try:
        job = wait_until_ended(env, job_id.strip(), timeout=90)
        assert job["state"] == "succeeded", job
        listed = run(env, "jobs", "list")
        assert f"{job_id.strip()}  succeeded  folder  1/1" in listed, listed
    finally:
        server.stop()


def _ended(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in status  # a zombie no one has reaped yet has ended too


def test_serve_killed_with_9_its_task_worker_stops_too(tmp_path: Path) -> None:
    """No orphaned consumer polling the queue after its `muniment serve` died without a word."""
    server = MunimentServer(tmp_path / "data", env={"MUNIMENT_QUEUE_LEASE_SECONDS": "3"}).start()
    try:
        assert server.process is not None
        serve = server.process.pid
        deadline = time.monotonic() + 30
        children: list[int] = []
        while not children and time.monotonic() < deadline:
            children = [int(p) for p in Path(f"/proc/{serve}/task/{serve}/children").read_text().split()]
            time.sleep(0.1)
        workers = [p for p in children if b"worker" in Path(f"/proc/{p}/cmdline").read_bytes()]
        assert len(workers) == 1, children
        os.kill(serve, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while not _ended(workers[0]) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _ended(workers[0]), "the task worker outlived its serve"
    finally:
        server.stop()
