"""What differs between two versions of an item's descriptive metadata, Dublin Core element by
element: the values one version has and the other lacks, read from the bags' own records."""

from __future__ import annotations

from dataclasses import dataclass

from repo.lifecycle.stored_bag import DC_FILE, MARC_FILE, MODS_FILE
from repo.metadata.loader import record_from_stored
from repo.metadata.record import MetadataRecord
from repo.preservation import ObjectStore


@dataclass(frozen=True)
class FieldChange:
    element: str
    removed: list[str]  # in the older version only
    added: list[str]  # in the newer version only
    kept: list[str]  # in both


def version_record(store: ObjectStore, object_id: str, version: str) -> MetadataRecord:
    """The record a version holds, its MARC too when it has one."""

    def read(path: str) -> bytes:
        with store.open_file(object_id, path, version) as stream:
            return stream.read()

    has_marc = MARC_FILE in store.read_inventory(object_id).state(version)
    return record_from_stored(
        read(DC_FILE), read(MODS_FILE), f"{object_id} {version}", read(MARC_FILE) if has_marc else None
    )


def field_changes(old: MetadataRecord, new: MetadataRecord) -> list[FieldChange]:
    """Each DC element whose values differ, in the record's element order."""
    changes = []
    for element in new.dc:
        before, after = list(old.dc.get(element, ())), list(new.dc.get(element, ()))
        if before == after:
            continue
        changes.append(
            FieldChange(
                element,
                [v for v in before if v not in after],
                [v for v in after if v not in before],
                [v for v in after if v in before],
            )
        )
    return changes
