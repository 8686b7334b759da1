"""Items: list and read (public ones for anyone, all of them for a reader token), edit metadata as
a new version, set visibility, withdraw."""

from __future__ import annotations

import logging
import re

from app.api.errors import ApiError, unauthorized
from app.api.models import (
    AccessTierOut,
    AccessTierUpdate,
    EditOut,
    ItemDetail,
    ItemList,
    ItemListQuery,
    ItemOut,
    MetadataUpdate,
    VisibilityUpdate,
    Withdrawal,
)
from app.api.operations import Call, Operation, Reply
from app.api.views import item_out, page_out
from iiif.presentation.ids import Urls
from repo.access import Access, Tier, access_tier, decide_access, set_access_tier
from repo.audit import Preservation
from repo.auth import Principal, Role
from repo.catalog import Item
from repo.catalog.presentation_rows import filtered_items
from repo.lifecycle import edit_metadata, withdraw
from repo.lifecycle.visibility import set_visibility as change_visibility
from repo.metadata.loader import record_from_bytes, record_from_dc_fields
from repo.metadata.record import MetadataRecord
from repo.preservation import User

log = logging.getLogger("muniment.api")

ITEM_PARAM = {"item": r"[A-Za-z0-9._-]{1,200}"}
_ETAG = re.compile(r'(?:W/)?"v([0-9]{1,9})"')
_MESSAGES = {
    Access.UNAUTHORIZED: "this item is not public: a reader token is needed",
    Access.GONE: "this item has been withdrawn",
    Access.NOT_FOUND: "no such item",
}


def is_staff(principal: Principal | None) -> bool:
    return principal is not None and principal.allows(Role.READER)


def list_items(call: Call) -> Reply:
    q: ItemListQuery = call.query
    equal = [(c, getattr(q, c)) for c in ("collection", "status", "visibility") if getattr(q, c) is not None]
    rows, total = filtered_items(
        call.services.catalog.db, equal, public_only=not is_staff(call.principal), limit=q.limit, offset=q.offset
    )
    return Reply(
        ItemList(
            items=[item_out(Item.from_row(r)) for r in rows],
            total=total,
            limit=q.limit,
            offset=q.offset,
        )
    )


def visible_item(call: Call) -> Item:
    """The item of the path, or the error an anonymous caller gets; staff see every record."""
    item = call.services.catalog.get_item(call.path["item"])
    if item is not None and is_staff(call.principal):
        return item
    access = decide_access(item, call.principal)
    if access is Access.UNAUTHORIZED:
        raise unauthorized(_MESSAGES[access])
    if access is not Access.VISIBLE or item is None:
        raise ApiError(access.status, _MESSAGES.get(access, "not available"))
    return item


def etag(item: Item) -> str:
    """The item's entity tag: its preservation version, which every edit moves on."""
    return f'"v{item.version}"'


def _based_on(call: Call) -> int | None:
    """The version named by ``If-Match`` (None when absent or ``*``: the edit applies to the head)."""
    given = call.request.headers.get("if-match", "").strip()
    if given in ("", "*"):
        return None
    match = _ETAG.fullmatch(given)
    if match is None:
        raise ApiError(400, f'If-Match must be the item\'s ETag as GET /items/ID gives it, such as "v3"; got {given}')
    return int(match.group(1))


def get_item(call: Call) -> Reply:
    item = visible_item(call)
    catalog = call.services.catalog
    metadata = catalog.metadata(item.id)
    return Reply(
        ItemDetail(
            **item_out(item).model_dump(),
            pages=[page_out(f) for f in catalog.files(item.id)],
            dc=metadata.dc if metadata else {},
            manifest=Urls(call.services.settings.base_url).manifest(item.id),
        ),
        headers={"ETag": etag(item)},
    )


def _existing(call: Call) -> Item:
    item = call.services.catalog.get_item(call.path["item"])
    if item is None:
        raise ApiError(404, "no such item")
    return item


def _user(call: Call) -> User:
    assert call.principal is not None  # every write needs a token
    return User(call.principal.name, f"urn:muniment:token:{call.principal.token_id}")


def _record(body: MetadataUpdate) -> MetadataRecord:
    if body.mods is not None:
        # The same safe parser as ingest: no DTD, no entities, bounded text nodes.
        return record_from_bytes(body.mods.encode("utf-8"), "mods", suffix=".xml")
    assert body.dc is not None
    return record_from_dc_fields(body.dc, "dc", separator=None)


def update_metadata(call: Call) -> Reply:
    item = _existing(call)
    based_on = _based_on(call)
    record = _record(call.body)  # refused (422) before anything is written
    preservation = Preservation(call.services)
    try:
        result = edit_metadata(preservation, item.id, record, _user(call), based_on=based_on)
    finally:
        preservation.close()
    updated = call.services.catalog.require_item(item.id)
    return Reply(
        EditOut(item=item_out(updated), version=result.version, changed=result.changed),
        headers={"ETag": etag(updated)},
    )


def set_visibility(call: Call) -> Reply:
    body: VisibilityUpdate = call.body
    item = _existing(call)
    return Reply(item_out(change_visibility(call.services, item.id, body.visibility, body.embargo_until)))


def set_item_access_tier(call: Call) -> Reply:
    body: AccessTierUpdate = call.body
    item = _existing(call)
    catalog = call.services.catalog
    set_access_tier(catalog, "item", item.id, None if body.tier == "inherit" else Tier.parse(body.tier))
    tier, own = access_tier(catalog, item)
    return Reply(AccessTierOut(item=item.id, tier=tier.value, own=own))


def withdraw_item(call: Call) -> Reply:
    body: Withdrawal = call.body
    item = _existing(call)
    preservation = Preservation(call.services)
    try:
        withdrawn = withdraw(preservation, item.id, body.reason, _user(call))
    finally:
        preservation.close()
    return Reply(item_out(withdrawn))


OPERATIONS = [
    Operation(
        "listItems",
        "GET",
        "/items",
        "List items (anonymous callers see public items only)",
        ItemList,
        list_items,
        query=ItemListQuery,
    ),
    Operation(
        "getItem",
        "GET",
        "/items/{item}",
        "Read an item, its pages and Dublin Core",
        ItemDetail,
        get_item,
        params=ITEM_PARAM,
        errors=(404, 410),
        answer_headers={"ETag": 'The item\'s version, such as "v3": send it as If-Match with an edit'},
    ),
    Operation(
        "updateMetadata",
        "PUT",
        "/items/{item}/metadata",
        "Replace an item's metadata: a new preservation version",
        EditOut,
        update_metadata,
        role=Role.CURATOR,
        body=MetadataUpdate,
        params=ITEM_PARAM,
        errors=(404, 409),
        request_headers={
            "If-Match": "The ETag of the version this edit is based on; 409 naming the current version "
            "when another edit came first"
        },
        header_patterns={"If-Match": r'^((W/)?"v[0-9]{1,9}"|\*)$'},
        answer_headers={"ETag": "The item's new version"},
    ),
    Operation(
        "setVisibility",
        "PUT",
        "/items/{item}/visibility",
        "Make an item public, restricted, or embargoed until a date",
        ItemOut,
        set_visibility,
        role=Role.CURATOR,
        body=VisibilityUpdate,
        params=ITEM_PARAM,
        errors=(404, 409),
    ),
    Operation(
        "setAccessTier",
        "PUT",
        "/items/{item}/access-tier",
        "Set how much of a restricted item anyone may see of its images (IIIF Authorization)",
        AccessTierOut,
        set_item_access_tier,
        role=Role.CURATOR,
        body=AccessTierUpdate,
        params=ITEM_PARAM,
        errors=(404,),
    ),
    Operation(
        "withdrawItem",
        "POST",
        "/items/{item}/withdraw",
        "Withdraw an item from public view (preservation is kept)",
        ItemOut,
        withdraw_item,
        role=Role.ADMIN,
        body=Withdrawal,
        params=ITEM_PARAM,
        errors=(404, 409),
    ),
]
