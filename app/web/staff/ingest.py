"""The ingest pages: upload (chunks, resumable), dry run, start, and the job followed live."""

from __future__ import annotations

import json
from types import SimpleNamespace

import anyio.to_thread
from starlette.responses import JSONResponse, Response

from app.api.jobs import ingest_out
from app.ocr_tasks import KIND as OCR_KIND
from app.web.staff.guard import StaffCall
from app.web.staff.ocr import ocr_job_view
from app.web.staff.uploads import CHUNK_MAX, file_name, public_problem
from ingest.runner import ItemResult
from repo.errors import Problem


def ingest_page(call: StaffCall) -> Response:
    jobs = [ingest_out(job) for job in call.site.ingests.jobs.queue.recent(limit=20)]
    return call.render("ingest.html", collections=call.site.catalog.list_collections(), jobs=jobs)


def create_upload(call: StaffCall) -> Response:
    upload_id = call.site.ingests.new_upload()
    call.target = f"upload {upload_id}"
    return JSONResponse({"id": upload_id, "chunk": 8 * 1024 * 1024})


def upload_status(call: StaffCall) -> Response:
    """What has arrived of one file (``?name=``): the browser resumes from ``size``."""
    folder = call.site.ingests.folder(call.path["upload"])
    name = file_name(call.query.get("name", ""))
    if folder is None or name is None:
        return JSONResponse({"error": "no such upload or file name"}, 404)
    part = folder / "files" / name
    return JSONResponse({"name": name, "size": part.stat().st_size if part.is_file() else 0})


async def receive_chunk(call: StaffCall) -> Response:
    """``PUT ...?name=N&offset=O`` with the bytes: appended when ``offset`` is what has arrived."""
    ingests = call.site.ingests
    folder = ingests.folder(call.path["upload"])
    name = file_name(call.query.get("name", ""))
    offset = call.query.get("offset", "")
    if folder is None or name is None or not offset.isdigit():
        return JSONResponse({"error": "give an upload, a file name (letters, digits, . _ - ( )) and an offset"}, 422)
    part = folder / "files" / name
    have = part.stat().st_size if part.is_file() else 0
    if int(offset) != have:
        return JSONResponse({"error": f"{name}: {have} bytes have arrived, not {offset}", "size": have}, 409)
    limit = call.site.services.settings.upload_max_bytes
    total = sum(p.stat().st_size for p in (folder / "files").iterdir() if p.is_file())
    data = bytearray()
    async for chunk in call.request.stream():
        data += chunk
        if len(data) > CHUNK_MAX or total + len(data) > limit:
            return JSONResponse(
                {"error": f"{name}: the upload is larger than allowed (MUNIMENT_UPLOAD_MAX_BYTES)"}, 413
            )

    def append() -> int:
        with part.open("ab") as out:
            out.write(data)
        return part.stat().st_size

    size = await anyio.to_thread.run_sync(append)
    return JSONResponse({"name": name, "size": size})


def upload_page(call: StaffCall) -> Response:
    """The dry run of an upload: every problem by file, before anything is stored."""
    ingests = call.site.ingests
    upload_id = call.path["upload"]
    if ingests.folder(upload_id) is None:
        return call.site.refusal(
            call.request,
            404,
            "Not found",
            "No such upload (it may have been ingested).",
            session=call.session,
            user=call.user,
        )
    collection = call.query.get("collection", "")
    problems: list[Problem] = []
    if call.site.catalog.get_collection(collection) is None:
        result = ItemResult(
            "the upload", "failed", problems=[Problem("Collection", "choose the collection to ingest into")]
        )
    else:
        result = ingests.dry_run(upload_id, collection)
    folder = ingests.folder(upload_id)
    problems = [public_problem(p, (str(folder / "files"), str(folder))) for p in result.problems] if folder else []
    return call.render(
        "upload.html",
        upload_id=upload_id,
        collection=collection,
        files=ingests.files(upload_id),
        result=result,
        problems=problems,
        report=json.dumps(result.to_json()),
    )


def start_ingest(call: StaffCall) -> Response:
    ingests = call.site.ingests
    upload_id = call.path["upload"]
    collection = call.form.get("collection", "")
    if ingests.folder(upload_id) is None or call.site.catalog.get_collection(collection) is None:
        return call.redirect("/staff/ingest", "That upload is gone or its collection is unknown: upload again.")
    job_id = ingests.start(upload_id, collection, call.user.name)
    call.target = f"job {job_id}"
    return call.redirect(f"/staff/jobs/{job_id}")


def job_page(call: StaffCall) -> Response:
    found = call.site.ingests.jobs.queue.find(call.path["job"])
    if found is not None and found.kind == OCR_KIND:  # an item's pages read again (staff item page)
        view = ocr_job_view(found)
        if call.query.get("format") == "json":
            return JSONResponse(view, headers={"Cache-Control": "no-store"})
        return call.render("job.html", job=SimpleNamespace(**view))
    job = ingest_out(found) if found is not None else None
    if job is None:
        return call.site.refusal(
            call.request, 404, "Not found", "There is no such job.", session=call.session, user=call.user
        )
    if call.query.get("format") == "json":
        return JSONResponse(job.model_dump(mode="json"), headers={"Cache-Control": "no-store"})
    return call.render("job.html", job=job)
