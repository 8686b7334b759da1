"""An item's versions with their dates, who made them, and what changed: files added, removed or
modified, the descriptive metadata elements that differ, and the PREMIS events the version added."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from repo.lifecycle.edit import changed_elements
from repo.lifecycle.stored_bag import DC_FILE, MARC_FILE, MODS_FILE, PREMIS_FILE
from repo.lifecycle.version_diff import version_record
from repo.metadata.premis import PremisEvent, parse_premis_events
from repo.preservation import ObjectStore
from repo.preservation.ocfl_inventory import version_number


@dataclass(frozen=True)
class VersionEntry:
    version: str
    created: str
    user: str
    message: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)
    metadata: list[str] = field(default_factory=list)  # DC elements that changed
    events: list[PremisEvent] = field(default_factory=list)  # new in this version's PREMIS log

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "created": self.created,
            "user": self.user,
            "message": self.message,
            "added": self.added,
            "removed": self.removed,
            "modified": self.modified,
            "metadata_changed": self.metadata,
            "events": [
                {"type": e.type, "datetime": e.datetime.isoformat(), "agent": e.agent, "detail": e.detail}
                for e in self.events
            ],
        }


def item_history(store: ObjectStore, object_id: str) -> list[VersionEntry]:
    inventory = store.read_inventory(object_id)
    entries: list[VersionEntry] = []
    before: dict[str, str] = {}
    for name in sorted(inventory.versions, key=version_number):
        version = inventory.versions[name]
        state = version.logical_paths()
        modified = sorted(p for p in state if p in before and before[p] != state[p])
        metadata: list[str] = []
        marc_moved = (MARC_FILE in state) != (MARC_FILE in before)
        if before and ({DC_FILE, MODS_FILE, MARC_FILE} & set(modified) or marc_moved):
            old, new = (version_record(store, object_id, v) for v in (entries[-1].version, name))
            metadata = changed_elements(old, new)
        events: list[PremisEvent] = []
        if PREMIS_FILE in state and (not before or PREMIS_FILE in modified):
            known = len(parse_premis_events(_read(store, object_id, PREMIS_FILE, entries[-1].version))) if before else 0
            events = parse_premis_events(_read(store, object_id, PREMIS_FILE, name))[known:]
        entries.append(
            VersionEntry(
                name,
                version.created,
                version.user.name if version.user else "",
                version.message or "",
                sorted(set(state) - set(before)) if before else sorted(state),
                sorted(set(before) - set(state)),
                modified,
                metadata,
                events,
            )
        )
        before = state
    return entries


def _read(store: ObjectStore, object_id: str, path: str, version: str) -> bytes:
    with store.open_file(object_id, path, version) as stream:
        return stream.read()


def format_history(item_id: str, entries: list[VersionEntry]) -> str:
    lines = [f"{item_id}: {len(entries)} version(s)"]
    for e in entries:
        lines.append(f"{e.version}  {e.created}  {e.user or '-'}  {e.message}")
        if e.version == entries[0].version:
            lines.append(
                f"    {len([p for p in e.added if p.startswith('data/')])} payload files, "
                f"{len([p for p in e.added if not p.startswith('data/')])} tag files"
            )
        else:
            for label, paths in (("added", e.added), ("removed", e.removed), ("modified", e.modified)):
                if paths:
                    lines.append(f"    {label}: {', '.join(paths)}")
        if e.metadata:
            lines.append(f"    metadata changed: {', '.join(e.metadata)}")
        lines += [f"    event: {ev.type} by {ev.agent}: {ev.detail}" for ev in e.events]
    return "\n".join(lines)
