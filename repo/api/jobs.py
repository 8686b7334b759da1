"""Ingest jobs: kept in the catalog, so any worker answers their status; run in the worker that
accepted them, one at a time (an ingest already uses every core for its pages).

A job whose worker died (same host, process gone) is reported failed rather than running forever.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.bag_input import bag_source
from ingest.errors import IngestError
from ingest.runner import Ingester, ItemResult
from repo.api.models import JobOut, ProblemOut
from repo.auth import WriteLog, WriteRecord, refused_bag
from repo.catalog import Database, utc_now
from repo.errors import Problem
from repo.services import Services

log = logging.getLogger("muniment.api")

JOB_ID = r"[0-9a-f]{16}"
_TABLE = """
CREATE TABLE IF NOT EXISTS api_jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    source TEXT NOT NULL,
    collection TEXT,
    submitted_by TEXT NOT NULL,
    created TEXT NOT NULL,
    started TEXT,
    finished TEXT,
    result TEXT,
    item_id TEXT,
    message TEXT NOT NULL DEFAULT '',
    problems_json TEXT NOT NULL DEFAULT '[]',
    worker TEXT NOT NULL DEFAULT ''
)"""
_INDEX = "CREATE INDEX IF NOT EXISTS api_jobs_created ON api_jobs(created, id)"
_SUCCEEDED = ("ingested", "already-ingested")


def new_job_id() -> str:
    return secrets.token_hex(8)


def this_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class JobSpec:
    id: str
    kind: str  # path | upload
    source: str  # what the client named: the server path, or the upload's name
    location: Path  # the bag folder or archive to ingest
    collection: str | None
    submitted_by: str
    cleanup: Path | None = None  # the upload's staging folder, removed when the job ends
    hidden_prefixes: tuple[str, ...] = ()  # server paths never shown in problems
    role: str = ""  # the submitter's token, and where the request came from: for the audit log
    token_id: str = ""
    remote: str = ""


class JobStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        db.script([_TABLE, _INDEX])

    def add(self, spec: JobSpec) -> None:
        self.db.execute(
            "INSERT INTO api_jobs (id, kind, state, source, collection, submitted_by, created, worker)"
            " VALUES (?, ?, 'queued', ?, ?, ?, ?, ?)",
            (spec.id, spec.kind, spec.source, spec.collection, spec.submitted_by, utc_now(), this_worker()),
        )

    def started(self, job_id: str) -> None:
        self.db.execute("UPDATE api_jobs SET state = 'running', started = ? WHERE id = ?", (utc_now(), job_id))

    def finished(self, job_id: str, result: ItemResult, message: str, problems: list[Problem]) -> None:
        state = "succeeded" if result.status in _SUCCEEDED else "failed"
        self.db.execute(
            "UPDATE api_jobs SET state = ?, finished = ?, result = ?, item_id = ?, message = ?, problems_json = ?"
            " WHERE id = ?",
            (
                state,
                utc_now(),
                result.status,
                result.item_id,
                message,
                json.dumps([{"file": p.file, "reason": p.reason} for p in problems]),
                job_id,
            ),
        )

    def get(self, job_id: str) -> JobOut | None:
        row = self.db.query_one("SELECT * FROM api_jobs WHERE id = ?", (job_id,))
        return self._out(row) if row else None

    def list(self, state: str | None, limit: int) -> list[JobOut]:
        where, params = ("WHERE state = ?", [state]) if state else ("", [])
        rows = self.db.query(f"SELECT * FROM api_jobs {where} ORDER BY created DESC, id DESC LIMIT ?", (*params, limit))
        return [self._out(r) for r in rows]

    def _out(self, row: dict[str, Any]) -> JobOut:
        if row["state"] in ("queued", "running") and _dead(row["worker"]):
            message = "interrupted: the server stopped before the job finished; submit it again"
            self.db.execute(
                "UPDATE api_jobs SET state = 'failed', finished = ?, result = 'failed', message = ?"
                " WHERE id = ? AND state IN ('queued', 'running')",
                (utc_now(), message, row["id"]),
            )
            row = {**row, "state": "failed", "result": "failed", "message": message, "finished": utc_now()}
        return JobOut(
            id=row["id"],
            kind=row["kind"],
            state=row["state"],
            source=row["source"],
            collection=row["collection"],
            submitted_by=row["submitted_by"],
            created=row["created"],
            started=row["started"],
            finished=row["finished"],
            result=row["result"],
            item_id=row["item_id"],
            message=row["message"],
            problems=[ProblemOut(**p) for p in json.loads(row["problems_json"])],
        )


class JobRunner:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.store = JobStore(services.catalog.db)
        self.writes = WriteLog(services.catalog.db)
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="api-ingest")
        self._ingester: Ingester | None = None
        self._lock = threading.Lock()

    def submit(self, spec: JobSpec) -> JobOut:
        self.store.add(spec)
        self._pool.submit(self._run, spec)
        job = self.store.get(spec.id)
        assert job is not None
        return job

    def wait_idle(self) -> None:
        """Block until every job submitted so far has finished (for tests and shutdown)."""
        self._pool.submit(lambda: None).result()

    def _ingester_once(self) -> Ingester:
        with self._lock:
            if self._ingester is None:
                self._ingester = Ingester(self.services)
            return self._ingester

    def _run(self, spec: JobSpec) -> None:
        self.store.started(spec.id)
        ingester = self._ingester_once()
        try:
            with ingester.staging() as unpack:
                hidden = (str(unpack / "unpacked"), str(unpack), *spec.hidden_prefixes)
                try:
                    source = bag_source(
                        spec.location, unpack, self.services.settings, collection=spec.collection, profile_path=None
                    )
                    result = ingester.ingest(source)
                except IngestError as exc:
                    result = ItemResult(spec.source, "failed", problems=exc.problems or [Problem("", exc.message)])
                message = _summary(result)
                problems = [_public(p, hidden) for p in result.problems]
                self.store.finished(spec.id, result, message, problems)
                if result.status == "failed":
                    self._record_refusal(spec, problems)
        except Exception:  # a job must end in a state, whatever happened
            log.exception("ingest job %s failed unexpectedly", spec.id)
            failed = ItemResult(spec.source, "failed")
            self.store.finished(spec.id, failed, "internal error: see the server log", [])
        finally:
            if spec.cleanup is not None:
                shutil.rmtree(spec.cleanup, ignore_errors=True)

    def _record_refusal(self, spec: JobSpec, problems: list[Problem]) -> None:
        """A refused bag (a bad checksum, a hostile archive...) in the audit log: who sent it, which
        bag, and why; the request itself was logged when it was accepted."""
        entry = WriteRecord(
            actor=spec.submitted_by,
            action=f"ingest refused ({spec.kind})",
            target=spec.id,
            outcome=422,
            remote=spec.remote,
            detail=refused_bag(spec.source, problems),
            token_id=spec.token_id,
            role=spec.role,
        )
        self.writes.record(entry)


def _summary(result: ItemResult) -> str:
    if result.status == "ingested":
        return f"ingested as {result.item_id} ({result.pages} pages)"
    if result.status == "already-ingested":
        return f"already ingested as {result.item_id}"
    return f"{len(result.problems)} problem(s): nothing was stored"


def _public(problem: Problem, hidden: tuple[str, ...]) -> Problem:
    """The problem without server paths (staging folders, allowed roots) in its file name or reason."""
    file, reason = problem.file, problem.reason
    for prefix in sorted(hidden, key=len, reverse=True):
        file = file.replace(prefix.rstrip("/") + "/", "")
        # A folder itself (a full disk's) stays unnamed too.
        reason = reason.replace(prefix.rstrip("/") + "/", "").replace(prefix.rstrip("/"), "the server's folder")
    if file.startswith("/"):
        file = Path(file).name
    return Problem(file, reason)


def _dead(worker: str) -> bool:
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's job: its own worker answers for it
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
