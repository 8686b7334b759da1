"""A large item's pages spread over the workers: page tasks made and stored by whichever worker
takes them, the item stored and registered once they are all done. One worker alone finishes it;
two share it, and one killed with kill -9 while it holds a page leaves the item ingested once,
with a valid object and bag and every page's derivatives; a page that does not decode fails the
item, naming the page, with nothing registered or stored."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

import bagit
import pytest
import pyvips

from app.ingest_tasks import item_task
from app.page_tasks import FannedItem, run_page_task
from app.queue import TaskQueue
from app.worker import Worker
from ingest.context import ItemSource
from ingest.runner import Ingester
from repo.catalog.jobs import Job, JobStore, JobTask, TaskResult
from repo.identifiers import derivative_key, object_id, thumbnail_key
from repo.preservation.ocfl_root import STAGING
from repo.services import Services
from repo.settings import Settings
from tests.conftest import new_bucket
from tests.ingest.conftest import make_item, write_page
from tests.preservation.ocfl_check import validate_storage
from tests.queue.test_workers import muniment, run, stop, wait_until_ended
from tests.servers.seaweedfs import ACCESS_KEY, SECRET_KEY, SeaweedFS

PAGES = 6
SCANS = [f"p{n}.tif" for n in range(1, PAGES + 1)]
HOLDER = "tests:1:here"  # a worker's holder: host, process, start


def book(root: Path, width: int = 300) -> Path:
    folder = make_item(root / "book", SCANS, title="A large book")
    if width != 300:
        for n in range(1, PAGES + 1):
            write_page(folder / f"p{n}.tif", width=width, height=width, seed=n)
    return folder


def assert_ingested_once(settings: Settings, workdir: Path) -> str:
    services = Services.open(settings)
    try:
        items = services.catalog.db.query("SELECT id FROM items")
        assert len(items) == 1
        item_id = items[0]["id"]
        pages = services.catalog.files(item_id)
        assert len(pages) == PAGES
        for page in pages:
            pyramid = pyvips.Image.new_from_buffer(
                services.access.get_bytes(derivative_key(item_id, page.seq)), "", fail_on="error"
            )
            assert (pyramid.width, pyramid.height) == (page.width, page.height)
            pyvips.Image.new_from_buffer(services.access.get_bytes(thumbnail_key(item_id, page.seq)), "").avg()
        report = validate_storage(services.preservation, workdir)
        assert report.errors == [] and report.objects == 1, report.errors
        bag = services.object_store().export_version(object_id(item_id), None, workdir / "bag")
        bagit.Bag(str(bag)).validate()
        return str(item_id)
    finally:
        services.close()


def queue_book(settings: Settings, folder: Path) -> tuple[TaskQueue, str]:
    services = Services.open(settings)
    queue = TaskQueue(settings, JobStore(services.catalog.db))
    task = item_task(ItemSource(folder, "books", folder / "mods.xml", "BOOK-1"))
    queue.submit("00000000000000f1", "folder", str(folder), [task], submitted_by="tester")
    return queue, "00000000000000f1"


def wait_for_end(queue: TaskQueue | JobStore, job_id: str, timeout: float = 120) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = queue.get(job_id)
        if job.finished:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} is still {queue.get(job_id).state}")


def test_one_worker_alone_makes_every_page_then_registers_the_item(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", ingest_workers=2, queue_fanout_pages=PAGES)
    queue, job_id = queue_book(settings, book(tmp_path / "scans"))
    services = Services.open(settings)
    stop_worker = Worker(services).start_in_background()
    try:
        job = wait_for_end(queue, job_id)
    finally:
        stop_worker()
        services.close()
    assert job.state == "succeeded", [(t.name, t.message) for t in job.tasks]
    item, *pages = job.tasks
    assert item.result == "ingested" and item.pages == PAGES
    assert [t.name for t in pages] == [f"{item.name} page {n}" for n in range(1, PAGES + 1)]
    assert all(t.result == "completed" and t.item_id == item.item_id for t in pages)
    assert assert_ingested_once(settings, tmp_path / "check") == item.item_id


def test_below_the_threshold_an_item_stays_one_task(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", ingest_workers=2, queue_fanout_pages=PAGES + 1)
    queue, job_id = queue_book(settings, book(tmp_path / "scans"))
    services = Services.open(settings)
    stop_worker = Worker(services).start_in_background()
    try:
        job = wait_for_end(queue, job_id)
    finally:
        stop_worker()
        services.close()
    assert job.state == "succeeded" and len(job.tasks) == 1
    assert_ingested_once(settings, tmp_path / "check")


def test_a_page_that_does_not_decode_fails_the_item_and_nothing_is_stored(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", ingest_workers=2, queue_fanout_pages=PAGES)
    folder = book(tmp_path / "scans")
    (folder / "p4.tif").unlink()
    damaged = write_page(folder / "p4.jpg", seed=4)
    damaged.write_bytes(damaged.read_bytes()[: damaged.stat().st_size // 2])  # a JPEG's header still reads
    queue, job_id = queue_book(settings, folder)
    services = Services.open(settings)
    stop_worker = Worker(services).start_in_background()
    try:
        job = wait_for_end(queue, job_id)
        assert job.state == "failed"
        item = job.tasks[0]
        assert item.message == "1 page(s) failed: nothing was stored", [(t.name, t.message) for t in job.tasks]
        assert [p.file for p in item.problems] == [str(damaged)]
        assert "does not decode" in item.problems[0].reason
        assert services.catalog.count_items() == 0
        assert not [k for k in services.preservation.list("") if k.endswith("inventory.json")], "no object"
    finally:
        stop_worker()
        services.close()


def staged_scans(services: Services) -> list[str]:
    """The names of the scans staged for a version not yet committed (filesystem storage)."""
    return sorted(k.rsplit("/", 1)[1] for k in services.preservation.list(STAGING + "/") if "/content/data/" in k)


def run_item_here(settings: Settings, folder: Path, run_page: Callable[[Job, JobTask], TaskResult]) -> Job:
    """The book queued, and its item task run by this process as a worker runs it, with no other
    worker: the item task's own helpers claim its page tasks, each run by ``run_page`` (where a test
    plays a second delivery) and its result recorded."""
    queue, job_id = queue_book(settings, folder)
    services = Services.open(settings)
    store = JobStore(services.catalog.db)

    def claim(job_id: str, seq: int) -> JobTask | None:
        return store.claim(job_id, seq, HOLDER, lease_seconds=60)

    def run_claimed(task: JobTask) -> None:
        store.finish(task, run_page(store.get(task.job_id), task))

    ingester = Ingester(services)
    try:
        item = claim(job_id, 1)
        assert item is not None
        fanned = FannedItem(store, lambda job_id, seq: None, claim, run_claimed)
        result = fanned.run(store.get(job_id), item, ingester)
        assert result is not None
        store.finish(item, result)
        return store.get(job_id)
    finally:
        ingester.close()
        services.close()
        queue.close()


def s3_settings(seaweedfs: SeaweedFS, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        s3_endpoint=seaweedfs.endpoint,
        s3_access_key=ACCESS_KEY,
        s3_secret_key=SECRET_KEY,
        preservation_storage=f"s3://{new_bucket(seaweedfs)}",
        access_storage=f"s3://{new_bucket(seaweedfs)}",
        ingest_workers=2,
        queue_fanout_pages=PAGES,
    )


@pytest.mark.parametrize("backend", ["filesystem", "s3"])
def test_a_page_task_delivered_twice_stores_one_copy(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Every page task run a second time while the item's scans are staged (as when its first
    worker's lease ran out mid-task and another took it), and once more after the commit: the
    item is stored once, each scan once in its object, each derivative once, nothing left staged."""
    if backend == "s3":
        settings = s3_settings(request.getfixturevalue("seaweedfs"), tmp_path)
    else:
        settings = Settings(data_dir=tmp_path / "data", ingest_workers=2, queue_fanout_pages=PAGES)

    def twice(job: Job, task: JobTask) -> TaskResult:
        run_page_task(job, task, services, "late:1:a")
        return run_page_task(job, task, services, HOLDER)

    services = Services.open(settings)
    try:
        job = run_item_here(settings, book(tmp_path / "scans"), twice)
        assert job.state == "succeeded", [(t.name, t.message) for t in job.tasks]
        run_page_task(job, job.tasks[3], services, "later:1:b")  # delivered again after the item was stored
        item_id = assert_ingested_once(settings, tmp_path / "check")
        expected = sorted(
            k for n in range(1, PAGES + 1) for k in (derivative_key(item_id, n), thumbnail_key(item_id, n))
        )
        assert sorted(services.access.list("")) == expected
        stored = list(services.preservation.list(""))
        assert sorted(k.rsplit("/", 1)[1] for k in stored if "/content/data/" in k) == SCANS
        assert not [k for k in stored if k.startswith(STAGING + "/")]
        assert services.preservation.abort_pending("") == []  # no upload was left pending either
    finally:
        services.close()


def test_the_scans_are_in_the_object_before_its_last_page_is_made(tmp_path: Path) -> None:
    """The item task sends the scans while the page tasks run, not after: its last page is made
    only once every scan is staged in the object's next version, and the commit still succeeds."""
    settings = Settings(data_dir=tmp_path / "data", ingest_workers=2, queue_fanout_pages=PAGES)
    services = Services.open(settings)
    staged_before_last: list[str] = []

    def last_after_scans(job: Job, task: JobTask) -> TaskResult:
        if task.params["page"] == PAGES:
            deadline = time.monotonic() + 30
            while len(staged_scans(services)) < PAGES and time.monotonic() < deadline:
                time.sleep(0.05)
            staged_before_last.extend(staged_scans(services))
        return run_page_task(job, task, services, HOLDER)

    try:
        job = run_item_here(settings, book(tmp_path / "scans"), last_after_scans)
        assert job.state == "succeeded", [(t.name, t.message) for t in job.tasks]
        assert staged_before_last == SCANS
        assert staged_scans(services) == []
        assert_ingested_once(settings, tmp_path / "check")
    finally:
        services.close()


def test_an_item_another_writer_holds_is_sent_after_its_pages_and_stored_once(tmp_path: Path) -> None:
    """While another writer holds the item (the same book being stored by another run), its item
    task sends nothing ahead and does not wait: its pages are made, then it stores the item the
    ordinary way, once that writer is done."""
    settings = Settings(data_dir=tmp_path / "data", ingest_workers=2, queue_fanout_pages=PAGES)
    services = Services.open(settings)
    held, release = threading.Event(), threading.Event()

    def other_writer() -> None:
        with services.object_store().writing(object_id("BOOK-1")):
            held.set()
            release.wait(30)

    staged_meanwhile: list[int] = []

    def page_then_release(job: Job, task: JobTask) -> TaskResult:
        staged_meanwhile.append(len(staged_scans(services)))
        release.set()
        return run_page_task(job, task, services, HOLDER)

    writer = threading.Thread(target=other_writer)
    writer.start()
    try:
        assert held.wait(10)
        job = run_item_here(settings, book(tmp_path / "scans"), page_then_release)
    finally:
        release.set()
        writer.join()
        services.close()
    assert job.state == "succeeded", [(t.name, t.message) for t in job.tasks]
    assert staged_meanwhile == [0] * PAGES
    assert assert_ingested_once(settings, tmp_path / "check") == "BOOK-1"


def queued_from_the_command_line(tmp_path: Path) -> tuple[dict[str, str], Settings, str]:
    """A book queued by `muniment ingest --queue`, for worker processes with short leases: their
    environment, its settings and the job's id."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MUNIMENT_")}
    env.update(
        {
            "MUNIMENT_DATA_DIR": str(tmp_path / "data"),
            "MUNIMENT_QUEUE_LEASE_SECONDS": "2",
            "MUNIMENT_QUEUE_FANOUT_PAGES": str(PAGES),
            "MUNIMENT_INGEST_WORKERS": "1",
            "MUNIMENT_LOG_LEVEL": "WARNING",
        }
    )
    folder = book(tmp_path / "scans", width=2500)  # each page takes a while to decode
    job_id = run(env, "ingest", str(folder), "--collection", "books", "--identifier", "BOOK-1", "--queue", "--quiet")
    return env, Settings.load(environ=env), job_id.strip()


@pytest.mark.slow
def test_two_workers_share_the_pages_and_one_killed_holding_a_page_loses_nothing(tmp_path: Path) -> None:
    env, settings, job_id = queued_from_the_command_line(tmp_path)
    services = Services.open(settings)
    store = JobStore(services.catalog.db)
    workers = [muniment(env, "worker", log=tmp_path / f"worker{n}.log") for n in range(2)]
    doomed = workers[1]
    try:
        deadline = time.monotonic() + 90
        killed = None
        while killed is None and time.monotonic() < deadline:
            pages = [t for t in store.get(job_id).tasks if "item_task" in t.params]
            made_one = any(t.message.endswith(f":{doomed.pid}") for t in pages)
            for task in pages:
                if made_one and task.state == "running" and f":{doomed.pid}:" in task.holder:
                    killed = task.name
            time.sleep(0.01)
        assert killed is not None, "the second worker made no page and took another"
        os.killpg(doomed.pid, signal.SIGKILL)
        doomed.wait()
        job = wait_until_ended(env, job_id)
        assert job["state"] == "succeeded", job
        tasks = {t["name"]: t for t in job["tasks"]}  # type: ignore[attr-defined]
        assert tasks[killed]["attempts"] == 2, tasks[killed]
        makers = {t["message"].rsplit(" by ", 1)[-1] for name, t in tasks.items() if " page " in name}
        assert len(makers) == 2, f"the pages were made by {makers}: both workers took some"
    finally:
        for process in workers:
            stop(process)
        services.close()
    assert_ingested_once(settings, tmp_path / "check")


@pytest.mark.slow
def test_the_item_task_killed_while_its_scans_are_staged_is_stored_once_by_the_other_worker(tmp_path: Path) -> None:
    """kill -9 of the worker whose item task holds the item's locks and has staged its scans: the
    other worker takes the item task again, its version's recovery drops the staged scans of the
    killed one, and the item is stored once, with nothing left staged."""
    env, settings, job_id = queued_from_the_command_line(tmp_path)
    services = Services.open(settings)
    store = JobStore(services.catalog.db)
    workers = [muniment(env, "worker", log=tmp_path / f"worker{n}.log") for n in range(2)]
    try:
        deadline = time.monotonic() + 90
        doomed = None
        while doomed is None and time.monotonic() < deadline:
            item = store.get(job_id).tasks[0]
            if item.state == "running" and len(staged_scans(services)) == PAGES:
                doomed = next((w for w in workers if f":{w.pid}:" in item.holder), None)
            time.sleep(0.02)
        assert doomed is not None, "the item task never held its scans staged"
        os.killpg(doomed.pid, signal.SIGKILL)
        doomed.wait()
        job = wait_for_end(store, job_id)
        assert job.state == "succeeded", [(t.name, t.message) for t in job.tasks]
        item = job.tasks[0]
        assert item.attempts == 2 and item.result == "ingested", item
    finally:
        for process in workers:
            stop(process)
    assert not list(services.preservation.list(STAGING + "/"))
    services.close()
    assert_ingested_once(settings, tmp_path / "check")
