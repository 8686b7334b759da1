"""Ingest from the browser: files go up in chunks into an upload's staging folder (a dropped
connection resumes from what arrived), then a dry run lists every problem before anything is
stored, then the ingest runs as a job whose page follows it live.

A bag archive and a folder of scans with its metadata file are both jobs on the task queue, run by
the task workers like the admin API's and the command line's.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from app.api.jobs import Jobs, new_job_id
from app.ingest_tasks import item_task
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
    """Uploads in staging and the jobs started from them."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.root = services.settings.staging_path / "staff-uploads"
        self.jobs = Jobs(services)

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
        """Hand the upload to the task workers as a job; its folder goes when the job ends."""
        folder = self.folder(upload_id)
        assert folder is not None
        files = list((folder / "files").iterdir())
        archive = files[0] if len(files) == 1 and files[0].name.lower().endswith(ARCHIVE_SUFFIXES) else None
        job_id = new_job_id()
        hidden = (str(folder / "files"), str(folder))
        if archive is not None:
            return self.jobs.submit_bag(
                job_id, "upload", archive.name, archive, collection, user, cleanup=folder, hidden=hidden
            ).id
        source = ItemSource(folder / "files", collection, label="the uploaded folder")
        job = self.jobs.queue.submit(
            job_id,
            "folder",
            "uploaded folder",
            [item_task(source)],
            submitted_by=user,
            collection=collection,
            cleanup=str(folder),
            hidden=hidden,
        )
        return job.id

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
