"""The metadata editor: the Dublin Core elements as a form with repeatable values, or the MODS
(or DC) XML as text whose schema errors are shown at their line; a preview of the record the
crosswalk makes; saving makes a new OCFL version, refused when someone else saved in between (the
form keeps what was typed, so nothing is lost)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.responses import Response

from app.web.staff.guard import StaffCall
from app.web.staff.items import staff_user
from repo.audit import Preservation
from repo.catalog import Item
from repo.lifecycle import EditConflict, edit_fields, edit_metadata
from repo.metadata.dublin_core import ELEMENTS
from repo.metadata.errors import MetadataError
from repo.metadata.loader import record_from_bytes, record_from_dc_fields
from repo.metadata.record import MetadataRecord
from repo.metadata.rights import rights_choices

XML_NAME = "record.xml"
FORM_NAME = "form"
CONTEXT_LINES = 2


@dataclass(frozen=True)
class LineError:
    line: int | None
    field: str  # the form element it concerns, or '' for the XML text
    message: str


@dataclass(frozen=True)
class SourceLine:
    number: int
    text: str
    errors: list[str]


def edit_page(call: StaffCall) -> Response:
    item = call.site.catalog.get_item(call.path["item"])
    if item is None or item.status == "purged":
        return call.site.refusal(
            call.request, 404, "Not found", "There is no such item to edit.", session=call.session, user=call.user
        )
    meta = call.site.catalog.metadata(item.id)
    dc = {e: list(meta.dc.get(e, [])) for e in ELEMENTS} if meta else {e: [] for e in ELEMENTS}
    xml = meta.mods_xml if meta else ""
    return _render(call, item, mode=call.query.get("mode", "dc"), dc=dc, xml=xml, based_on=item.version)


def save_edit(call: StaffCall) -> Response:
    item = call.site.catalog.get_item(call.path["item"])
    if item is None or item.status == "purged":
        return call.site.refusal(
            call.request, 404, "Not found", "There is no such item to edit.", session=call.session, user=call.user
        )
    call.target = item.id
    mode = "xml" if call.form.get("mode") == "xml" else "dc"
    dc = {e: [v for v in call.lists.get(f"dc.{e}", []) if v.strip()] for e in ELEMENTS}
    xml = call.form.get("xml", "").replace("\r\n", "\n")
    based_on = _int(call.form.get("based_on", ""))
    try:
        record = record_from_bytes(xml.encode("utf-8"), XML_NAME, suffix=".xml") if mode == "xml" else _from_form(dc)
    except MetadataError as exc:
        errors = [_line_error(p.reason, p.line, mode) for p in exc.problems]
        return _render(call, item, mode=mode, dc=dc, xml=xml, based_on=based_on, errors=errors, status=422)
    if call.form.get("action") == "preview":
        return _render(call, item, mode=mode, dc=dc, xml=xml, based_on=based_on, preview=record)
    preservation = Preservation(call.site.services)
    try:
        if mode == "xml":
            result = edit_metadata(preservation, item.id, record, staff_user(call), based_on=based_on)
        else:  # the form's DC, written into the item's MARC or MODS when it came as one
            fields = {e: v for e, v in dc.items() if v}
            result = edit_fields(preservation, item.id, fields, staff_user(call), based_on=based_on, filename=FORM_NAME)
    except MetadataError as exc:
        errors = [_line_error(p.reason, p.line, mode) for p in exc.problems]
        return _render(call, item, mode=mode, dc=dc, xml=xml, based_on=based_on, errors=errors, status=422)
    except EditConflict as exc:
        conflict = (
            f"Not saved: someone else saved version {exc.current} of this item after you opened version "
            f"{based_on}. Your changes are still below; open version {exc.current} in a new tab, "
            "then copy your changes into it."
        )
        return _render(call, item, mode=mode, dc=dc, xml=xml, based_on=based_on, conflict=conflict, status=409)
    finally:
        preservation.close()
    if result.version == 0:
        return call.redirect(f"/staff/items/{item.id}", "Nothing changed: no new version was made.")
    return call.redirect(
        f"/staff/items/{item.id}/history?a={result.version - 1}&b={result.version}",
        f"Saved as version {result.version} (changed: {', '.join(result.changed)}).",
    )


def _from_form(dc: dict[str, list[str]]) -> MetadataRecord:
    return record_from_dc_fields({e: v for e, v in dc.items() if v}, FORM_NAME, separator=None)


def _line_error(reason: str, line: int | None, mode: str) -> LineError:
    field = ""
    if mode == "dc":
        head = reason.partition(":")[0].strip()
        field = "title" if reason.startswith("no title") else head if head in ELEMENTS else ""
    return LineError(line, field, reason)


def source_lines(xml: str, errors: list[LineError]) -> list[list[SourceLine]]:
    """The lines around each error, numbered, with the errors at their line: one excerpt per group."""
    lines = xml.split("\n")
    marked: dict[int, list[str]] = {}
    for e in errors:
        if e.line is not None and 1 <= e.line <= len(lines):
            marked.setdefault(e.line, []).append(e.message)
    excerpts: list[list[SourceLine]] = []
    shown: set[int] = set()
    for number in sorted(marked):
        span = range(max(1, number - CONTEXT_LINES), min(len(lines), number + CONTEXT_LINES) + 1)
        fresh = [n for n in span if n not in shown]
        if not fresh:
            continue
        shown.update(fresh)
        excerpt = [SourceLine(n, lines[n - 1], marked.get(n, [])) for n in fresh]
        if excerpts and excerpts[-1][-1].number + 1 == fresh[0]:
            excerpts[-1].extend(excerpt)
        else:
            excerpts.append(excerpt)
    return excerpts


def _render(
    call: StaffCall,
    item: Item,
    *,
    mode: str,
    dc: dict[str, list[str]],
    xml: str,
    based_on: int | None,
    errors: list[LineError] | None = None,
    preview: MetadataRecord | None = None,
    conflict: str = "",
    status: int = 200,
) -> Response:
    errors = errors or []
    return call.render(
        "edit.html",
        status,
        item=item,
        mode="xml" if mode == "xml" else "dc",
        elements=ELEMENTS,
        dc=dc,
        xml=xml,
        based_on=based_on if based_on is not None else item.version,
        errors=errors,
        field_errors={e.field: e.message for e in errors if e.field},
        excerpts=source_lines(xml, errors) if mode == "xml" else [],
        preview=preview,
        conflict=conflict,
        rights_choices=rights_choices(),
    )


def _int(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) < 10 else None
