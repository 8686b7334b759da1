"""A large bag's pages spread over the workers like a folder's: a queued zip bag is unpacked once
into the job's staging folder under the data folder, where both `muniment worker` processes read
its pages; the item is ingested once, with a valid object and bag, and the staging is gone when the
job ends. A bag whose page does not decode fails, naming the page, with nothing stored; a worker
that starts removes what ended jobs left staged."""

from __future__ import annotations

import os
import shutil
import time
import zipfile
from pathlib import Path

import bagit
import pytest

from app.ingest_tasks import bag_task
from app.queue import TaskQueue, job_staging
from app.worker import Worker
from ingest.context import ItemSource
from ingest.runner import Ingester
from repo.auth import WriteLog
from repo.catalog.jobs import JobStore
from repo.identifiers import object_id
from repo.services import Services
from repo.settings import Settings
from tests.ingest.conftest import make_item, write_page
from tests.preservation.ocfl_check import validate_storage
from tests.queue.test_page_fanout import wait_for_end
from tests.queue.test_workers import muniment, run, stop, wait_until_ended

PAGES = 12


@pytest.fixture(scope="module")
def sent_bag(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return exported_bag(tmp_path_factory.mktemp("sent"))


def exported_bag(root: Path) -> Path:
    """A bag as another repository would send it: a book ingested elsewhere, its head exported."""
    folder = make_item(root / "book", [f"p{n:02d}.tif" for n in range(1, PAGES + 1)], title="A large bag")
    for n in range(1, PAGES + 1):  # big enough to take a moment to decode, so that both workers get some
        write_page(folder / f"p{n:02d}.tif", width=900, height=900, seed=n)
    services = Services.open(Settings(data_dir=root / "elsewhere", queue_fanout_pages=0))
    ingester = Ingester(services)
    try:
        result = ingester.ingest(ItemSource(folder, "books", folder / "mods.xml", "BAG-1"))
        assert result.status == "ingested", result.problems
        return services.object_store().export_version(object_id(str(result.item_id)), None, root / "bag")
    finally:
        ingester.close()
        services.close()


def zipped(bag: Path, archive: Path) -> Path:
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(bag.rglob("*")):
            if path.is_file():
                zf.write(path, f"bag/{path.relative_to(bag)}")
    return archive


def test_a_queued_zip_bag_is_made_by_both_workers_from_one_shared_staging(sent_bag: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MUNIMENT_")}
    env.update(
        {
            "MUNIMENT_DATA_DIR": str(tmp_path / "data"),
            "MUNIMENT_QUEUE_FANOUT_PAGES": str(PAGES),
            "MUNIMENT_INGEST_WORKERS": "1",
            "MUNIMENT_LOG_LEVEL": "WARNING",
        }
    )
    settings = Settings.load(environ=env)
    archive = zipped(sent_bag, tmp_path / "book.zip")
    workers = [muniment(env, "worker", log=tmp_path / f"worker{n}.log") for n in range(2)]
    try:
        job_id = run(env, "ingest", "--bag", str(archive), "--queue", "--quiet").strip()
        job = wait_until_ended(env, job_id)
    finally:
        for process in workers:
            stop(process)
    tasks = job["tasks"]
    assert job["state"] == "succeeded", tasks
    item, *pages = tasks  # type: ignore[misc]
    assert item["result"] == "ingested" and item["pages"] == PAGES, item
    assert len(pages) == PAGES and all(t["result"] == "completed" for t in pages), pages
    makers = {t["message"].rsplit(" by ", 1)[-1] for t in pages}
    assert makers == {f"{os.uname().nodename}:{w.pid}" for w in workers}, f"pages made by {makers}"

    services = Services.open(settings)
    try:
        stored = JobStore(services.catalog.db).get(job_id)
        staged = job_staging(settings, job_id)
        page_files = [Path(t.params["path"]) for t in stored.tasks[1:]]
        assert all(staged in p.parents for p in page_files), "pages read from the job's staging"
        assert not staged.exists() and not any((settings.staging_path / "jobs").iterdir())
        assert [i["external_id"] for i in services.catalog.db.query("SELECT external_id FROM items")] == ["BAG-1"]
        report = validate_storage(services.preservation, tmp_path / "check")
        assert report.errors == [] and report.objects == 1, report.errors
        bag = services.object_store().export_version(object_id(item["item_id"]), None, tmp_path / "again")
        bagit.Bag(str(bag)).validate()
        assert len(list((bag / "data").glob("*.tif"))) == PAGES
    finally:
        services.close()


def test_a_bag_whose_page_does_not_decode_fails_naming_it_and_stores_nothing(sent_bag: Path, tmp_path: Path) -> None:
    bag = Path(shutil.copytree(sent_bag, tmp_path / "bag"))
    (bag / "data" / "p04.tif").unlink()
    damaged = write_page(bag / "data" / "p04.jpg", seed=4)
    damaged.write_bytes(damaged.read_bytes()[: damaged.stat().st_size // 2])  # its header still reads
    bagit.Bag(str(bag)).save(manifests=True)  # a valid bag: its checksums are those of the damage
    archive = zipped(bag, tmp_path / "book.zip")

    settings = Settings(data_dir=tmp_path / "data", ingest_workers=2, queue_fanout_pages=PAGES)
    services = Services.open(settings)
    queue = TaskQueue(settings, JobStore(services.catalog.db))
    queue.submit("00000000000000b1", "bag", str(archive), [bag_task(archive, "book.zip", None)], submitted_by="t")
    stop_worker = Worker(services).start_in_background()
    try:
        job = wait_for_end(queue, "00000000000000b1")
        assert job.state == "failed"
        item, *pages = job.tasks
        assert len(pages) == PAGES, "it was spread over page tasks"
        assert item.message == "1 page(s) failed: nothing was stored", [(t.name, t.message) for t in job.tasks]
        assert [p.file for p in item.problems] == ["bag/data/p04.jpg"]
        assert "does not decode" in item.problems[0].reason
        assert services.catalog.count_items() == 0
        assert not [k for k in services.preservation.list("") if k.endswith("inventory.json")], "no object"
        assert not job_staging(settings, job.id).exists()
        refusal = next(iter(WriteLog(services.catalog.db).entries(target=job.id, limit=1)))
        assert refusal.action == "ingest refused (bag)" and "p04.jpg" in refusal.detail
    finally:
        stop_worker()
        queue.close()
        services.close()


def test_a_bag_cancelled_while_its_pages_are_made_leaves_nothing_staged(sent_bag: Path, tmp_path: Path) -> None:
    archive = zipped(sent_bag, tmp_path / "book.zip")
    settings = Settings(data_dir=tmp_path / "data", ingest_workers=1, queue_fanout_pages=PAGES)
    services = Services.open(settings)
    queue = TaskQueue(settings, JobStore(services.catalog.db))
    queue.submit("00000000000000d1", "bag", str(archive), [bag_task(archive, "book.zip", None)], submitted_by="t")
    stop_worker = Worker(services).start_in_background()
    try:
        deadline = time.monotonic() + 60
        while len(queue.get("00000000000000d1").tasks) == 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert job_staging(settings, "00000000000000d1").exists(), "unpacked while its pages are made"
        queue.cancel("00000000000000d1")
        job = wait_for_end(queue, "00000000000000d1")
        item, *pages = job.tasks
        assert item.message == "cancelled while its pages were being made", [(t.name, t.message) for t in job.tasks]
        assert "cancelled" in {t.state for t in pages}, "cancelled before every page was made"
        assert services.catalog.count_items() == 0
        assert not job_staging(settings, job.id).exists()
    finally:
        stop_worker()
        queue.close()
        services.close()


def test_a_starting_worker_removes_the_staging_of_ended_jobs_only(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    services = Services.open(settings)
    store = JobStore(services.catalog.db)
    queue = TaskQueue(settings, store)
    archive = tmp_path / "absent.zip"
    for job_id in ("00000000000000c1", "00000000000000c2"):
        queue.submit(job_id, "bag", str(archive), [bag_task(archive, "absent.zip", None)], submitted_by="t")
    store.cancel("00000000000000c1")  # ended while no worker ran
    assert store.claim("00000000000000c2", 1, "elsewhere:1:x", 600) is not None  # another worker's
    for job_id in ("00000000000000c1", "00000000000000c2", "00000000000000c3"):  # c3: no such job
        (job_staging(settings, job_id) / "1" / "unpacked").mkdir(parents=True)
    stop_worker = Worker(services).start_in_background()
    stop_worker()
    queue.close()
    services.close()
    assert sorted(p.name for p in (settings.staging_path / "jobs").iterdir()) == ["00000000000000c2"]
