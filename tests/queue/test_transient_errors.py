"""S3 out of reach while a queued ingest runs (a real SeaweedFS behind a relay that goes down):
the task is tried again with a backoff and completes when storage comes back, or ends ``failed``
with its reason after its last attempt, nothing of it visible, and is retried by hand."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.ingest_tasks import item_task
from app.queue import TaskQueue
from app.worker import Worker
from ingest.context import ItemSource
from repo.catalog.jobs import Job, JobStore
from repo.services import Services
from repo.settings import Settings
from tests.ingest.conftest import make_item
from tests.servers.outage_proxy import OutageProxy
from tests.servers.seaweedfs import ACCESS_KEY, SECRET_KEY, SeaweedFS


@pytest.fixture
def proxy(seaweedfs: SeaweedFS) -> Iterator[OutageProxy]:
    relay = OutageProxy(int(seaweedfs.endpoint.rsplit(":", 1)[1]))
    yield relay
    relay.close()


@pytest.fixture
def services(seaweedfs: SeaweedFS, proxy: OutageProxy, tmp_path: Path) -> Iterator[Services]:
    bucket = seaweedfs.create_bucket(f"o-{uuid.uuid4().hex[:16]}")
    settings = Settings(
        data_dir=tmp_path / "data",
        preservation_storage=f"s3://{bucket}/preservation",
        access_storage=f"s3://{bucket}/access",
        s3_endpoint=f"http://127.0.0.1:{proxy.port}",
        s3_access_key=ACCESS_KEY,
        s3_secret_key=SECRET_KEY,
        ingest_workers=1,
        s3_attempts=1,  # the outage is the queue's to retry, not botocore's
        queue_attempts=2,
        queue_retry_seconds=1,
    )
    opened = Services.open(settings)
    yield opened
    opened.close()


def wait_for(queue: TaskQueue, job_id: str, done: object, timeout: float = 120) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = queue.get(job_id)
        if done(job):  # type: ignore[operator]
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} is still {queue.get(job_id).state}")


def queue_one(services: Services, tmp_path: Path) -> tuple[TaskQueue, str]:
    folder = make_item(tmp_path / "scans" / "letter", ["p1.tif"], title="A letter", seed=7)
    queue = TaskQueue(services.settings, JobStore(services.catalog.db))
    task = item_task(ItemSource(folder, "letters", folder / "mods.xml", "LETTER-1"))
    queue.submit("00000000000000b1", "folder", str(folder), [task], submitted_by="tester")
    return queue, "00000000000000b1"


@pytest.mark.slow
def test_an_outage_is_retried_and_the_ingest_completes(services: Services, proxy: OutageProxy, tmp_path: Path) -> None:
    proxy.up = False
    queue, job_id = queue_one(services, tmp_path)
    stop = Worker(services).start_in_background()
    try:
        waiting = wait_for(queue, job_id, lambda j: "trying again" in j.tasks[0].message)
        assert waiting.state in ("queued", "running") and "StorageUnavailable" in waiting.tasks[0].message
        assert services.catalog.count_items() == 0
        proxy.up = True
        job = wait_for(queue, job_id, lambda j: j.finished)
    finally:
        stop()
    assert job.state == "succeeded", job.tasks[0].message
    assert job.tasks[0].attempts == 2 and job.tasks[0].result == "ingested"
    assert services.catalog.get_item(job.tasks[0].item_id or "") is not None


@pytest.mark.slow
def test_the_last_failed_attempt_stays_failed_with_its_reason_and_is_retried_by_hand(
    services: Services, proxy: OutageProxy, tmp_path: Path
) -> None:
    proxy.up = False
    queue, job_id = queue_one(services, tmp_path)
    stop = Worker(services).start_in_background()
    try:
        job = wait_for(queue, job_id, lambda j: j.finished)
        assert job.state == "failed" and job.tasks[0].attempts == 2
        assert job.tasks[0].message.startswith("failed after 2 attempts: StorageUnavailable: ")
        assert "127.0.0.1" in job.tasks[0].message, "the reason names the endpoint"
        assert services.catalog.count_items() == 0, "nothing half-written is visible"
        proxy.up = True
        queue.retry(job_id)
        job = wait_for(queue, job_id, lambda j: j.finished)
    finally:
        stop()
    assert job.state == "succeeded" and job.tasks[0].attempts == 1, job.tasks[0].message
    assert services.catalog.count_items() == 1
