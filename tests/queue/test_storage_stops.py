"""The S3 server itself dies in the middle of a queued ingest (a real SeaweedFS killed with
SIGKILL once the item's first bytes are in the bucket) and is started again on the same port and
data folder: the task is tried again and completes; while the server is down and after, nothing
half-written is visible (no item in the catalog without its whole object, OCFL validates)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import bagit
import pytest

from app.ingest_tasks import item_task
from app.queue import TaskQueue
from app.worker import Worker
from ingest.context import ItemSource
from repo.catalog.jobs import Job, JobStore
from repo.identifiers import derivative_key, object_id, thumbnail_key
from repo.services import Services
from repo.settings import Settings
from tests.ingest.conftest import MODS, write_page
from tests.preservation.ocfl_check import validate_storage
from tests.servers.seaweedfs import ACCESS_KEY, SECRET_KEY, SeaweedFS

PAGES = 6


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SeaweedFS]:
    """A server of this test's own: the session's is shared and must not die."""
    weed = SeaweedFS(tmp_path / "weed").start()
    yield weed
    weed.stop()


@pytest.fixture
def services(server: SeaweedFS, tmp_path: Path) -> Iterator[Services]:
    bucket = server.create_bucket(f"k-{uuid.uuid4().hex[:16]}")
    settings = Settings(
        data_dir=tmp_path / "data",
        preservation_storage=f"s3://{bucket}/preservation",
        access_storage=f"s3://{bucket}/access",
        s3_endpoint=server.endpoint,
        s3_access_key=ACCESS_KEY,
        s3_secret_key=SECRET_KEY,
        ingest_workers=2,
        s3_attempts=1,  # each request fails at once while the server is down: the queue's retry is what waits
        queue_attempts=6,  # 1 + 2 + 4 + 8 + 16 s: a server restarting under load is back well within
        queue_retry_seconds=1,
        ocr=False,
    )
    opened = Services.open(settings)
    yield opened
    opened.close()


def wait_for(queue: TaskQueue, job_id: str, done: object, timeout: float = 180) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = queue.get(job_id)
        if done(job):  # type: ignore[operator]
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} is still {queue.get(job_id).state}: {queue.get(job_id).tasks[0].message}")


def first_bytes_stored(server: SeaweedFS, bucket: str, timeout: float = 120) -> list[str]:
    """Keys of the item in the bucket (access derivatives or staged scans), as soon as there are any."""
    client = server.client()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
        uploads = client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
        keys = [entry["Key"] for entry in listed + uploads if "checksum-probe" not in entry["Key"]]
        if keys:
            return keys
        time.sleep(0.01)
    raise AssertionError("the ingest stored nothing")


@pytest.mark.slow
def test_the_s3_server_killed_mid_ingest_and_restarted_the_task_completes(
    server: SeaweedFS, services: Services, tmp_path: Path
) -> None:
    folder = tmp_path / "scans" / "ledger"
    folder.mkdir(parents=True)
    for n in range(PAGES):
        write_page(folder / f"p{n + 1}.tif", width=1600, height=1200, seed=n + 1)
    (folder / "mods.xml").write_text(MODS.format(title="A ledger"))
    bucket = services.settings.preservation_storage.split("/")[2]
    queue = TaskQueue(services.settings, JobStore(services.catalog.db))
    queue.submit(
        "00000000000000c1",
        "folder",
        str(folder),
        [item_task(ItemSource(folder, "ledgers", folder / "mods.xml", "L-1"))],
        submitted_by="tester",
    )
    stop = Worker(services).start_in_background()
    try:
        first_bytes_stored(server, bucket)
        server.kill()  # as a crashed server: mid-write, before the object's inventory
        waiting = wait_for(queue, "00000000000000c1", lambda j: "trying again" in j.tasks[0].message)
        assert "StorageUnavailable" in waiting.tasks[0].message, waiting.tasks[0].message
        assert services.catalog.count_items() == 0, "nothing is visible while storage is down"
        server.start()  # the same port and data folder
        job = wait_for(queue, "00000000000000c1", lambda j: j.finished)
    finally:
        stop()
    task = job.tasks[0]
    assert job.state == "succeeded", task.message
    assert task.attempts >= 2 and task.result == "ingested", task.message
    assert services.catalog.count_items() == 1
    item = services.catalog.get_item(task.item_id or "")
    assert item is not None and item.page_count == PAGES
    report = validate_storage(services.preservation, tmp_path / "check")
    assert report.errors == [] and report.objects == 1, report.errors
    bag = services.object_store().export_version(object_id(item.id), None, tmp_path / "bag")
    bagit.Bag(str(bag)).validate()
    assert len(list(Path(bag, "data").rglob("*.tif"))) == PAGES
    for seq in range(1, PAGES + 1):
        assert services.access.exists(derivative_key(item.id, seq))
        assert services.access.exists(thumbnail_key(item.id, seq))
