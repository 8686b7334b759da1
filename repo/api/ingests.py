"""Starting ingests (an uploaded bag archive, or a bag on the server under an allowed root) and
reading their jobs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import anyio.to_thread

from ingest.bag_input import ARCHIVE_SUFFIXES
from repo.api.errors import ApiError
from repo.api.jobs import JOB_ID, JobRunner, JobSpec, new_job_id
from repo.api.models import JobList, JobListQuery, JobOut, PathIngest, UploadQuery
from repo.api.operations import Call, Operation, Reply
from repo.auth import Role

UPLOAD_TYPES = (
    "application/zip",
    "application/x-tar",
    "application/gzip",
    "application/x-gzip",
    "application/octet-stream",
)
_FLUSH = 1024 * 1024


class Ingests:
    def __init__(self, runner: JobRunner) -> None:
        self.runner = runner

    def _accepted(self, job: JobOut) -> Reply:
        return Reply(job, 202, {"Location": f"/api/v1/ingests/{job.id}"}, job.id)

    def from_path(self, call: Call) -> Reply:
        body: PathIngest = call.body
        settings = call.services.settings
        location, root = allowed_location(body.path, settings.ingest_allowed_roots)
        assert call.principal is not None
        spec = JobSpec(
            new_job_id(),
            "path",
            body.path,
            location,
            body.collection,
            call.principal.name,
            hidden_prefixes=(str(root), os.path.realpath(root)),
            **_caller(call),
        )
        return self._accepted(self.runner.submit(spec))

    async def upload(self, call: Call) -> Reply:
        query: UploadQuery = call.query
        request = call.request
        media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
        if media_type not in UPLOAD_TYPES:
            raise ApiError(415, "send the bag as the request body: a zip, tar or tar.gz archive")
        settings = call.services.settings
        limit = settings.upload_max_bytes
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise ApiError(413, f"the upload is larger than the limit of {limit} bytes (MUNIMENT_UPLOAD_MAX_BYTES)")
        job_id = new_job_id()
        folder = settings.staging_path / "api" / job_id
        try:
            archive = await _receive(call, folder, query.name or "upload", limit)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)  # nothing of a refused upload stays
            raise
        assert call.principal is not None
        spec = JobSpec(
            job_id,
            "upload",
            archive.name,
            archive,
            query.collection,
            call.principal.name,
            cleanup=folder,
            hidden_prefixes=(str(folder),),
            **_caller(call),
        )
        job = await anyio.to_thread.run_sync(self.runner.submit, spec)
        return self._accepted(job)

    def get_job(self, call: Call) -> Reply:
        job = self.runner.store.get(call.path["job"])
        if job is None:
            raise ApiError(404, "no such ingest job")
        return Reply(job)

    def list_jobs(self, call: Call) -> Reply:
        query: JobListQuery = call.query
        return Reply(JobList(jobs=self.runner.store.list(query.state, query.limit)))

    def operations(self) -> list[Operation]:
        job = {"job": JOB_ID}
        return [
            Operation(
                "ingestFromPath",
                "POST",
                "/ingests",
                "Ingest a bag (folder or archive) under an allowed server root",
                JobOut,
                self.from_path,
                role=Role.CURATOR,
                body=PathIngest,
                status=202,
            ),
            Operation(
                "ingestUpload",
                "POST",
                "/ingests/upload",
                "Ingest an uploaded bag archive (the request body)",
                JobOut,
                stream=self.upload,
                role=Role.CURATOR,
                query=UploadQuery,
                status=202,
                upload=UPLOAD_TYPES,
                errors=(413, 415),
            ),
            Operation(
                "listIngests",
                "GET",
                "/ingests",
                "List ingest jobs, newest first",
                JobList,
                self.list_jobs,
                role=Role.CURATOR,
                query=JobListQuery,
            ),
            Operation(
                "getIngest",
                "GET",
                "/ingests/{job}",
                "An ingest job's state, result and per-file problems",
                JobOut,
                self.get_job,
                role=Role.CURATOR,
                params=job,
                errors=(404,),
            ),
        ]


def allowed_location(text: str, roots: tuple[str, ...]) -> tuple[Path, str]:
    """The bag folder or archive named by ``text`` and its allowed root, links and ``..`` resolved
    first; the error never says where a path outside the roots leads, nor whether it exists."""
    if not roots:
        raise ApiError(422, "server-side ingest is off: MUNIMENT_INGEST_ALLOWED_ROOTS names no folder")
    if not text.startswith("/"):
        raise ApiError(422, "invalid body", ["body.path: must be an absolute path"])
    resolved = Path(os.path.realpath(text))
    root = next((r for r in roots if resolved.is_relative_to(os.path.realpath(r))), None)
    if root is None:
        raise ApiError(422, "invalid body", ["body.path: not under an allowed root (MUNIMENT_INGEST_ALLOWED_ROOTS)"])
    if resolved.is_dir() or (resolved.is_file() and resolved.name.lower().endswith(ARCHIVE_SUFFIXES)):
        return resolved, root
    raise ApiError(422, "invalid body", ["body.path: no bag folder or .zip/.tar/.tar.gz archive there"])


async def _receive(call: Call, folder: Path, name: str, limit: int) -> Path:
    """Stream the body to ``folder``, counting as it comes: the limit holds whatever the headers said."""
    await anyio.to_thread.run_sync(lambda: folder.mkdir(parents=True))
    partial = folder / "upload.part"
    written = 0
    pending = bytearray()
    with partial.open("xb") as out:
        async for chunk in call.request.stream():
            written += len(chunk)
            if written > limit:
                raise ApiError(413, f"the upload is larger than the limit of {limit} bytes (MUNIMENT_UPLOAD_MAX_BYTES)")
            pending += chunk
            if len(pending) >= _FLUSH:
                await anyio.to_thread.run_sync(out.write, bytes(pending))
                pending.clear()
        await anyio.to_thread.run_sync(out.write, bytes(pending))
    if written == 0:
        raise ApiError(422, "the upload is empty: send a bag archive as the request body")
    with partial.open("rb") as probe:
        magic = probe.read(4)
    suffix = ".zip" if magic.startswith(b"PK") else ".tar.gz" if magic.startswith(b"\x1f\x8b") else ".tar"
    archive = folder / (name.removesuffix(suffix) + suffix)
    partial.rename(archive)
    return archive


def _caller(call: Call) -> dict[str, Any]:
    """Who submits a job and from where, for the audit entry of a refusal."""
    assert call.principal is not None
    client = call.request.client
    return {
        "role": call.principal.role.value,
        "token_id": call.principal.token_id,
        "remote": client.host if client else "",
    }
