"""OCR as queued tasks: a job of kind ``ocr`` has one task per page (``page``) and one per item
that writes the pages' ALTO into a new version (``store``), so pages fan out over the workers
and each is retried on its own.

A page that fails or times out is retried with the worker's backoff and then stays failed with
its reason (``muniment jobs show``); the item keeps its pages as they were and the other pages'
text is stored. A ``store`` task waits (delivered again a little later) while pages of its
item are still queued or running; a page retried after its item's ``store`` ended stores
itself (``ItemOcr.commit`` is idempotent and runs under the object's writer lock).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from app.queue import TaskQueue
from repo.catalog.jobs import Job, JobTask, TaskResult
from repo.errors import MunimentError
from repo.ocr.service import ItemOcr
from repo.preservation import User
from repo.version import AGENT

KIND = "ocr"
STORE_DELAY_SECONDS = 2.0


class NotYet(MunimentError):
    """The task must wait for others of its job; deliver it again after ``delay`` seconds."""

    def __init__(self, message: str, delay: float = STORE_DELAY_SECONDS) -> None:
        super().__init__(message)
        self.delay = delay


def ocr_tasks(ocr: ItemOcr, item_ids: Sequence[str], *, again: bool = False) -> list[tuple[str, dict[str, Any]]]:
    """Tasks reading the pages that lack text (or every OCR page, ``again``) of each item; text
    the head version already holds (supplied with the scans) is indexed first, here."""
    tasks: list[tuple[str, dict[str, Any]]] = []
    for item_id in item_ids:
        ocr.index_stored(item_id)
        seqs = ocr.plan(item_id, again=again)
        if not seqs:
            continue
        languages = ocr.languages(item_id)
        tasks += [(f"{item_id} page {seq}", {"item": item_id, "seq": seq, "languages": languages}) for seq in seqs]
        tasks.append((f"{item_id} store", {"item": item_id, "store": True}))
    return tasks


def submit_ocr(
    queue: TaskQueue, ocr: ItemOcr, item_ids: Sequence[str], submitted_by: str, *, again: bool = False
) -> Job | None:
    """Queue the OCR of ``item_ids``; None when no page needs reading."""
    tasks = ocr_tasks(ocr, item_ids, again=again)
    if not tasks:
        return None
    source = item_ids[0] if len(item_ids) == 1 else f"{len(item_ids)} items"
    return queue.submit(f"ocr-{uuid.uuid4().hex[:12]}", KIND, source, tasks, submitted_by=submitted_by)


def run_ocr_task(job: Job, task: JobTask, ocr: ItemOcr) -> TaskResult:
    """One page read (``OcrFailed`` propagates: the worker retries it), or an item's pages stored."""
    item_id = task.params["item"]
    user = User(AGENT, ocr.settings.base_url)
    siblings = [t for t in job.tasks if t.params.get("item") == item_id and t.seq != task.seq]
    if task.params.get("store"):
        waiting = [t for t in siblings if t.state in ("queued", "running")]
        if waiting:
            raise NotYet(f"waiting for {len(waiting)} page(s) of {item_id}")
        failed = [t for t in siblings if t.state == "failed"]
        version = ocr.commit(item_id, user)
        read = len(siblings) - len(failed)
        stored = f"stored as v{version}" if version else "nothing new to store"
        note = f"; {len(failed)} page(s) failed (retry the job)" if failed else ""
        return TaskResult("stored", item_id, read, message=f"OCR text of {read} page(s) {stored}{note}")
    seq = int(task.params["seq"])
    words = ocr.read_page(item_id, seq, task.params.get("languages"))
    store = next((t for t in siblings if t.params.get("store")), None)
    if store is not None and store.state in ("succeeded", "failed", "cancelled"):
        ocr.commit(item_id, user)  # retried after its item's text was stored: store this page now
    return TaskResult("read", item_id, 1, message=f"page {seq}: {words} words")
