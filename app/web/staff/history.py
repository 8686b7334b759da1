"""An item's versions, and a field-by-field diff of the descriptive metadata between any two."""

from __future__ import annotations

from starlette.responses import Response

from app.web.staff.guard import StaffCall
from repo.errors import MunimentError
from repo.identifiers import object_id
from repo.lifecycle import item_history
from repo.lifecycle.version_diff import field_changes, version_record
from repo.preservation.ocfl_inventory import version_number
from storage.errors import StorageError


def history_page(call: StaffCall) -> Response:
    item = call.site.catalog.get_item(call.path["item"])
    if item is None or item.status == "purged":
        return call.site.refusal(
            call.request, 404, "Not found", "There is no stored item here.", session=call.session, user=call.user
        )
    store = call.site.services.object_store()
    oid = object_id(item.id)
    versions = item_history(store, oid)
    numbers = [version_number(v.version) for v in versions]
    newest = numbers[-1]
    b = _pick(call.query.get("b"), numbers, newest)
    a = _pick(call.query.get("a"), numbers, max(1, b - 1))
    changes, problem = [], ""
    if a != b:
        try:
            older, newer = sorted((a, b))
            names = {version_number(v.version): v.version for v in versions}
            changes = field_changes(version_record(store, oid, names[older]), version_record(store, oid, names[newer]))
            a, b = older, newer
        except (MunimentError, StorageError) as exc:
            problem = f"The records of these versions could not be compared: {exc}"
    return call.render(
        "history.html",
        item=item,
        versions=list(reversed(versions)),
        numbers=numbers,
        a=a,
        b=b,
        changes=changes,
        problem=problem,
    )


def _pick(text: str | None, numbers: list[int], default: int) -> int:
    value = int(text) if text and text.isdigit() and len(text) < 10 else default
    return value if value in numbers else default
