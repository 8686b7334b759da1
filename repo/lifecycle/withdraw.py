"""Withdrawal: the item leaves public view (pages, search, IIIF answer 410, OAI-PMH says deleted)
while its preservation object is kept.

The withdrawal is recorded in the object itself, so that it survives a catalog rebuild: a new
version whose PREMIS log ends with a ``deaccession`` event (LoC eventType vocabulary) carrying
the reason. rebuild-catalog reads the status from the head version's PREMIS log.
"""

from __future__ import annotations

from datetime import UTC, datetime

from repo.audit import Preservation
from repo.audit.event_log import LoggedEvent
from repo.audit.service import catalog_event
from repo.catalog import Item
from repo.errors import MunimentError
from repo.identifiers import object_id
from repo.lifecycle.catch_up import unrecorded
from repo.lifecycle.reindex import reindex
from repo.lifecycle.stored_bag import read_stored_bag
from repo.lifecycle.tag_version import write_tag_version
from repo.metadata.premis import PremisEvent
from repo.preservation import User
from repo.preservation.ocfl_inventory import version_number

DEACCESSION = "deaccession"
WITHDRAWN = "withdrawn from public access: "  # the event detail: this, then the reason


def withdrawal_reason(events: list[PremisEvent]) -> str | None:
    """The reason of the withdrawal in force according to a PREMIS log, or None when there is none."""
    last = next((e for e in reversed(events) if e.type == DEACCESSION), None)
    return last.detail.removeprefix(WITHDRAWN) if last is not None and last.detail.startswith(WITHDRAWN) else None


def withdraw(p: Preservation, item_id: str, reason: str, user: User) -> Item:
    with p.primary.store.writing(object_id(item_id)):  # the status read and the version written from it
        return _withdraw(p, item_id, reason, user)


def _withdraw(p: Preservation, item_id: str, reason: str, user: User) -> Item:
    item = p.catalog.require_item(item_id)
    if item.status != "active":
        raise MunimentError(f"item {item_id} is already {item.status}")
    if not reason.strip():
        raise MunimentError("a withdrawal needs a reason (--reason)")
    bag = read_stored_bag(p.primary.store, object_id(item_id))
    stored = withdrawal_reason(bag.events)
    if stored is not None:  # an earlier run stored the withdrawal, then was killed: catch up
        reason, version, events = stored, version_number(bag.version), unrecorded(p.catalog, item_id, bag.events)
    else:
        event = PremisEvent(DEACCESSION, datetime.now(UTC), "success", WITHDRAWN + reason.strip(), user.name)
        settings = p.services.settings
        info = write_tag_version(
            p.primary.store,
            object_id(item_id),
            settings.staging_path / "lifecycle",
            replace={},
            events=[event],
            message=f"Withdrawn: {reason.strip()}",
            user=user,
            source_organization=settings.source_organization,
            bag=bag,
        )
        reason, version, events = reason.strip(), version_number(info.version), [event]
    with p.catalog.db.transaction():
        # Status first: the public then learns of a withdrawal (Delete), not of a new version.
        p.catalog.set_status(item_id, status="withdrawn", reason=reason)  # moves the datestamp
        p.catalog.set_version(item_id, version)
        p.catalog.add_events([catalog_event(item_id, LoggedEvent(e)) for e in events])
    reindex(p.catalog, item_id)
    p.committed(item_id)
    return p.catalog.require_item(item_id)
