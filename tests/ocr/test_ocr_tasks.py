"""OCR on the task queue: an ingest queues its pages; a page that times out does not fail the item,
is retried as its own task, stays failed with its reason in the job, and is read by a retry."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from app.ingest_tasks import item_task
from app.queue import TaskQueue
from app.worker import Worker
from ingest.context import ItemSource
from repo.catalog.jobs import Job, JobStore
from repo.search import page_text
from repo.services import Services
from repo.settings import Settings
from tests.ocr.pages import draw_page, words_for
from tests.ocr.test_ocr import MODS


def wait_for(
    queue: TaskQueue, find: Callable[[], Job | None], done: Callable[[Job], bool], timeout: float = 120
) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = find()
        if job is not None and done(job):
            return job
        time.sleep(0.2)
    raise AssertionError(f"no job reached the state in time: {find()}")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    scans = tmp_path / "scans"
    scans.mkdir()
    draw_page(scans / "p1.png", words_for(3, 30), size=30, width=900, height=500, margin=50)
    (scans / "mods.xml").write_text(MODS)
    return scans


def services_with(tmp_path: Path, timeout: float) -> Services:
    settings = Settings(
        data_dir=tmp_path / "data",
        ingest_workers=1,
        queue_attempts=2,
        queue_retry_seconds=1,
        ocr_page_timeout_seconds=timeout,
    )
    return Services.open(settings)


@pytest.fixture
def impatient(tmp_path: Path) -> Iterator[Services]:
    services = services_with(tmp_path, 0.001)  # no page can be read in a millisecond
    yield services
    services.close()


def ocr_job(queue: TaskQueue) -> Job | None:
    return next(iter(queue.recent(kinds=["ocr"])), None)


def test_a_page_that_times_out_is_retried_then_failed_and_a_retry_reads_it(
    impatient: Services, folder: Path, tmp_path: Path
) -> None:
    queue = TaskQueue(impatient.settings, JobStore(impatient.catalog.db))
    name, params = item_task(ItemSource(folder, "registers", folder / "mods.xml", "REG-9"))
    queue.submit("00000000000000c1", "folder", str(folder), [(name, params)], submitted_by="tester")
    stop = Worker(impatient).start_in_background()
    try:
        job = wait_for(queue, lambda: ocr_job(queue), lambda j: j.finished)
    finally:
        stop()
    ingest = queue.get("00000000000000c1")
    assert ingest.state == "succeeded"  # the item is ingested whatever its OCR did
    item_id = ingest.tasks[0].item_id
    assert item_id is not None and impatient.catalog.require_item(item_id).version == 1
    page, store = job.tasks
    assert job.state == "failed"
    assert page.state == "failed" and page.attempts == 2
    assert "timed out" in page.message
    assert store.state == "succeeded" and "1 page(s) failed" in store.message

    patient = services_with(tmp_path, 120)
    retry_queue = TaskQueue(patient.settings, JobStore(patient.catalog.db))
    retry_queue.retry(job.id)
    stop = Worker(patient).start_in_background()
    try:
        again = wait_for(retry_queue, lambda: retry_queue.get(job.id), lambda j: j.finished)
    finally:
        stop()
        retry_queue.close()
    assert again.state == "succeeded", [t.message for t in again.tasks]
    assert patient.catalog.require_item(item_id).version == 2  # the page stored itself
    assert page_text.stored_pages(patient.catalog.db, item_id) == {1}
    patient.close()
    queue.close()
