"""The ingest pages: the upload declared then sent in chunks (resumable) or, without JavaScript, as
one plain form; the dry run with its report as CSV or JSON; the start; the job followed live."""

from __future__ import annotations

import json
import shutil

import anyio.to_thread
from starlette.responses import JSONResponse, Response

from app.ocr_tasks import KIND as OCR_KIND
from app.web.staff.guard import StaffCall
from app.web.staff.job_view import job_view, recent_jobs
from app.web.staff.ocr import ocr_outcome
from app.web.staff.uploads import CHUNK_MAX, DryRun, check_declared
from ingest.errors import IngestError
from ingest.runner import ItemResult
from repo.errors import Problem

CHUNK = 8 * 1024 * 1024


def ingest_page(call: StaffCall, problems: list[Problem] | None = None, status: int = 200) -> Response:
    jobs = recent_jobs(call.site.ingests.jobs.queue, call.site.services.settings.queue_lease_seconds, 20)
    return call.render(
        "ingest.html",
        status,
        collections=call.site.catalog.list_collections(),
        jobs=jobs,
        problems=problems or [],
        chosen=call.form.get("collection", ""),
    )


def _declared(call: StaffCall) -> list[tuple[str, int]]:
    sizes = call.lists.get("size", [])
    paths = call.lists.get("path", [])
    return [(p, int(s) if s.isdigit() else -1) for p, s in zip(paths, sizes + ["-1"] * len(paths), strict=False)]


def create_upload(call: StaffCall) -> Response:
    """The files the browser will send (``path`` and ``size``, repeated), all refused if one is wrong."""
    files = _declared(call)
    problems = [Problem(p, "no size given") for p, s in files if s < 0]
    problems += check_declared(files, call.site.services.settings.upload_max_bytes)
    if not files:
        problems.append(Problem("the upload", "no files: choose a folder or files"))
    if problems:
        return JSONResponse(
            {"error": f"{problems[0].file}: {problems[0].reason}", "problems": [p.__dict__ for p in problems]}, 422
        )
    upload_id = call.site.ingests.new_upload(files)
    call.target = f"upload {upload_id}"
    return JSONResponse({"id": upload_id, "chunk": CHUNK})


def upload_form(call: StaffCall) -> Response:
    """The upload without JavaScript: one multipart form of files (a folder's keep their paths)."""
    files = [(f.filename or "", f.size if f.size is not None else 0) for f in call.files]
    problems = check_declared(files, call.site.services.settings.upload_max_bytes)
    if not files:
        problems.append(Problem("Files", "choose a folder or files to upload"))
    if call.site.catalog.get_collection(call.form.get("collection", "")) is None:
        problems.append(Problem("Collection", "choose the collection to ingest into"))
    if problems:
        return ingest_page(call, problems, 422)
    ingests = call.site.ingests
    upload_id = ingests.new_upload(files)
    folder = ingests.folder(upload_id)
    assert folder is not None
    for sent in call.files:
        part = ingests.part(folder, sent.filename or "")
        assert part is not None  # declared just now
        with part.open("wb") as out:
            sent.file.seek(0)
            shutil.copyfileobj(sent.file, out)
    call.target = f"upload {upload_id}"
    return call.redirect(f"/staff/ingest/uploads/{upload_id}?collection={call.form['collection']}")


def upload_status(call: StaffCall) -> Response:
    """What has arrived of one file (``?name=``): the browser resumes from ``size``."""
    ingests = call.site.ingests
    folder = ingests.folder(call.path["upload"])
    part = ingests.part(folder, call.query.get("name", "")) if folder else None
    if part is None:
        return JSONResponse({"error": "no such upload, or that file was not declared"}, 404)
    return JSONResponse({"name": call.query["name"], "size": part.stat().st_size if part.is_file() else 0})


async def receive_chunk(call: StaffCall) -> Response:
    """``PUT ...?name=N&offset=O`` with the bytes: appended when ``offset`` is what has arrived."""
    ingests = call.site.ingests
    folder = ingests.folder(call.path["upload"])
    name = call.query.get("name", "")
    part = ingests.part(folder, name) if folder else None
    offset = call.query.get("offset", "")
    if folder is None or part is None or not offset.isdigit():
        return JSONResponse({"error": f"{name or 'no name'}: give an upload, a declared file and an offset"}, 422)
    have = part.stat().st_size if part.is_file() else 0
    if int(offset) != have:
        return JSONResponse({"error": f"{name}: {have} bytes have arrived, not {offset}", "size": have}, 409)
    size = ingests.declared(folder)[name.replace("\\", "/")]
    data = bytearray()
    async for chunk in call.request.stream():
        data += chunk
        if len(data) > CHUNK_MAX or have + len(data) > size:
            return JSONResponse({"error": f"{name}: more bytes than the {size} declared"}, 413)

    def append() -> int:
        with part.open("ab") as out:
            out.write(data)
        return part.stat().st_size

    return JSONResponse({"name": name, "size": await anyio.to_thread.run_sync(append)})


def _no_upload(call: StaffCall) -> Response:
    return call.site.refusal(
        call.request,
        404,
        "Not found",
        "No such upload (it may have been ingested).",
        session=call.session,
        user=call.user,
    )


def _collection_problem(call: StaffCall, collection: str) -> DryRun | None:
    if call.site.catalog.get_collection(collection) is None:
        problem = Problem("Collection", "choose the collection to ingest into")
        return DryRun("folder", [ItemResult("the upload", "failed", problems=[problem])])
    return None


def upload_page(call: StaffCall) -> Response:
    """The dry run of an upload: every problem by file and row, before anything is stored."""
    ingests = call.site.ingests
    upload_id = call.path["upload"]
    if ingests.folder(upload_id) is None:
        return _no_upload(call)
    collection = call.query.get("collection", "")
    report = _collection_problem(call, collection) or ingests.dry_run(upload_id, collection)
    return call.render(
        "upload.html",
        upload_id=upload_id,
        collection=collection,
        files=ingests.files(upload_id),
        report=report,
        problems=report.problems,
    )


def upload_report(call: StaffCall) -> Response:
    """The dry run's report as a download: ``?format=csv`` (a row per problem) or JSON."""
    ingests = call.site.ingests
    upload_id = call.path["upload"]
    if ingests.folder(upload_id) is None:
        return _no_upload(call)
    collection = call.query.get("collection", "")
    report = _collection_problem(call, collection) or ingests.last_report(upload_id, collection)
    if call.query.get("format") == "csv":
        body, media = report.to_csv(), "text/csv; charset=utf-8"
    else:
        body, media = json.dumps(report.to_json(), indent=2), "application/json"
    extension = "csv" if media.startswith("text/csv") else "json"
    disposition = f'attachment; filename="dry-run-{upload_id}.{extension}"'
    return Response(body, media_type=media, headers={"Content-Disposition": disposition})


def start_ingest(call: StaffCall) -> Response:
    ingests = call.site.ingests
    upload_id = call.path["upload"]
    collection = call.form.get("collection", "")
    if ingests.folder(upload_id) is None or call.site.catalog.get_collection(collection) is None:
        return call.redirect("/staff/ingest", "That upload is gone or its collection is unknown: upload again.")
    missing = ingests.missing(upload_id)
    if missing:
        return call.redirect(f"/staff/ingest/uploads/{upload_id}?collection={collection}", str(missing[0]))
    try:
        job_id = ingests.start(upload_id, collection, call.user.name)
    except IngestError as exc:
        return call.redirect(f"/staff/ingest/uploads/{upload_id}?collection={collection}", exc.message)
    call.target = f"job {job_id}"
    return call.redirect(f"/staff/jobs/{job_id}")


def job_page(call: StaffCall) -> Response:
    queue = call.site.ingests.jobs.queue
    found = queue.find(call.path["job"])
    if found is None:
        return call.site.refusal(
            call.request, 404, "Not found", "There is no such job.", session=call.session, user=call.user
        )
    job = job_view(found, queue.jobs, call.site.services.settings.queue_lease_seconds)
    if found.kind == OCR_KIND:  # an item's pages read again: its rows are pages; say what was stored
        job["message"], job["item_id"] = ocr_outcome(found)
    if call.query.get("format") == "json":
        return JSONResponse(job, headers={"Cache-Control": "no-store"})
    return call.render("job.html", job=job)
