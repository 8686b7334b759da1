"""Ingest as queued tasks: what a job's tasks hold (one item each, as JSON) and how a worker runs
one with the same ingest steps as the foreground ``muniment ingest``.

Kinds: ``folder`` (a folder of scans), ``batch`` (one task per CSV row), ``bag`` (a bag from the
command line), ``path`` and ``upload`` (the admin API's bags). Paths are absolute: a worker's
working folder is not the submitter's.

A bag is validated, an archive unpacked first, in its task's folder under the job's staging
(``app.queue.job_staging``), where the page tasks of a large bag read its pages on any worker of
the machine (of every machine, when the staging folder is shared). It goes when the item task ends,
and with the job's staging when the job ends (done, failed or cancelled) or when a worker starts.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

from app.queue import job_staging
from ingest.bag_input import bag_source, describe_bag
from ingest.context import ItemSource
from ingest.errors import IngestError
from ingest.runner import Ingester, ItemResult
from repo.auth import WriteLog, WriteRecord, refused_bag
from repo.catalog.jobs import Job, JobTask, TaskResult
from repo.errors import Problem
from repo.settings import Settings

BAG_KINDS = ("bag", "path", "upload")
VALIDATED = "validated"  # in a bag task's staging folder, once its bag is: the bag's folder
KINDS = ("folder", "batch", *BAG_KINDS)


def item_task(source: ItemSource) -> tuple[str, dict[str, Any]]:
    """A folder of scans (or a batch row) as a task: its name and parameters."""
    params = {
        "folder": str(source.folder.resolve()),
        "collection": source.collection,
        "metadata": str(source.metadata.resolve()) if source.metadata else None,
        "identifier": source.identifier,
        "dc_fields": source.dc_fields,
        "label": source.label,
        "bag_info": [list(pair) for pair in source.bag_info],
        "update": source.update,
    }
    return source.name, params


def bag_task(
    location: Path, name: str, collection: str | None, profile: Path | None = None
) -> tuple[str, dict[str, Any]]:
    params = {
        "location": str(location.resolve()),
        "collection": collection,
        "profile": str(profile.resolve()) if profile else None,
    }
    return name, params


def folder_source(task: JobTask, *, derivatives_made: bool = False) -> ItemSource:
    """The folder of scans (or batch row) a ``folder`` or ``batch`` task names."""
    params = task.params
    return ItemSource(
        folder=Path(params["folder"]),
        collection=params["collection"],
        metadata=Path(params["metadata"]) if params.get("metadata") else None,
        identifier=params.get("identifier"),
        dc_fields=params.get("dc_fields"),
        label=params.get("label", ""),
        bag_info=tuple((k, v) for k, v in params.get("bag_info", [])),
        derivatives_made=derivatives_made,
        update=params.get("update", False),
    )


def run_ingest_task(job: Job, task: JobTask, ingester: Ingester, *, derivatives_made: bool = False) -> TaskResult:
    """One item ingested (``derivatives_made``: by its page tasks, app.page_tasks). Storage and
    database outages propagate (the worker retries them); anything wrong with the item itself is
    its result."""
    if job.kind not in BAG_KINDS:
        result = ingester.ingest(folder_source(task, derivatives_made=derivatives_made))
        return task_result(result, job.hidden)
    try:
        source = stage_bag(job, task, ingester.services.settings)
        result = ingester.ingest(replace(source, derivatives_made=derivatives_made))
    except IngestError as exc:
        result = refused(task, exc)
    return bag_result(job, task, ingester, result)


def task_staging(settings: Settings, job: Job, task: JobTask) -> Path:
    return job_staging(settings, job.id) / str(task.seq)


def stage_bag(job: Job, task: JobTask, settings: Settings) -> ItemSource:
    """The task's bag validated in full, an archive unpacked into the job's staging folder first (so
    that page tasks on other workers read its pages); raises IngestError with every problem. Once
    validated it is described again without unpacking (a task delivered again, a large item's
    commit); what an attempt killed before that left is unpacked anew."""
    params = task.params
    location = Path(params["location"])
    folder = task_staging(settings, job, task)
    validated = folder / VALIDATED
    if validated.is_file():
        return describe_bag(Path(validated.read_text()), location.name, params["collection"])
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    profile = Path(params["profile"]) if params.get("profile") else None
    source = bag_source(location, folder, settings, collection=params["collection"], profile_path=profile)
    (folder / "validated.tmp").write_text(str(source.folder.parent))  # the bag's folder
    os.replace(folder / "validated.tmp", validated)
    return source


def bag_hidden(job: Job, task: JobTask, settings: Settings) -> tuple[str, ...]:
    folder = task_staging(settings, job, task)
    return (str(folder / "unpacked"), str(folder), *job.hidden)


def bag_result(job: Job, task: JobTask, ingester: Ingester, result: ItemResult) -> TaskResult:
    problems = bag_ended(job, task, ingester, result.problems, refusal=result.status == "failed")
    return task_result(replace(result, problems=problems), ())


def bag_ended(
    job: Job, task: JobTask, ingester: Ingester, problems: list[Problem], *, refusal: bool = True
) -> list[Problem]:
    """A bag's problems without server paths (a refusal in the audit log), once its task has its
    result; its staging removed."""
    settings = ingester.services.settings
    problems = [public(p, bag_hidden(job, task, settings)) for p in problems]
    if refusal:
        _record_refusal(ingester, job, task, problems)
    shutil.rmtree(task_staging(settings, job, task), ignore_errors=True)
    with contextlib.suppress(OSError):  # the job's folder too, unless another task has one there
        job_staging(settings, job.id).rmdir()
    return problems


def refused(task: JobTask, exc: IngestError) -> ItemResult:
    return ItemResult(task.name, "failed", problems=exc.problems or [Problem("", exc.message)])


def task_result(result: ItemResult, hidden: tuple[str, ...]) -> TaskResult:
    problems = [public(p, hidden) for p in result.problems]
    return TaskResult(result.status, result.item_id, result.pages, result.bytes, summary(result), problems)


def _record_refusal(ingester: Ingester, job: Job, task: JobTask, problems: list[Problem]) -> None:
    """A refused bag (a bad checksum, a hostile archive...) in the audit log: who sent it (with the
    role, token and address of the request that submitted the job, logged when it was accepted),
    which bag, and why."""
    log = WriteLog(ingester.services.catalog.db)
    submitted = next(iter(log.entries(target=job.id, limit=1)), None)
    entry = WriteRecord(
        actor=job.submitted_by,
        action=f"ingest refused ({job.kind})",
        target=job.id,
        outcome=422,
        remote=submitted.remote if submitted else "",
        detail=refused_bag(task.name, problems),
        token_id=submitted.token_id if submitted else "",
        role=submitted.role if submitted else "",
    )
    log.record(entry)


def summary(result: ItemResult) -> str:
    if result.status == "ingested":
        return f"ingested as {result.item_id} ({result.pages} pages)"
    if result.status == "already-ingested":
        return f"already ingested as {result.item_id}"
    if result.status == "updated":
        return f"already ingested as {result.item_id}: its record replaced in a new version"
    return f"{len(result.problems)} problem(s): nothing was stored"


def public(problem: Problem, hidden: tuple[str, ...]) -> Problem:
    """The problem without server paths (staging folders, allowed roots) in its file name or reason."""
    if not hidden:
        return problem
    file, reason = problem.file, problem.reason
    for prefix in sorted(hidden, key=len, reverse=True):
        file = file.replace(prefix.rstrip("/") + "/", "")
        reason = reason.replace(prefix.rstrip("/") + "/", "")
    if file.startswith("/"):
        file = Path(file).name
    return Problem(file, reason, problem.line)
