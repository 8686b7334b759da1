"""Ingest as queued tasks: what a job's tasks hold (one item each, as JSON) and how a worker runs
one with the same ingest steps as the foreground ``muniment ingest``.

Kinds: ``folder`` (a folder of scans), ``batch`` (one task per CSV row), ``bag`` (a bag from the
command line), ``path`` and ``upload`` (the admin API's bags). Paths are absolute: a worker's
working folder is not the submitter's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ingest.bag_input import bag_source
from ingest.context import ItemSource
from ingest.errors import IngestError
from ingest.runner import Ingester, ItemResult
from repo.auth import WriteLog, WriteRecord, refused_bag
from repo.catalog.jobs import Job, JobTask, TaskResult
from repo.errors import Problem

BAG_KINDS = ("bag", "path", "upload")
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
    params = task.params
    if job.kind in BAG_KINDS:
        with ingester.staging() as unpack:
            hidden = (str(unpack / "unpacked"), str(unpack), *job.hidden)
            try:
                profile = Path(params["profile"]) if params.get("profile") else None
                source = bag_source(
                    Path(params["location"]),
                    unpack,
                    ingester.services.settings,
                    collection=params["collection"],
                    profile_path=profile,
                )
                result = ingester.ingest(source)
            except IngestError as exc:
                result = ItemResult(task.name, "failed", problems=exc.problems or [Problem("", exc.message)])
    else:
        hidden = job.hidden
        result = ingester.ingest(folder_source(task, derivatives_made=derivatives_made))
    problems = [public(p, hidden) for p in result.problems]
    if job.kind in BAG_KINDS and result.status == "failed":
        _record_refusal(ingester, job, task, problems)
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
