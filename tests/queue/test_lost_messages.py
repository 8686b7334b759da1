"""A job recorded whose queue message never arrived (its producer stopped between the two, or
the queue refused the write) is not left `queued` for ever: with nothing pending or scheduled in
the queue, a worker delivers its tasks again, and the item is ingested once."""

from __future__ import annotations

import time
from pathlib import Path

from app.ingest_tasks import item_task
from app.queue import TaskQueue
from app.worker import Worker
from ingest.context import ItemSource
from repo.catalog.jobs import JobStore
from repo.services import Services
from repo.settings import Settings
from tests.ingest.conftest import make_item


def test_a_queued_task_whose_message_was_lost_is_delivered_again(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", ocr=False, queue_lease_seconds=1, ingest_workers=1)
    services = Services.open(settings)
    store = JobStore(services.catalog.db)
    queue = TaskQueue(settings, store)
    folder = make_item(tmp_path / "scans" / "letter", ["p1.tif"], title="A letter", seed=3)
    # Recorded only, as a producer killed before queueing leaves it: no message anywhere.
    store.create(
        "00000000000000d1",
        "folder",
        str(folder),
        [item_task(ItemSource(folder, "letters", folder / "mods.xml", "LOST-1"))],
        submitted_by="tester",
    )
    assert queue.huey.pending_count() == 0
    stop = Worker(services).start_in_background()
    try:
        deadline = time.monotonic() + 60
        while not (job := queue.get("00000000000000d1")).finished and time.monotonic() < deadline:
            time.sleep(0.1)
        assert job.state == "succeeded", [(t.state, t.message) for t in job.tasks]
        assert services.catalog.count_items() == 1
    finally:
        stop()
        queue.close()
        services.close()
