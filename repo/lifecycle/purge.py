"""Purge: the item's object is removed from preservation storage, its replica and its access
derivatives, and who did it and why is kept.

A tombstone goes into the event log first (the item's catalog row, its PREMIS history and a
``deletion`` event naming the OS user and the reason), then the catalog keeps a tombstone row
(status 'purged') for OAI-PMH, then storage is emptied. A purge interrupted midway is finished
by running it again; rebuild-catalog recreates the tombstone from the log.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime

from repo.audit import Preservation, sync_log
from repo.audit.event_log import LoggedEvent, LogRecord
from repo.audit.service import catalog_event
from repo.catalog import format_datestamp
from repo.errors import MunimentError
from repo.identifiers import object_id
from repo.lifecycle.reindex import forget
from repo.lifecycle.stored_bag import read_stored_bag
from repo.metadata.premis import DELETION, PremisEvent
from repo.preservation import ObjectNotFound, ObjectStore, User


@dataclass(frozen=True)
class PurgeResult:
    item_id: str
    preservation_keys: int
    replica_keys: int
    derivatives: int


def purge(p: Preservation, item_id: str, reason: str, user: User) -> PurgeResult:
    if not reason.strip():
        raise MunimentError("a purge needs a reason (--reason): it is kept with the tombstone")
    with p.primary.store.writing(object_id(item_id)):  # no version is written while the object goes
        return _purge(p, item_id, reason, user)


def _purge(p: Preservation, item_id: str, reason: str, user: User) -> PurgeResult:
    item = p.catalog.require_item(item_id)
    oid = object_id(item_id)
    derivative_keys = [k for f in p.catalog.files(item_id) for k in (f.derivative_key, f.thumbnail_key)]
    if item.status != "purged":
        moment = datetime.now(UTC)
        event = PremisEvent(DELETION, moment, "success", f"purged by {user.name}: {reason.strip()}", user.name)
        try:
            history = read_stored_bag(p.primary.store, oid).events  # exact times, as the bag holds them
        except ObjectNotFound:
            history = []
        tombstone = dataclasses.replace(
            item, status="purged", status_reason=reason.strip(), datestamp=format_datestamp(moment)
        )
        p.log.append(
            LogRecord(
                oid, tuple(LoggedEvent(e) for e in [*history, event]), dataclasses.asdict(tombstone), tombstone=True
            )
        )
        p.catalog.purge_item(
            item_id, tombstone.status_reason or "", tombstone.datestamp, [catalog_event(item_id, LoggedEvent(event))]
        )
    forget(p.catalog, item_id)
    counts = [_purge_object(copy.store, oid) for copy in p.copies()]
    access = p.services.access
    derivative_keys += list(access.list(f"{item_id}/"))
    for key in dict.fromkeys(derivative_keys):
        access.delete(key)
    sync_log(p, p.log.folder(oid))  # the tombstone on the replica too
    return PurgeResult(item_id, counts[0], counts[1] if len(counts) > 1 else 0, len(set(derivative_keys)))


def _purge_object(store: ObjectStore, oid: str) -> int:
    try:
        return store.purge(oid)
    except ObjectNotFound:
        return 0
