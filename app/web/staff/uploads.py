"""Ingest from the browser: files go up in chunks into an upload's staging folder (a dropped
connection resumes from what arrived), then a dry run lists every problem before anything is
stored, then the ingest runs as a job whose page follows it live.

A bag archive is handed to the admin API's job runner as it is; a folder of scans with its metadata
file runs through the same job records (``JobStore``) in this module's one-at-a-time worker.
"""

from __future__ import annotations

import re
import secrets
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from app.api.jobs import JobRunner, JobSpec, JobStore, new_job_id
from ingest.bag_input import ARCHIVE_SUFFIXES, bag_source
from ingest.context import ItemSource
from ingest.errors import IngestError
from ingest.runner import Ingester, ItemResult
from repo.errors import Problem
from repo.services import Services

UPLOAD_ID = re.compile(r"[0-9a-f]{24}")
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._()-]{0,199}")
CHUNK_MAX = 16 * 1024 * 1024


class StaffIngests:
    """Uploads in staging and the jobs started from them (one worker thread: an ingest already
    uses every core for its pages)."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.root = services.settings.staging_path / "staff-uploads"
        self.jobs = JobStore(services.catalog.db)
        self.runner = JobRunner(services)
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="staff-ingest")

    def folder(self, upload_id: str) -> Path | None:
        folder = self.root / upload_id
        return folder if UPLOAD_ID.fullmatch(upload_id) and folder.is_dir() else None

    def files(self, upload_id: str) -> list[tuple[str, int]]:
        folder = self.folder(upload_id)
        if folder is None:
            return []
        return sorted((p.name, p.stat().st_size) for p in (folder / "files").iterdir() if p.is_file())

    def source(self, upload_id: str, collection: str, staging: Path) -> ItemSource:
        folder = self.folder(upload_id)
        assert folder is not None
        files = folder / "files"
        archives = [p for p in files.iterdir() if p.name.lower().endswith(ARCHIVE_SUFFIXES)]
        if len(archives) == 1 and len(list(files.iterdir())) == 1:
            return bag_source(archives[0], staging, self.services.settings, collection=collection, profile_path=None)
        return ItemSource(files, collection, label="the uploaded folder")

    def dry_run(self, upload_id: str, collection: str) -> ItemResult:
        ingester = Ingester(self.services, dry_run=True)
        try:
            with ingester.staging() as staging:
                try:
                    return ingester.ingest(self.source(upload_id, collection, staging))
                except IngestError as exc:
                    return ItemResult("the upload", "failed", problems=exc.problems or [Problem("", exc.message)])
        finally:
            ingester.close()

    def start(self, upload_id: str, collection: str, user: str) -> str:
        folder = self.folder(upload_id)
        assert folder is not None
        files = list((folder / "files").iterdir())
        archive = files[0] if len(files) == 1 and files[0].name.lower().endswith(ARCHIVE_SUFFIXES) else None
        job_id = new_job_id()
        hidden = (str(folder / "files"), str(folder))
        if archive is not None:
            spec = JobSpec(
                job_id, "upload", archive.name, archive, collection, user, cleanup=folder, hidden_prefixes=hidden
            )
            return self.runner.submit(spec).id
        spec = JobSpec(job_id, "upload", "uploaded folder", folder / "files", collection, user, folder, hidden)
        self.jobs.add(spec)
        self._pool.submit(self._run_folder, spec)
        return job_id

    def _run_folder(self, spec: JobSpec) -> None:
        self.jobs.started(spec.id)
        ingester = Ingester(self.services)
        try:
            result = ingester.ingest(ItemSource(spec.location, spec.collection or "", label=spec.source))
            problems = [public_problem(p, spec.hidden_prefixes) for p in result.problems]
            summary = (
                f"ingested as {result.item_id} ({result.pages} pages)"
                if result.status == "ingested"
                else f"already ingested as {result.item_id}"
                if result.status == "already-ingested"
                else f"{len(problems)} problem(s): nothing was stored"
            )
            self.jobs.finished(spec.id, result, summary, problems)
        except Exception:  # a job must end in a state, whatever happened
            self.jobs.finished(spec.id, ItemResult(spec.source, "failed"), "internal error: see the server log", [])
            raise
        finally:
            ingester.close()
            if spec.cleanup is not None:
                shutil.rmtree(spec.cleanup, ignore_errors=True)

    def new_upload(self) -> str:
        upload_id = secrets.token_hex(12)
        (self.root / upload_id / "files").mkdir(parents=True)
        return upload_id


def public_problem(problem: Problem, hidden: tuple[str, ...]) -> Problem:
    file, reason = problem.file, problem.reason
    for prefix in sorted(hidden, key=len, reverse=True):
        file, reason = file.replace(prefix + "/", ""), reason.replace(prefix + "/", "")
    return Problem(file, reason)


def file_name(text: str) -> str | None:
    """The uploaded file's name without its folders (a folder of scans is flat), or None when unsafe."""
    name = text.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name if _SAFE_NAME.fullmatch(name) and name not in (".", "..") else None
