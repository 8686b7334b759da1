"""Bulk metadata: a collection's Dublin Core as CSV (download), an edited CSV (pasted, or read
from a chosen file by the page's script) compared with the items, a table of each change (old
and new) and every problem, and, once confirmed, the changes applied as one queued job whose
page reports each item."""

from __future__ import annotations

import io

from starlette.responses import Response

from app.metadata_tasks import KIND, submit_import
from app.web.staff.guard import StaffCall
from repo.errors import MunimentError
from repo.lifecycle.bulk_metadata import ImportPlan, export_csv, plan_import

CSV_NAME = "edited.csv"


def metadata_page(call: StaffCall) -> Response:
    return _render(call)


def export(call: StaffCall) -> Response:
    slug = call.query.get("collection", "")
    out = io.StringIO()
    try:
        export_csv(call.site.catalog, slug, out)
    except MunimentError as exc:
        return _render(call, problems=[exc.message], status=404)
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{slug}-metadata.csv"'},
    )


def compare(call: StaffCall) -> Response:
    """The plan of the CSV; with ``action=apply``, the plan queued as a job."""
    text = call.form.get("csv", "")
    name = _filename(call.form.get("filename", ""))
    try:
        plan = plan_import(call.site.catalog, call.site.services.object_store(), text.encode("utf-8"), name)
    except MunimentError as exc:
        return _render(
            call, csv=text, filename=name, problems=[str(p) for p in exc.problems] or [exc.message], status=422
        )
    if call.form.get("action") != "apply" or not plan.applicable or plan.problems:
        return _render(call, csv=text, filename=name, plan=plan, status=422 if plan.problems else 200)
    job = submit_import(call.site.ingests.jobs.queue, plan, call.user.name)
    call.target = job.id
    refused = f"; {len(plan.refused)} item(s) with problems left as they are" if plan.refused else ""
    return call.redirect(
        f"/staff/metadata/jobs/{job.id}", f"{len(plan.applicable)} item(s) queued as job {job.id}{refused}."
    )


def job_page(call: StaffCall) -> Response:
    job = call.site.ingests.jobs.queue.find(call.path["job"])
    if job is None or job.kind != KIND:
        return call.site.refusal(
            call.request, 404, "Not found", "There is no such metadata job.", session=call.session, user=call.user
        )
    return call.render("metadata_job.html", job=job, counts=job.counts)


def _render(
    call: StaffCall,
    *,
    csv: str = "",
    filename: str = CSV_NAME,
    plan: ImportPlan | None = None,
    problems: list[str] | None = None,
    status: int = 200,
) -> Response:
    return call.render(
        "metadata.html",
        status,
        collections=call.site.catalog.list_collections(),
        csv=csv,
        filename=filename,
        plan=plan,
        problems=problems or ([str(p) for p in plan.all_problems] if plan else []),
    )


def _filename(name: str) -> str:
    """The chosen file's name, as problems name it (never a path)."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name[:200] if name else CSV_NAME
