"""A bulk metadata import as a queued job (kind ``metadata``): one task per item that changes,
each a new version through the edit path, so each item is atomic and the job's tasks are the
per-item report (``muniment jobs show``, the staff job page)."""

from __future__ import annotations

import uuid

from app.queue import TaskQueue
from repo.audit import Preservation
from repo.catalog.jobs import Job, JobTask, TaskResult
from repo.errors import NotFoundError
from repo.lifecycle import EditConflict, edit_fields
from repo.lifecycle.bulk_metadata import ImportPlan, require_applicable
from repo.metadata.errors import MetadataError
from repo.preservation import User
from repo.services import Services

KIND = "metadata"


def submit_import(queue: TaskQueue, plan: ImportPlan, submitted_by: str) -> Job:
    """Queue the plan's items (a file-level problem refuses the whole import first)."""
    tasks = [
        (
            f"row {change.row} {change.item_id}",
            {
                "item": change.item_id,
                "row": change.row,
                "based_on": change.based_on,
                "dc": {element: list(values) for element, values in change.dc.items()},
            },
        )
        for change in require_applicable(plan)
    ]
    return queue.submit(f"metadata-{uuid.uuid4().hex[:12]}", KIND, plan.filename, tasks, submitted_by=submitted_by)


def run_metadata_task(job: Job, task: JobTask, services: Services) -> TaskResult:
    """One item edited; what is wrong with the item itself (changed since the plan, a value its
    record refuses) is the task's result, storage and database outages propagate (retried)."""
    item_id = task.params["item"]
    preservation = Preservation(services)
    try:
        result = edit_fields(
            preservation,
            item_id,
            task.params["dc"],
            User(job.submitted_by),
            based_on=task.params["based_on"],
            filename=f"{job.source} row {task.params['row']}",
        )
    except (EditConflict, MetadataError, NotFoundError) as exc:
        return TaskResult("failed", item_id, message=exc.message.splitlines()[0], problems=exc.problems)
    finally:
        preservation.close()
    if not result.version:
        return TaskResult("unchanged", item_id, message="the item already holds these values: no new version")
    return TaskResult("edited", item_id, message=f"v{result.version}: {', '.join(result.changed)} changed")
