"""Cataloging: the items list (filters, keyset paging), an item's page, its visibility, embargo and
withdrawal, and its export as a zip bag."""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

from starlette.background import BackgroundTask
from starlette.responses import FileResponse, Response

from app.web.staff.guard import StaffCall
from iiif.presentation.parts import DC_FIELDS
from repo.audit import Preservation
from repo.catalog import Item
from repo.catalog.item_list import ItemFilter, list_items_page
from repo.errors import MunimentError
from repo.identifiers import object_id
from repo.lifecycle import export_bag, item_history, withdraw
from repo.lifecycle.visibility import set_visibility as change_visibility
from repo.preservation import User
from storage.errors import StorageError

log = logging.getLogger("muniment.staff")

_DAY = re.compile(r"\d{4}-\d\d-\d\d")
VISIBILITIES = ("public", "restricted", "embargoed")
STATUSES = ("active", "withdrawn", "purged")
PAGE_SIZE = 50


def items_list(call: StaffCall) -> Response:
    q = call.query
    problems = []
    days = {}
    for name in ("from", "to"):
        value = q.get(name, "").strip()
        if value and not _valid_day(value):
            problems.append(f"Ingested {name}: {value!r} is not a date (YYYY-MM-DD)")
            value = ""
        days[name] = value
    where = ItemFilter(
        collection=q.get("collection", ""),
        visibility=q.get("visibility", "") if q.get("visibility") in VISIBILITIES else "",
        status=q.get("status", "") if q.get("status") in STATUSES else "",
        ingested_from=days["from"],
        ingested_to=days["to"],
        text=q.get("q", "")[:200],
    )
    page = list_items_page(call.site.catalog.db, where, after=q.get("after", ""), limit=PAGE_SIZE)
    kept = {k: v for k, v in q.items() if k not in ("after", "notice") and v}
    next_link = f"?{urlencode({**kept, 'after': page.next_cursor})}" if page.next_cursor else ""
    return call.render(
        "items.html",
        items=page.items,
        where=where,
        days=days,
        problems=problems,
        collections=call.site.catalog.list_collections(),
        visibilities=VISIBILITIES,
        statuses=STATUSES,
        next_link=next_link,
        first_link=f"?{urlencode(kept)}" if q.get("after") else "",
    )


def item_page(call: StaffCall, *, problems: list[str] | None = None, status: int = 200) -> Response:
    item = _item(call)
    if item is None:
        return call.site.refusal(
            call.request, 404, "Not found", "There is no such item.", session=call.session, user=call.user
        )
    catalog = call.site.catalog
    meta = catalog.metadata(item.id)
    versions = []
    if item.status != "purged":
        try:
            versions = item_history(call.site.services.object_store(), object_id(item.id))
        except (MunimentError, StorageError) as exc:
            log.warning("%s: history not readable: %s", item.id, exc)
    return call.render(
        "item.html",
        status,
        item=item,
        meta=meta,
        fields=[(label, meta.dc.get(element, [])) for element, label in DC_FIELDS] if meta else [],
        pages=catalog.files(item.id),
        versions=list(reversed(versions)),
        collection=catalog.get_collection(item.collection),
        problems=problems or [],
        visibilities=VISIBILITIES,
        today=date.today().isoformat(),
    )


def set_visibility(call: StaffCall) -> Response:
    item = _item(call)
    if item is None:
        return item_page(call)
    visibility = call.form.get("visibility", "")
    embargo = call.form.get("embargo_until", "").strip()
    problems = []
    if item.status != "active":
        problems.append(f"Visibility: the item is {item.status}; only active items have a visibility")
    if visibility not in VISIBILITIES:
        problems.append("Visibility: choose public, restricted or embargoed")
    if visibility == "embargoed" and not _valid_day(embargo):
        problems.append("Embargo until: give the date the embargo ends (YYYY-MM-DD)")
    if problems:
        return item_page(call, problems=problems, status=422)
    change_visibility(call.site.services, item.id, visibility, embargo)
    shown = f"embargoed until {embargo}" if visibility == "embargoed" else visibility
    return call.redirect(f"/staff/items/{item.id}", f"The item is now {shown}.")


def withdraw_item(call: StaffCall) -> Response:
    item = _item(call)
    if item is None:
        return item_page(call)
    reason = call.form.get("reason", "").strip()
    if not reason:
        return item_page(call, problems=["Reason: say why the item is withdrawn (it is shown on its page)"], status=422)
    preservation = Preservation(call.site.services)
    try:
        withdraw(preservation, item.id, reason[:1000], staff_user(call))
    except MunimentError as exc:
        return item_page(call, problems=[f"Withdrawal: {exc.message}"], status=409)
    finally:
        preservation.close()
    return call.redirect(f"/staff/items/{item.id}", "The item has been withdrawn; its preservation copy is kept.")


def export_zip(call: StaffCall) -> Response:
    """The item's head (or ``?version=N``) as a zip of its BagIt bag, made in staging and removed after."""
    item = _item(call)
    if item is None or item.status == "purged":
        return call.site.refusal(
            call.request, 404, "Not found", "There is no stored item to export.", session=call.session, user=call.user
        )
    version = call.query.get("version") or None
    work = Path(tempfile.mkdtemp(prefix="staff-export-", dir=_staging(call)))
    name = f"{item.id}-{version or 'head'}"
    try:
        archive = export_bag(
            call.site.services.object_store(), object_id(item.id), version, work / f"{name}.zip", "zip", name
        )
    except MunimentError as exc:
        shutil.rmtree(work, ignore_errors=True)
        return item_page(call, problems=[f"Export: {exc.message}"], status=422)
    return FileResponse(
        archive,
        media_type="application/zip",
        filename=archive.name,
        background=BackgroundTask(shutil.rmtree, work, ignore_errors=True),
    )


def staff_user(call: StaffCall) -> User:
    return User(call.user.name, f"urn:muniment:staff:{call.user.name}")


def _item(call: StaffCall) -> Item | None:
    return call.site.catalog.get_item(call.path.get("item", ""))


def _staging(call: StaffCall) -> Path:
    folder = call.site.services.settings.staging_path / "staff"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _valid_day(text: str) -> bool:
    if not _DAY.fullmatch(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True
