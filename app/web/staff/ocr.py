"""The staff item page's "Read the text again (OCR)": the same job as ``muniment ocr ITEM --queue``
(a task per page on the workers, then one storing the text as a new version), followed on its
job page."""

from __future__ import annotations

from starlette.responses import Response

from app.ocr_tasks import submit_ocr
from app.web.staff.guard import StaffCall
from app.web.staff.items import item_page
from repo.catalog.jobs import Job
from repo.errors import MunimentError
from repo.ocr.service import ItemOcr


def read_again(call: StaffCall) -> Response:
    services = call.site.services
    item = services.catalog.get_item(call.path.get("item", ""))
    if item is None:
        return item_page(call)
    if not services.settings.ocr:
        return item_page(call, problems=["OCR: it is turned off here (MUNIMENT_OCR=false)"], status=409)
    ocr = ItemOcr(services)
    try:
        job = submit_ocr(call.site.ingests.jobs.queue, ocr, [item.id], call.user.name, again=True)
    except MunimentError as exc:  # withdrawn, or no Tesseract language data
        return item_page(call, problems=[f"OCR: {exc.message}"], status=409)
    finally:
        ocr.close()
    if job is None:
        return call.redirect(f"/staff/items/{item.id}", "No page to read: the text of every page was supplied.")
    call.target = f"{item.id} job {job.id}"
    return call.redirect(f"/staff/jobs/{job.id}")


def ocr_outcome(job: Job) -> tuple[str, str | None]:
    """What an OCR job's page says on top of its rows of pages: the version stored, or how many pages
    are read so far; and the item read."""
    pages = [t for t in job.tasks if "seq" in t.params]
    read = sum(t.state == "succeeded" for t in pages)
    failed = sum(t.state == "failed" for t in job.tasks)
    stored = next((t.message for t in job.tasks if t.params.get("store") and t.state == "succeeded"), "")
    message = stored or f"OCR: {read} of {len(pages)} page(s) read" + (f", {failed} failed" if failed else "")
    items = {t.params.get("item") for t in job.tasks}
    return message, (items.pop() if len(items) == 1 else None)
