"""Jobs through the API: ingests queued for the task workers (no web worker runs a task), and
the job records of every kind (``GET /jobs``, ``GET /jobs/{job}``), read from the catalog, so
any web worker answers for them."""

from __future__ import annotations

import secrets
import time
from pathlib import Path

from app.api.errors import ApiError
from app.api.models import JobDetail, JobDetailList, JobOut, JobsQuery, ProblemOut, ProgressOut, TaskOut
from app.api.operations import Call, Operation, Reply
from app.ingest_tasks import bag_task
from app.queue import TaskQueue
from repo.auth import Role
from repo.catalog.jobs import Job, JobStore, JobTask
from repo.errors import Problem
from repo.services import Services

JOB_ID = r"[0-9a-f]{16}"
INGEST_KINDS = ("path", "upload")


def new_job_id() -> str:
    return secrets.token_hex(8)


class Jobs:
    def __init__(self, services: Services) -> None:
        self.queue = TaskQueue(services.settings, JobStore(services.catalog.db))

    def submit_bag(
        self,
        job_id: str,
        kind: str,
        source: str,
        location: Path,
        collection: str | None,
        submitted_by: str,
        *,
        cleanup: Path | None = None,
        hidden: tuple[str, ...] = (),
    ) -> JobOut:
        job = self.queue.submit(
            job_id,
            kind,
            source,
            [bag_task(location, source, collection)],
            submitted_by=submitted_by,
            collection=collection,
            cleanup=str(cleanup or ""),
            hidden=hidden,
        )
        return ingest_out(job)

    def ingest_job(self, job_id: str) -> JobOut | None:
        job = self.queue.find(job_id)
        return ingest_out(job) if job and job.kind in INGEST_KINDS else None

    def ingest_jobs(self, state: str | None, limit: int) -> list[JobOut]:
        return [ingest_out(j) for j in self.queue.recent(state=state, kinds=INGEST_KINDS, limit=limit)]

    def wait_idle(self, timeout: float = 120) -> None:
        """Block until no job is queued or running (tests, with a worker running beside them)."""
        deadline = time.monotonic() + timeout
        while unfinished := [j for j in self.queue.recent(limit=500) if not j.finished]:
            if time.monotonic() > deadline:
                named = ", ".join(
                    f"{j.id} ({j.kind}, {j.state}: " + " ".join(f"{t.seq}={t.state}" for t in j.tasks) + ")"
                    for j in unfinished[:5]
                )
                raise TimeoutError(f"jobs are still queued or running: is a worker running? {named}")
            time.sleep(0.05)

    # -- /jobs --------------------------------------------------------------------------------

    def list_jobs(self, call: Call) -> Reply:
        query: JobsQuery = call.query
        kinds = (query.kind,) if query.kind else ()
        return Reply(
            JobDetailList(
                jobs=[detail_out(j) for j in self.queue.recent(state=query.state, kinds=kinds, limit=query.limit)]
            )
        )

    def get_job(self, call: Call) -> Reply:
        job = self.queue.find(call.path["job"])
        if job is None:
            raise ApiError(404, "no such job")
        return Reply(detail_out(job))

    def operations(self) -> list[Operation]:
        return [
            Operation(
                "listJobs",
                "GET",
                "/jobs",
                "Jobs of every kind (ingests; scheduled fixity, replication and derivative scans), newest first",
                JobDetailList,
                self.list_jobs,
                role=Role.CURATOR,
                query=JobsQuery,
            ),
            Operation(
                "getJob",
                "GET",
                "/jobs/{job}",
                "A job's state, progress, attempts and each task's result and problems",
                JobDetail,
                self.get_job,
                role=Role.CURATOR,
                params={"job": JOB_ID},
                errors=(404,),
            ),
        ]


def _problems(problems: list[Problem]) -> list[ProblemOut]:
    return [ProblemOut(file=p.file, reason=p.reason, line=p.line) for p in problems]


def ingest_out(job: Job) -> JobOut:
    """An API ingest job (one task) in the shape ``/ingests`` has always answered."""
    task = job.tasks[0]
    return JobOut(
        id=job.id,
        kind=job.kind,  # type: ignore[arg-type]  # only path and upload jobs come here
        state=job.state,  # type: ignore[arg-type]
        source=job.source,
        collection=job.collection,
        submitted_by=job.submitted_by,
        created=job.created,
        started=job.started,
        finished=job.ended,
        result=task.result if job.finished else None,
        item_id=task.item_id,
        message=task.message,
        problems=_problems(task.problems),
    )


def _task_out(task: JobTask) -> TaskOut:
    return TaskOut(
        seq=task.seq,
        name=task.name,
        state=task.state,  # type: ignore[arg-type]
        attempts=task.attempts,
        worker=task.holder.rsplit(":", 1)[0],
        started=task.started,
        finished=task.finished,
        result=task.result,
        item_id=task.item_id,
        pages=task.pages,
        bytes=task.bytes,
        message=task.message,
        problems=_problems(task.problems),
    )


def detail_out(job: Job) -> JobDetail:
    counts = job.counts
    return JobDetail(
        id=job.id,
        kind=job.kind,
        state=job.state,  # type: ignore[arg-type]
        source=job.source,
        collection=job.collection,
        submitted_by=job.submitted_by,
        created=job.created,
        started=job.started,
        finished=job.ended,
        attempts=job.attempts,
        progress=ProgressOut(
            tasks=len(job.tasks),
            done=counts["succeeded"] + counts["failed"] + counts["cancelled"],
            succeeded=counts["succeeded"],
            failed=counts["failed"],
            pages=sum(t.pages for t in job.tasks),
            bytes=sum(t.bytes for t in job.tasks),
        ),
        tasks=[_task_out(t) for t in job.tasks],
    )
