"""rebuild-catalog: the catalog recreated from preservation storage alone.

Collections: the latest record of each in the collection records (``repo.lifecycle.collections``).
Per object: the head version's inventory (versions, checksums), its bag (bag-info for the
collection and identifiers, MODS and DC for the metadata, PREMIS for the lifecycle events and
the page order, ``ocr/`` for the pages' text and word boxes), pixel sizes from the access
pyramids' headers (or the masters'), and the audit log (fixity, replication and repair events;
the catalog facts noted at each change; tombstones of purged items). Fixity rows follow from
the logged events exactly as the audit wrote them.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from repo.audit import PRESERVATION, REPLICA, Preservation
from repo.audit.event_log import LoggedEvent, LogRecord
from repo.audit.fixity_rows import RowKey, apply_events
from repo.audit.service import catalog_event
from repo.catalog import FixityRow, Item, PageFile, Replication, format_datestamp
from repo.catalog.changes import announce_missing
from repo.catalog.from_record import catalog_metadata
from repo.errors import MunimentError
from repo.identifiers import content_key, default_item_id, derivative_key, item_id_from_object, thumbnail_key
from repo.lifecycle.collections import CollectionRecords
from repo.lifecycle.stored_bag import StoredBag, read_stored_bag
from repo.lifecycle.withdraw import withdrawal_reason
from repo.metadata.errors import MetadataError
from repo.metadata.premis import FIXITY_CHECK, REPAIR, REPLICATION
from repo.ocr.bag_text import index_tags
from repo.page_formats import IMAGE_SUFFIXES
from repo.page_sizes import image_size
from repo.preservation import Inventory, PreservationError
from repo.preservation.ocfl_inventory import SIDECAR_FILE, parse_sidecar, version_number
from storage.errors import NotFound, StorageError

log = logging.getLogger("muniment.lifecycle")

LOGGED_TYPES = frozenset({FIXITY_CHECK, REPLICATION, REPAIR})  # events kept in the event log, not in bags


@dataclass
class RebuildResult:
    items: int = 0
    withdrawn: int = 0
    purged: int = 0
    collections: int = 0
    unrecorded: list[str] = field(default_factory=list)  # collections named by items but with no record
    problems: list[str] = field(default_factory=list)


def rebuild_catalog(p: Preservation) -> RebuildResult:
    stored = CollectionRecords.of(p.services)
    collections, problems = stored.latest()
    for collection in p.catalog.list_collections():
        if collection.slug not in collections:  # made before records were kept: --replace keeps its title
            stored.write(collection)
            collections[collection.slug] = collection
    result = RebuildResult(problems=problems)
    logs = dict(p.log.all_records())
    with p.catalog.db.transaction():
        p.catalog.clear()
        for collection in collections.values():
            p.catalog.insert_collection(collection)
        for oid in p.primary.store.list_objects():
            records = logs.pop(oid, [])
            if any(r.tombstone for r in records):
                logs[oid] = records  # a purge that did not finish: the tombstone stands
                continue
            try:
                item = _restore_item(p, oid, records)
            except (PreservationError, MetadataError, StorageError, MunimentError, KeyError) as exc:
                result.problems.append(f"{oid}: {exc}")
                continue
            result.items += 1
            result.withdrawn += item.status == "withdrawn"
        for records in logs.values():
            tombstone = next((r for r in reversed(records) if r.tombstone), None)
            if tombstone is not None and tombstone.item is not None:
                _restore_tombstone(p, tombstone.item, records)
                result.purged += 1
        restored = {c.slug for c in p.catalog.list_collections()}
        result.collections = len(restored)
        result.unrecorded = sorted(restored - set(collections))
        announce_missing(p.catalog.db)  # the public changes: what storage no longer holds is deleted
    _reindex(p)
    return result


def _restore_item(p: Preservation, oid: str, records: Sequence[LogRecord]) -> Item:
    item_id = item_id_from_object(oid)
    store = p.primary.store
    inventory = store.read_inventory(oid)
    bag = read_stored_bag(store, oid)
    record = bag.record()  # its MARC too: OAI-PMH's marcxml is the record as submitted
    collection = bag.info_value("Bag-Group-Identifier")
    if not collection:
        raise MunimentError("bag-info.txt has no Bag-Group-Identifier (the collection)")
    facts: Mapping[str, Any] = next((r.item for r in reversed(records) if r.item is not None), {})
    key = facts.get("content_key") or content_key(
        collection, [(e.path.rsplit("/", 1)[-1], e.sha512) for e in bag.payload]
    )
    reason = withdrawal_reason(bag.events)
    first = min(inventory.versions, key=version_number)
    item = Item(
        id=item_id,
        collection=collection,
        title=record.title or bag.info_value("Title") or item_id,
        content_key=key,
        page_count=len(bag.payload),
        created=facts.get("created") or format_datestamp(_when(inventory.versions[first].created)),
        datestamp=facts.get("datestamp") or format_datestamp(_when(bag.created)),
        external_id=facts["external_id"] if "external_id" in facts else _external_id(bag, item_id, collection, key),
        visibility=facts.get("visibility", "public"),
        embargo_until=facts.get("embargo_until"),
        status="withdrawn" if reason is not None else "active",
        status_reason=reason,
        version=version_number(inventory.head),
    )
    logged = [e for r in records for e in r.events]
    events = _merge([LoggedEvent(e) for e in bag.events if e.type not in LOGGED_TYPES], logged)
    p.catalog.ensure_collection(collection)
    p.catalog.register_item(
        item, _pages(p, item_id, bag), catalog_metadata(record), [catalog_event(item_id, e) for e in events]
    )
    _restore_audit(p, item_id, inventory, logged)
    index_tags(p.catalog.db, item_id, bag.tags, item.version)  # the pages' text (OCR or supplied) in its bag
    return item


def _restore_tombstone(p: Preservation, fields: Mapping[str, Any], records: Sequence[LogRecord]) -> None:
    item = Item(**{k: fields[k] for k in Item.__dataclass_fields__ if k in fields})
    history = [e for r in records if r.tombstone for e in r.events]
    others = [e for r in records if not r.tombstone for e in r.events]
    p.catalog.ensure_collection(item.collection)
    p.catalog.register_item(item, [], None, [catalog_event(item.id, e) for e in _merge(history, others)])


def _pages(p: Preservation, item_id: str, bag: StoredBag) -> list[PageFile]:
    state = p.primary.store.version_state(bag.object_id, bag.version)
    pages = []
    for seq, entry in enumerate(bag.payload, start=1):
        size = (
            image_size(p.services.access, derivative_key(item_id, seq))
            or image_size(p.primary.storage, f"{p.primary.store.object_root(bag.object_id)}/{state[entry.path][0]}")
            or (0, 0)
        )
        suffix = "." + entry.path.rsplit(".", 1)[-1].lower()
        pages.append(
            PageFile(
                seq=seq,
                path=entry.path,
                label=str(seq),
                size=entry.size or 0,
                sha512=entry.sha512,
                mime=IMAGE_SUFFIXES.get(suffix, "application/octet-stream"),
                width=size[0],
                height=size[1],
                derivative_key=derivative_key(item_id, seq),
                thumbnail_key=thumbnail_key(item_id, seq),
            )
        )
    return pages


def _restore_audit(p: Preservation, item_id: str, inventory: Inventory, logged: Sequence[LoggedEvent]) -> None:
    """Fixity rows of both copies and the replication row, as the audit left them."""
    store = p.primary.store
    root = store.object_root(inventory.id)
    sizes: dict[str, int] = {}
    for paths in inventory.manifest.values():
        for path in paths:
            try:
                sizes[path] = p.primary.storage.head(f"{root}/{path}").size
            except NotFound:
                sizes[path] = 0
    copies = {PRESERVATION: version_number(inventory.head)}
    replicated = next(
        (e for e in reversed(logged) if e.event.type == REPLICATION and e.version and e.event.outcome == "success"),
        None,
    )
    if replicated is not None:
        name = next(n for n in inventory.versions if version_number(n) == replicated.version)
        digest = parse_sidecar(store.storage.get_bytes(f"{root}/{name}/{SIDECAR_FILE}"))
        p.catalog.record_replication(
            Replication(item_id, replicated.version, digest, format_datestamp(replicated.event.datetime)), []
        )
        copies[REPLICA] = replicated.version
    rows: dict[RowKey, FixityRow] = {}
    for copy, version in copies.items():
        files = [
            (path, digest, sizes[path])
            for digest, paths in inventory.manifest.items()
            for path in paths
            if version_number(path.split("/", 1)[0]) <= version
        ]
        p.catalog.sync_fixity(item_id, copy, version, files)
        rows.update({(copy, path): FixityRow(item_id, copy, path, digest, size) for path, digest, size in files})
    apply_events(rows, logged)
    p.catalog.record_fixity([r for r in rows.values() if r.last_checked or r.last_result], [])


def _merge(first: Sequence[LoggedEvent], second: Sequence[LoggedEvent]) -> list[LoggedEvent]:
    """Two histories, each in the order it was recorded, merged by time (not sorted: the catalog lists
    events of one second in the order they were recorded, and this keeps that order)."""
    a, b, out = deque(first), deque(second), []
    while a and b:
        out.append(a.popleft() if a[0].event.datetime <= b[0].event.datetime else b.popleft())
    return out + list(a) + list(b)


def _external_id(bag: StoredBag, item_id: str, collection: str, key: str) -> str | None:
    found = bag.info_value("External-Identifier")
    # Ingest writes the item id there when the depositor gave no identifier.
    return None if found is None or (found == item_id == default_item_id(collection, key)) else found


def _when(created: str) -> datetime:
    return datetime.fromisoformat(created.replace("Z", "+00:00"))


def _reindex(p: Preservation) -> None:
    try:
        from repo.search import reindex_all
    except ImportError:
        return
    reindex_all(p.catalog.db)
