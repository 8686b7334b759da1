"""A large item's pages spread over every worker.

A queued folder, batch row or bag of at least ``MUNIMENT_QUEUE_FANOUT_PAGES`` pages is ingested in
three steps (a bag's pages are read from its unpacked copy in the job's staging folder, made by
its item task: ``app.ingest_tasks.stage_bag``). Its item task checks and hashes the pages and
learns the item's id, then adds one page task per page to the job and delivers them: each decodes
its page in full (the last validation) into its pyramid and thumbnail and stores them in access
storage, on whichever worker takes it. Meanwhile the item task, holding the item's writer locks,
sends every scan into the object's next OCFL version (staged: stored, not visible; see
``ingest.pipeline.ItemWrite``), and its own worker takes page tasks too while it waits, so one
worker alone still finishes. When every page task has succeeded, the item task writes the bag's
tag files, commits the version (inventory last) and registers the item: no scan is hashed, sent
or decoded again.

Each step is idempotent and held under a lease: a page task run twice stores the same two files
again (page tasks write nothing to preservation storage), a killed page worker's task is delivered
again when its lease runs out (or taken by the waiting item task), and a killed item task is
delivered again, finds its page tasks already in the job, checks and sends the scans again (the
recovery that begins its version drops what the killed one staged) and goes on waiting. A page
that does not decode fails the item, naming the page; the staged scans are dropped.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path
from typing import Any

from app.ingest_tasks import (
    BAG_KINDS,
    bag_ended,
    bag_result,
    folder_source,
    refused,
    run_ingest_task,
    stage_bag,
    task_result,
)
from app.ocr_tasks import NotYet
from ingest import steps
from ingest.context import ItemContext, ItemSource
from ingest.derivatives import make_derivatives
from ingest.errors import AlreadyIngested, IngestError
from ingest.runner import Ingester
from repo.catalog.jobs import Job, JobStore, JobTask, TaskResult
from repo.errors import Problem
from repo.identifiers import derivative_key, thumbnail_key
from repo.services import Services

FANOUT_KINDS = ("folder", "batch", *BAG_KINDS)
ENDED = ("succeeded", "failed", "cancelled")
WAIT = 0.2  # seconds between looks at the job while other workers hold its pages


def is_page_task(task: JobTask) -> bool:
    return "item_task" in task.params


def page_tasks(job: Job, item_seq: int) -> list[JobTask]:
    return [t for t in job.tasks if t.params.get("item_task") == item_seq]


def prepare(source: ItemSource, ingester: Ingester, staging: Path) -> ItemContext | None:
    """The item's pages checked and hashed (with the checksums its upload to preservation storage
    carries) and its id known; None when the ordinary ingest should answer instead (a problem to
    report, or an item already ingested)."""
    services = ingester.services
    ctx = ItemContext(source, staging)
    steps.find_inputs(ctx)
    steps.read_metadata(ctx)
    if ctx.problems or len(ctx.pages) < services.settings.queue_fanout_pages:
        return None
    with ThreadPoolExecutor(ingester.workers, thread_name_prefix="fanout-hash") as pool:
        steps.check_and_hash_pages(ctx, pool, services.settings.max_image_pixels, services.preservation)
    if ctx.problems:
        return None
    try:
        steps.identify(ctx, services)
    except (AlreadyIngested, IngestError):  # the ordinary ingest says so
        return None
    return ctx


def page_params(item_seq: int, ctx: ItemContext) -> list[tuple[str, dict[str, Any]]]:
    return [
        (
            f"{ctx.source.name} page {page.seq}",
            {
                "item_task": item_seq,
                "item_id": ctx.item_id,
                "page": page.seq,
                "path": str(page.path.resolve()),
                "mime": page.mime,
                "size": [page.header.width, page.header.height] if page.header else None,
            },
        )
        for page in ctx.pages
    ]


def run_page_task(job: Job, task: JobTask, services: Services, holder: str) -> TaskResult:
    """One page's pyramid and thumbnail made and stored (again, when run twice)."""
    p = task.params
    item = next(t for t in job.tasks if t.seq == p["item_task"])
    if not Path(p["path"]).exists() and job.kind in BAG_KINDS and item.state not in ENDED:
        # Its bag is being unpacked again (a retry), or on another machine whose staging folder is
        # not shared with this one: the item task's worker, which has it, takes the page meanwhile.
        raise NotYet(f"waits for its bag: {Path(p['path']).name} is not unpacked here", delay=1.0)
    staging = services.settings.staging_path
    staging.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=staging, prefix="page-") as out:
        made = make_derivatives(
            Path(p["path"]), p["mime"], Path(out), f"{p['page']:04d}", quality=services.settings.pyramid_quality
        )
        if isinstance(made, Problem):
            return TaskResult("failed", p["item_id"], message="does not decode", problems=[made])
        if p["size"] and [made.width, made.height] != p["size"]:
            problem = Problem(p["path"], f"decodes to {made.width}x{made.height}, not its header's size: changed?")
            return TaskResult("failed", p["item_id"], message="changed since it was checked", problems=[problem])
        for local, key in (
            (made.pyramid, derivative_key(p["item_id"], p["page"])),
            (made.thumbnail, thumbnail_key(p["item_id"], p["page"])),
        ):
            with local.open("rb") as stream:
                services.access.put(key, stream)
    return TaskResult("completed", p["item_id"], message=f"pyramid and thumbnail stored by {holder.rsplit(':', 1)[0]}")


class FannedItem:
    """The item task of a large item: page tasks added, helped with and waited for, then the commit.
    ``run_claimed`` runs a page task this process claimed and records its result (the worker's)."""

    def __init__(
        self,
        store: JobStore,
        deliver: Callable[[str, int], None],
        claim: Callable[[str, int], JobTask | None],
        run_claimed: Callable[[JobTask], None],
    ) -> None:
        self.store = store
        self.deliver = deliver
        self.claim = claim
        self.run_claimed = run_claimed

    def run(self, job: Job, task: JobTask, ingester: Ingester) -> TaskResult | None:
        """The item's result, or None when it is not one to spread (the caller ingests it whole)."""
        bag = job.kind in BAG_KINDS
        try:  # a bag's pages are read by page tasks from its staging: unpacked again after a retry
            source = stage_bag(job, task, ingester.services.settings) if bag else folder_source(task)
        except IngestError as exc:
            return bag_result(job, task, ingester, refused(task, exc))
        with ingester.staging() as staging:
            # Checked and hashed again when delivered again: its scans are sent while pages are made.
            ctx = prepare(replace(source, derivatives_made=True), ingester, staging)
            if not page_tasks(job, task.seq):
                if ctx is None:
                    return None
                for seq in self.store.add_tasks(job.id, page_params(task.seq, ctx)):
                    self.deliver(job.id, seq)
            with ingester.writing_ahead(ctx) if ctx is not None else nullcontext() as write:
                failed = self._wait(job.id, task.seq, ingester.workers)
                if failed is None:
                    if bag:
                        bag_ended(job, task, ingester, [], refusal=False)
                    return TaskResult("failed", message="cancelled while its pages were being made")
                if failed:
                    problems = [p for t in failed for p in t.problems]
                    if bag:
                        problems = bag_ended(job, task, ingester, problems)
                    return TaskResult(
                        "failed", message=f"{len(failed)} page(s) failed: nothing was stored", problems=problems
                    )
                if write is not None:
                    result = ingester.commit_ahead(write)
                    return bag_result(job, task, ingester, result) if bag else task_result(result, job.hidden)
        # Another writer held the item, or it is no longer new: the ordinary ingest waits or says so.
        return run_ingest_task(job, task, ingester, derivatives_made=True)

    def _wait(self, job_id: str, item_seq: int, helpers: int) -> list[JobTask] | None:
        """Until every page task has ended, running queued ones here too: the failed ones, or None
        when the job was cancelled."""
        running: dict[int, Future[None]] = {}
        with ThreadPoolExecutor(helpers, thread_name_prefix="fanout-page") as pool:
            while True:
                job = self.store.get(job_id)
                pages = page_tasks(job, item_seq)
                if job.cancelled:
                    for future in running.values():
                        future.result()
                    return None
                if all(t.state in ENDED for t in pages):
                    return [t for t in pages if t.state != "succeeded"]
                for seq in [s for s, f in running.items() if f.done()]:
                    running.pop(seq).result()
                for page in pages:
                    if len(running) >= helpers:
                        break
                    if page.state == "queued" and page.seq not in running:
                        claimed = self.claim(job_id, page.seq)
                        if claimed is not None:
                            running[page.seq] = pool.submit(self.run_claimed, claimed)
                if running:  # a slot freed here is filled at once, not at the next look
                    wait(running.values(), timeout=WAIT, return_when=FIRST_COMPLETED)
                else:
                    time.sleep(WAIT)
