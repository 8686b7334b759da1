"""A job as its staff page shows it, live: each item's state and result, pages done of total as a
large item's page tasks fan out (app.page_tasks), and, while nothing has started, why it waits
(a worker's turn, or no worker seen for a while)."""

from __future__ import annotations

import time
from typing import Any

from app.page_tasks import is_page_task, page_tasks
from app.queue import TaskQueue
from repo.catalog.jobs import Job, JobStore
from repo.errors import Problem


def waiting_reason(job: Job, store: JobStore, lease_seconds: float, now: float | None = None) -> str:
    """Why a job has not started ('' once it has): the answer to "why is it sitting there?"."""
    if job.state != "queued" or job.started:
        return ""
    seen = store.last_worker_seen()
    if seen is None:
        return "Waiting for a worker: none has run yet. Start one with `muniment worker` (or `muniment serve`)."
    silent = int((now or time.time()) - seen)
    if silent > lease_seconds:  # a live worker says so every third of a lease
        return f"Waiting for a worker: none seen for {silent} seconds. Is `muniment worker` running?"
    ahead = store.queued_before(job)
    if ahead:
        return f"Waiting for a worker: {ahead} task(s) of earlier jobs are ahead of it."
    return "Waiting for a worker to take it."


def _problems(problems: list[Problem]) -> list[dict[str, str]]:
    return [{"file": p.file, "reason": p.reason} for p in problems]


def recent_jobs(queue: TaskQueue, lease_seconds: float, limit: int) -> list[dict[str, Any]]:
    """The newest jobs of every kind, as their pages show them (the dashboard's and ingest page's list)."""
    return [job_view(job, queue.jobs, lease_seconds) for job in queue.recent(limit=limit)]


def job_view(job: Job, store: JobStore, lease_seconds: float) -> dict[str, Any]:
    """The job page's content, the same for its HTML and its JSON (which the page polls)."""
    items = []
    pages_done = pages_total = 0
    for task in (t for t in job.tasks if not is_page_task(t)):
        pages = page_tasks(job, task.seq)
        done = sum(1 for p in pages if p.state == "succeeded")
        if task.state == "succeeded":  # its pages are all stored (also a small item's, made in one task)
            done = total = task.pages
        else:
            total = len(pages)
        pages_done, pages_total = pages_done + done, pages_total + total
        items.append(
            {
                "name": task.name,
                "state": task.state,
                "result": task.result,
                "item_id": task.item_id,
                "message": task.message,
                "pages_done": done,
                "pages_total": total,
                "problems": _problems(task.problems + [p for t in pages for p in t.problems]),
            }
        )
    ended = sum(1 for i in items if i["state"] in ("succeeded", "failed", "cancelled"))
    return {
        "id": job.id,
        "kind": job.kind,
        "state": job.state,
        "source": job.source,
        "collection": job.collection,
        "submitted_by": job.submitted_by,
        "created": job.created,
        "started": job.started,
        "finished": job.ended,
        "waiting": waiting_reason(job, store, lease_seconds),
        "items_done": ended,
        "items_total": len(items),
        "pages_done": pages_done,
        "pages_total": pages_total,
        "message": items[0]["message"] if len(items) == 1 else f"{ended} of {len(items)} items ended",
        "item_id": next((i["item_id"] for i in items if i["item_id"]), None),
        "items": items,
    }
