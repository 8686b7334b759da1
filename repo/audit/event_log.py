"""The event log: what the catalog knows that no OCFL object version holds, kept in preservation
storage so that ``rebuild-catalog`` loses nothing.

It is a storage-root extension of the OCFL root (``extensions/muniment-event-log/``), one folder
per object (the object's root path under the root's layout) holding append-only JSON records
named by their UTC time, so a listing reads them in order. A record holds PREMIS events that
happen without a new version (fixity checks, replication, repair), the catalog facts of the
item that storage does not otherwise hold (when it was registered, its OAI datestamp...), or a
tombstone written before an object is purged. Records are never changed; the folder of a purged
object stays, so its tombstone survives.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from repo.metadata.premis import PremisEvent
from repo.preservation import OcflRoot
from storage.base import Storage

EXTENSION = "muniment-event-log"
PREFIX = f"extensions/{EXTENSION}/"


@dataclass(frozen=True)
class LoggedEvent:
    """A PREMIS event and, for rebuilding the fixity and replication tables, what it concerns."""

    event: PremisEvent
    copy: str = ""  # the copy a fixity check or repair concerns: preservation | replica
    content_path: str = ""  # the file it concerns, relative to the object root
    version: int = 0  # the object version a replication copied
    result: str = ""  # what a fixity check or repair left the file as: ok | failed | missing | repaired


@dataclass(frozen=True)
class LogRecord:
    object_id: str
    events: tuple[LoggedEvent, ...] = ()
    item: Mapping[str, Any] | None = None  # catalog facts of the item at this moment
    tombstone: bool = False  # written just before the object was purged
    written: str = field(default="", compare=False)

    def to_bytes(self) -> bytes:
        doc = {
            "object": self.object_id,
            "written": self.written,
            "events": [_event_json(e) for e in self.events],
            "item": dict(self.item) if self.item is not None else None,
            "tombstone": self.tombstone,
        }
        return (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> LogRecord:
        doc = json.loads(data.decode("utf-8"))
        return cls(
            object_id=doc["object"],
            events=tuple(_event_from_json(e) for e in doc["events"]),
            item=doc.get("item"),
            tombstone=bool(doc.get("tombstone")),
            written=doc.get("written", ""),
        )


class EventLog:
    """Appends records for objects of the OCFL root in ``storage`` and reads them back."""

    def __init__(self, storage: Storage, root: OcflRoot | None = None) -> None:
        self.storage = storage
        self._root = root or OcflRoot(storage)

    def folder(self, object_id: str) -> str:
        return f"{PREFIX}{self._root.object_root(object_id)}/"

    def append(self, record: LogRecord) -> str:
        moment = datetime.now(UTC)
        key = f"{self.folder(record.object_id)}{moment.strftime('%Y%m%dT%H%M%S%fZ')}-{uuid.uuid4().hex[:8]}.json"
        stamped = replace(record, written=moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
        self.storage.put_bytes(key, stamped.to_bytes())
        return key

    def records(self, object_id: str) -> list[LogRecord]:
        """The object's records, oldest first (none when the root or the folder does not exist)."""
        if not self._root.exists():
            return []
        return [self._read(key) for key in self.storage.list(self.folder(object_id))]

    def all_records(self) -> Iterator[tuple[str, list[LogRecord]]]:
        """(object id, its records oldest first) for every object with a log, purged ones included."""
        folder, batch = "", list[LogRecord]()
        for key in self.storage.list(PREFIX):
            here = key.rsplit("/", 1)[0]
            if here != folder and batch:
                yield batch[0].object_id, batch
                batch = []
            folder = here
            batch.append(self._read(key))
        if batch:
            yield batch[0].object_id, batch

    def _read(self, key: str) -> LogRecord:
        return LogRecord.from_bytes(self.storage.get_bytes(key))


def _event_json(logged: LoggedEvent) -> dict[str, Any]:
    e = logged.event
    out: dict[str, Any] = {
        "type": e.type,
        "datetime": e.datetime.isoformat(),
        "outcome": e.outcome,
        "detail": e.detail,
        "agent": e.agent,
    }
    if logged.copy:
        out["copy"] = logged.copy
    if logged.content_path:
        out["content_path"] = logged.content_path
    if logged.version:
        out["version"] = logged.version
    if logged.result:
        out["result"] = logged.result
    return out


def _event_from_json(doc: Mapping[str, Any]) -> LoggedEvent:
    event = PremisEvent(
        doc["type"], datetime.fromisoformat(doc["datetime"]), doc["outcome"], doc["detail"], doc["agent"]
    )
    return LoggedEvent(
        event, doc.get("copy", ""), doc.get("content_path", ""), int(doc.get("version", 0)), doc.get("result", "")
    )
