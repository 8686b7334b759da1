"""Job records: what a person started (an ingest of a folder, a batch, a bag or an upload), or a
schedule did (fixity, replication, the derivative scan), and the tasks it was cut into, kept in
the catalog so that any process answers for them.

A job is one row of ``jobs`` and one row of ``job_tasks`` per unit a worker runs (an item). A
task is ``queued``, ``running`` (a worker holds its lease), ``succeeded``, ``failed`` or
``cancelled``. The worker holding a task renews its lease while it works; a running task whose
lease ran out belongs to no one (its worker died) and counts as queued until a worker takes it
again (``requeue_stale``). A claim increments ``attempts``, and a result is written only by the
claim that holds the task, so a task delivered twice is recorded once.

The job's own state is derived from its tasks: never stored, never out of date.
"""

from __future__ import annotations

import json
import time
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from repo.catalog.db import Database
from repo.catalog.models import utc_now
from repo.errors import MunimentError, NotFoundError, Problem

TASK_STATES = ("queued", "running", "succeeded", "failed", "cancelled")
_TERMINAL = ("succeeded", "failed", "cancelled")


@dataclass(frozen=True)
class TaskResult:
    """What one task ended with: ``status`` is the ingest's (ingested, already-ingested, failed), the
    OCR's (read: a page, stored: an item's pages in a new version), or ``completed`` for maintenance
    (its findings are its problems) and a large item's page tasks, the metadata import's (edited:
    a new version; unchanged)."""

    status: str
    item_id: str | None = None
    pages: int = 0
    bytes: int = 0
    message: str = ""
    problems: Sequence[Problem] = ()

    @property
    def succeeded(self) -> bool:
        return self.status in (
            "ingested",
            "already-ingested",
            "updated",
            "read",
            "stored",
            "completed",
            "edited",
            "unchanged",
        )


@dataclass(frozen=True)
class JobTask:
    job_id: str
    seq: int
    name: str
    params: dict[str, Any]
    state: str
    attempts: int
    holder: str
    started: str | None
    finished: str | None
    result: str | None
    item_id: str | None
    pages: int
    bytes: int
    message: str
    problems: list[Problem]

    @classmethod
    def from_row(cls, row: dict[str, Any], now: float) -> JobTask:
        state = row["state"]
        if state == "running" and row["lease_until"] < now:
            state = "queued"  # its worker stopped renewing the lease: no one holds it
        return cls(
            job_id=row["job_id"],
            seq=row["seq"],
            name=row["name"],
            params=json.loads(row["params_json"]),
            state=state,
            attempts=row["attempts"],
            holder=row["holder"] if state == "running" else "",
            started=row["started"],
            finished=row["finished"],
            result=row["result"],
            item_id=row["item_id"],
            pages=row["pages"],
            bytes=row["bytes"],
            message=row["message"],
            problems=[Problem(p["file"], p["reason"], p.get("line")) for p in json.loads(row["problems_json"])],
        )


@dataclass(frozen=True)
class Job:
    id: str
    kind: str
    source: str
    collection: str | None
    submitted_by: str
    created: str
    cancelled: str | None
    cleanup: str
    hidden: tuple[str, ...]
    tasks: list[JobTask] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(TASK_STATES, 0)
        for task in self.tasks:
            counts[task.state] += 1
        return counts

    @property
    def state(self) -> str:
        counts = self.counts
        if counts["running"]:
            return "running"
        if counts["queued"]:
            return "running" if any(counts[s] for s in _TERMINAL) else "queued"
        if counts["failed"]:
            return "failed"
        if counts["cancelled"]:
            return "cancelled"
        return "succeeded"

    @property
    def finished(self) -> bool:
        return self.state in _TERMINAL

    @property
    def started(self) -> str | None:
        return min((t.started for t in self.tasks if t.started), default=None)

    @property
    def ended(self) -> str | None:
        """When the last task ended, once every task has."""
        if not self.finished:
            return None
        return max((t.finished for t in self.tasks if t.finished), default=self.cancelled)

    @property
    def attempts(self) -> int:
        return sum(t.attempts for t in self.tasks)


class JobStore:
    def __init__(self, db: Database) -> None:
        self.db = db  # its tables are the catalog schema's (repo.catalog.schema, migration 3)

    # -- creating ---------------------------------------------------------------------------

    def create(
        self,
        job_id: str,
        kind: str,
        source: str,
        tasks: Sequence[tuple[str, dict[str, Any]]],
        *,
        submitted_by: str,
        collection: str | None = None,
        cleanup: str = "",
        hidden: Iterable[str] = (),
    ) -> Job:
        """The job and its tasks (name, parameters), all queued, in one transaction."""
        job = self._insert(job_id, kind, source, tasks, submitted_by, collection, cleanup, hidden, once=False)
        assert job is not None
        return job

    def create_once(
        self, job_id: str, kind: str, source: str, tasks: Sequence[tuple[str, dict[str, Any]]], *, submitted_by: str
    ) -> Job | None:
        """The job, unless one with this id exists already: then None (several workers' schedulers
        noticed the same scheduled moment, and one of them made it)."""
        return self._insert(job_id, kind, source, tasks, submitted_by, None, "", (), once=True)

    def _insert(
        self,
        job_id: str,
        kind: str,
        source: str,
        tasks: Sequence[tuple[str, dict[str, Any]]],
        submitted_by: str,
        collection: str | None,
        cleanup: str,
        hidden: Iterable[str],
        *,
        once: bool,
    ) -> Job | None:
        if not tasks:
            raise MunimentError(f"{source}: nothing to do (no items)")
        with self.db.transaction():
            made = self.db.execute(
                "INSERT INTO jobs (id, kind, source, collection, submitted_by, created, cleanup, hidden_json)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)" + (" ON CONFLICT (id) DO NOTHING" if once else ""),
                (job_id, kind, source, collection, submitted_by, utc_now(), cleanup, json.dumps(list(hidden))),
            )
            if not made:
                return None
            self._insert_tasks(job_id, 1, tasks)
        return self.get(job_id)

    def _insert_tasks(self, job_id: str, first: int, tasks: Sequence[tuple[str, dict[str, Any]]]) -> list[int]:
        seqs = list(range(first, first + len(tasks)))
        self.db.executemany(
            "INSERT INTO job_tasks (job_id, seq, name, params_json, state) VALUES (?, ?, ?, ?, 'queued')",
            [(job_id, seq, name, json.dumps(params)) for seq, (name, params) in zip(seqs, tasks, strict=True)],
        )
        return seqs

    def add_tasks(self, job_id: str, tasks: Sequence[tuple[str, dict[str, Any]]]) -> list[int]:
        """More tasks of a running job (a large item's pages), queued, numbered after the last."""
        with self.db.transaction():
            row = self.db.query_one("SELECT COALESCE(MAX(seq), 0) AS last FROM job_tasks WHERE job_id = ?", (job_id,))
            return self._insert_tasks(job_id, (int(row["last"]) if row else 0) + 1, tasks)

    # -- reading ----------------------------------------------------------------------------

    def find(self, job_id: str) -> Job | None:
        row = self.db.query_one("SELECT * FROM jobs WHERE id = ?", (job_id,))
        if row is None:
            return None
        tasks = self.db.query("SELECT * FROM job_tasks WHERE job_id = ? ORDER BY seq", (job_id,))
        return self._job(row, tasks)

    def get(self, job_id: str) -> Job:
        job = self.find(job_id)
        if job is None:
            raise NotFoundError(f"no job {job_id!r}")
        return job

    def recent(self, *, state: str | None = None, kinds: Sequence[str] = (), limit: int = 50) -> list[Job]:
        """Newest first; ``state`` is the derived one, so it is filtered here, not in SQL."""
        where, params = ("WHERE kind IN (" + ", ".join("?" * len(kinds)) + ")", list(kinds)) if kinds else ("", [])
        jobs: list[Job] = []
        for row in self.db.iterate(f"SELECT * FROM jobs {where} ORDER BY created DESC, id DESC", params):
            tasks = self.db.query("SELECT * FROM job_tasks WHERE job_id = ? ORDER BY seq", (row["id"],))
            job = self._job(row, tasks)
            if state is None or job.state == state:
                jobs.append(job)
                if len(jobs) >= limit:
                    break
        return jobs

    def _job(self, row: dict[str, Any], tasks: list[dict[str, Any]]) -> Job:
        now = time.time()
        return Job(
            id=row["id"],
            kind=row["kind"],
            source=row["source"],
            collection=row["collection"],
            submitted_by=row["submitted_by"],
            created=row["created"],
            cancelled=row["cancelled"],
            cleanup=row["cleanup"],
            hidden=tuple(json.loads(row["hidden_json"])),
            tasks=[JobTask.from_row(t, now) for t in tasks],
        )

    # -- the worker's side ------------------------------------------------------------------

    def claim(self, job_id: str, seq: int, holder: str, lease_seconds: float) -> JobTask | None:
        """Take a queued task (or one whose holder's lease ran out); None when someone else has it
        or it has ended (a message delivered twice)."""
        now = time.time()
        taken = self.db.execute(
            "UPDATE job_tasks SET state = 'running', holder = ?, lease_until = ?, attempts = attempts + 1,"
            " started = COALESCE(started, ?)"
            " WHERE job_id = ? AND seq = ? AND (state = 'queued' OR (state = 'running' AND lease_until < ?))",
            (holder, now + lease_seconds, utc_now(), job_id, seq, now),
        )
        if not taken:
            return None
        row = self.db.query_one("SELECT * FROM job_tasks WHERE job_id = ? AND seq = ?", (job_id, seq))
        return JobTask.from_row(row, now) if row else None

    def renew(self, holder: str, tasks: Collection[tuple[str, int]], lease_seconds: float) -> int:
        """Extend the lease of the tasks ``holder`` is running now (``(job, seq)``), and only those: a
        task its worker let go of without recording an end (the catalog failed it at that moment)
        runs out of lease and is delivered again, although the worker lives on."""
        until = time.time() + lease_seconds
        return sum(
            self.db.execute(
                "UPDATE job_tasks SET lease_until = ?"
                " WHERE job_id = ? AND seq = ? AND holder = ? AND state = 'running'",
                (until, job_id, seq, holder),
            )
            for job_id, seq in tasks
        )

    def finish(self, task: JobTask, result: TaskResult) -> bool:
        """Record the result of the claim ``task``; False when that claim no longer holds it."""
        state = "succeeded" if result.succeeded else "failed"
        return bool(
            self.db.execute(
                "UPDATE job_tasks SET state = ?, finished = ?, result = ?, item_id = ?, pages = ?, bytes = ?,"
                " message = ?, problems_json = ?, holder = '', lease_until = 0"
                " WHERE job_id = ? AND seq = ? AND state = 'running' AND holder = ? AND attempts = ?",
                (
                    state,
                    utc_now(),
                    result.status,
                    result.item_id,
                    result.pages,
                    result.bytes,
                    result.message,
                    json.dumps([{"file": p.file, "reason": p.reason, "line": p.line} for p in result.problems]),
                    task.job_id,
                    task.seq,
                    task.holder,
                    task.attempts,
                ),
            )
        )

    def release(self, task: JobTask, message: str) -> bool:
        """Put a task the claim holds back in the queue (a transient failure, to be tried again)."""
        return bool(
            self.db.execute(
                "UPDATE job_tasks SET state = 'queued', holder = '', lease_until = 0, message = ?"
                " WHERE job_id = ? AND seq = ? AND state = 'running' AND holder = ? AND attempts = ?",
                (message, task.job_id, task.seq, task.holder, task.attempts),
            )
        )

    def heard_from(self, holder: str) -> None:
        """A worker is alive (it says so with each lease renewal); workers silent for a day go."""
        now = time.time()
        self.db.execute(
            "INSERT INTO workers (holder, seen) VALUES (?, ?) ON CONFLICT (holder) DO UPDATE SET seen = excluded.seen",
            (holder, now),
        )
        self.db.execute("DELETE FROM workers WHERE seen < ?", (now - 86400,))

    def last_worker_seen(self) -> float | None:
        """When any worker last said it was alive (seconds since the epoch), None when none ever has."""
        row = self.db.query_one("SELECT MAX(seen) AS seen FROM workers", ())
        return float(row["seen"]) if row and row["seen"] is not None else None

    def queued_before(self, job: Job) -> int:
        """Queued tasks of older jobs: what a worker takes before this job's."""
        row = self.db.query_one(
            "SELECT COUNT(*) AS n FROM job_tasks t JOIN jobs j ON j.id = t.job_id"
            " WHERE t.state = 'queued' AND (j.created < ? OR (j.created = ? AND j.id < ?))",
            (job.created, job.created, job.id),
        )
        return int(row["n"]) if row else 0

    def requeue_stale(self) -> list[tuple[str, int]]:
        """Tasks whose holder's lease ran out, made queued again; each is returned to exactly one
        caller (the one whose update took it), which delivers it again."""
        now = time.time()
        stale = self.db.query(
            "SELECT job_id, seq, holder FROM job_tasks WHERE state = 'running' AND lease_until < ?", (now,)
        )
        taken = []
        for row in stale:
            if self.db.execute(
                "UPDATE job_tasks SET state = 'queued', holder = '', lease_until = 0,"
                " message = 'delivered again: the worker holding it stopped renewing its lease'"
                " WHERE job_id = ? AND seq = ? AND state = 'running' AND holder = ? AND lease_until < ?",
                (row["job_id"], row["seq"], row["holder"], now),
            ):
                taken.append((row["job_id"], row["seq"]))
        return taken

    def queued_of_jobs_created_before(self, moment: str) -> list[tuple[str, int]]:
        """Queued tasks of jobs recorded before ``moment`` (a datestamp), oldest first."""
        rows = self.db.query(
            "SELECT t.job_id, t.seq FROM job_tasks t JOIN jobs j ON j.id = t.job_id"
            " WHERE t.state = 'queued' AND j.created < ? AND j.cancelled IS NULL ORDER BY j.created, t.job_id, t.seq",
            (moment,),
        )
        return [(row["job_id"], int(row["seq"])) for row in rows]

    # -- people's side ----------------------------------------------------------------------

    def retry(self, job_id: str) -> list[int]:
        """Failed and cancelled tasks queued again with fresh attempts; their numbers."""
        job = self.get(job_id)
        again = [t.seq for t in job.tasks if t.state in ("failed", "cancelled")]
        if not again:
            raise MunimentError(f"job {job_id} has no failed or cancelled task to retry (it is {job.state})")
        with self.db.transaction():
            self.db.execute("UPDATE jobs SET cancelled = NULL WHERE id = ?", (job_id,))
            for seq in again:
                self.db.execute(
                    "UPDATE job_tasks SET state = 'queued', attempts = 0, finished = NULL, result = NULL,"
                    " message = 'retried by hand', problems_json = '[]'"
                    " WHERE job_id = ? AND seq = ? AND state IN ('failed', 'cancelled')",
                    (job_id, seq),
                )
        return again

    def cancel(self, job_id: str) -> int:
        """Queued tasks cancelled (a running one finishes its item); how many were."""
        job = self.get(job_id)
        if job.finished:
            raise MunimentError(f"job {job_id} has ended ({job.state}): nothing to cancel")
        with self.db.transaction():
            self.db.execute("UPDATE jobs SET cancelled = ? WHERE id = ?", (utc_now(), job_id))
            return self.db.execute(
                "UPDATE job_tasks SET state = 'cancelled', finished = ?, message = 'cancelled'"
                " WHERE job_id = ? AND (state = 'queued' OR (state = 'running' AND lease_until < ?))",
                (utc_now(), job_id, time.time()),
            )
