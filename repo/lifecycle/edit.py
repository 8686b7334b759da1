"""Editing an item's descriptive metadata: a new OCFL version whose bag has the new MODS and DC
(and MARC: kept in step with a DC edit, replaced by a new MARC record, removed with a PREMIS event
when a record of another kind replaces it), an updated bag-info and PREMIS log (scans are not
copied); then the catalog and search."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from repo.audit import Preservation
from repo.audit.event_log import LoggedEvent
from repo.audit.service import catalog_event
from repo.catalog import Item
from repo.catalog.from_record import catalog_metadata
from repo.errors import MunimentError
from repo.identifiers import object_id
from repo.lifecycle.catch_up import unrecorded
from repo.lifecycle.reindex import reindex
from repo.lifecycle.stored_bag import DC_FILE, MARC_FILE, MODS_FILE, StoredBag, read_stored_bag
from repo.lifecycle.tag_version import write_tag_version
from repo.metadata.field_edit import apply_dc, source_kind
from repo.metadata.premis import METADATA_MODIFICATION, PremisEvent
from repo.metadata.record import MetadataRecord
from repo.preservation import User
from repo.preservation.ocfl_inventory import version_number


@dataclass(frozen=True)
class EditResult:
    item_id: str
    version: int  # the new version; 0 when the stored record was the same and nothing was written
    changed: list[str]  # DC elements that differ ("mods" when only the MODS record does)
    stored: tuple[str, ...]  # content paths the new version wrote: tag files only


def changed_elements(old: MetadataRecord, new: MetadataRecord) -> list[str]:
    names = [name for name in new.dc if old.dc.get(name) != new.dc.get(name)]
    if old.marc_xml != new.marc_xml:
        names.append("marc")
    return names or (["mods"] if old.mods_xml != new.mods_xml else [])


class EditConflict(MunimentError):
    """The edit was based on a version that is no longer the item's head."""

    def __init__(self, item_id: str, based_on: int, current: int) -> None:
        super().__init__(
            f"item {item_id} is at version {current}, but this edit was based on version {based_on}: "
            f"another edit came first; read version {current} and edit it again"
        )
        self.current = current


def edit_metadata(
    p: Preservation, item_id: str, record: MetadataRecord, user: User, *, based_on: int | None = None
) -> EditResult:
    """A new version with ``record``. ``based_on`` is the version the editor saw (an API client's
    ``If-Match``, the command line's version at its start): when another edit has come since, the
    edit is refused (``EditConflict``) unless the item already holds this very record."""
    oid = object_id(item_id)
    with p.primary.store.writing(oid):  # from the read of the head to the catalog row of the new version
        item, bag = _head(p, item_id, oid)
        return _edit(p, item, bag, record, user, based_on)


def edit_fields(
    p: Preservation,
    item_id: str,
    dc: Mapping[str, Sequence[str]],
    user: User,
    *,
    based_on: int | None = None,
    filename: str = "dc",
) -> EditResult:
    """A new version whose DC is ``dc``, written into the item's source record (MARC, MODS or DC:
    ``repo.metadata.field_edit``), so that the three never disagree. ``MetadataError`` names each
    element that cannot be edited that way; nothing is written then."""
    oid = object_id(item_id)
    with p.primary.store.writing(oid):
        item, bag = _head(p, item_id, oid)
        return _edit(p, item, bag, apply_dc(bag.record(), dc, filename), user, based_on)


def _head(p: Preservation, item_id: str, oid: str) -> tuple[Item, StoredBag]:
    item = p.catalog.require_item(item_id)
    if item.status == "purged":
        raise MunimentError(f"item {item_id} was purged; there is nothing to edit")
    return item, read_stored_bag(p.primary.store, oid)


def _edit(
    p: Preservation, item: Item, bag: StoredBag, record: MetadataRecord, user: User, based_on: int | None
) -> EditResult:
    item_id, oid = item.id, bag.object_id
    changed = changed_elements(bag.record(), record)
    # The catalog's version is what editors are shown (it trails the head only after a crash).
    if changed and based_on is not None and based_on != item.version:
        raise EditConflict(item_id, based_on, item.version)
    if not changed:
        stored = version_number(bag.version)
        if stored != item.version:  # an earlier run stored this record, then was killed
            events = unrecorded(p.catalog, item_id, bag.events)
            p.catalog.replace_metadata(
                item_id,
                record.title or item.title,
                catalog_metadata(record),
                stored,
                [catalog_event(item_id, LoggedEvent(e)) for e in events],
            )
            reindex(p.catalog, item_id)
            p.committed(item_id)
        return EditResult(item_id, 0, [], ())
    what = ", ".join(changed)
    at = datetime.now(UTC)
    events = [
        PremisEvent(METADATA_MODIFICATION, at, "success", f"descriptive metadata replaced (changed: {what})", user.name)
    ]
    # A record that is not MARC replaces a MARC one: the MARC would contradict the new MODS and DC.
    dropped = (MARC_FILE,) if record.marc_xml is None and MARC_FILE in bag.tags else ()
    if dropped:
        events.append(
            PremisEvent(
                METADATA_MODIFICATION,
                at,
                "success",
                f"{MARC_FILE} removed: the MARC record is no longer the item's source (replaced by a "
                f"{source_kind(record).upper()} record); earlier versions keep it",
                user.name,
            )
        )
    replace = {MODS_FILE: record.mods_xml, DC_FILE: record.dc_xml}
    if record.marc_xml is not None:
        replace[MARC_FILE] = record.marc_xml
    settings = p.services.settings
    info = write_tag_version(
        p.primary.store,
        oid,
        settings.staging_path / "lifecycle",
        replace=replace,
        remove=dropped,
        events=events,
        message=f"Metadata edited: {what}",
        user=user,
        title=record.title or None,
        source_organization=settings.source_organization,
        bag=bag,
    )
    version = version_number(info.version)
    p.catalog.replace_metadata(
        item_id,
        record.title or item.title,
        catalog_metadata(record),
        version,
        [catalog_event(item_id, LoggedEvent(e)) for e in events],
    )
    reindex(p.catalog, item_id)
    p.committed(item_id)
    return EditResult(item_id, version, changed, info.stored)
