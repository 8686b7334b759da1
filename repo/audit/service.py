"""What the audit and lifecycle commands share: the copies, the event log, the catalog, and the
bookkeeping after every new object version (catalog facts logged, fixity rows, replication)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from repo.audit.copies import PRESERVATION, REPLICA, Copy
from repo.audit.event_log import EventLog, LoggedEvent, LogRecord
from repo.audit.hashing import StreamHasher
from repo.catalog import Event, FixityRow, Item, format_datestamp
from repo.errors import MunimentError
from repo.identifiers import object_id
from repo.preservation import PreservationError
from repo.preservation.ocfl_inventory import version_number
from repo.services import Services
from storage.errors import NotFound, StorageError

log = logging.getLogger("muniment.audit")

# Catalog fields that no object version holds; logged whenever they change (see rebuild-catalog).
ITEM_FACTS = ("created", "datestamp", "external_id", "content_key", "visibility", "embargo_until")


class Preservation:
    def __init__(self, services: Services, *, hasher: StreamHasher | None = None) -> None:
        self.services = services
        self.catalog = services.catalog
        self.primary = Copy(PRESERVATION, services.object_store())
        self.replica = Copy(REPLICA, services.object_store(services.replica)) if services.replica is not None else None
        self.log = EventLog(services.preservation, self.primary.store.root)
        self._hasher = hasher

    @property
    def hasher(self) -> StreamHasher:
        if self._hasher is None:  # threads only when something is hashed
            self._hasher = StreamHasher()
        return self._hasher

    def copies(self) -> list[Copy]:
        return [self.primary] + ([self.replica] if self.replica else [])

    def copy(self, name: str) -> Copy | None:
        return next((c for c in self.copies() if c.name == name), None)

    def other(self, copy: Copy) -> Copy | None:
        return next((c for c in self.copies() if c.name != copy.name), None)

    # -- recording ------------------------------------------------------------------------------

    def record(self, item_id: str, events: Sequence[LoggedEvent], *, facts: Item | None = None) -> None:
        """Log first (storage is the record), then the catalog: a crash between them loses nothing
        that rebuild-catalog cannot find again."""
        item = {name: getattr(facts, name) for name in ITEM_FACTS} if facts is not None else None
        self.log.append(LogRecord(object_id(item_id), tuple(events), item))
        self.catalog.add_events([catalog_event(item_id, e) for e in events])

    def record_fixity(
        self,
        item_id: str,
        rows: Sequence[FixityRow],
        events: Sequence[LoggedEvent],
        *,
        findings: Mapping[str, Sequence[FixityRow]] | None = None,
    ) -> None:
        """Checked rows and their events, the events logged first; ``findings`` by copy name replace
        the item's earlier findings on those copies."""
        self.log.append(LogRecord(object_id(item_id), tuple(events)))
        by_copy = {(item_id, copy): found for copy, found in (findings or {}).items()}
        self.catalog.record_fixity(rows, [catalog_event(item_id, e) for e in events], by_copy)

    def note_item(self, item_id: str) -> None:
        """Log the catalog facts of the item as they are now (after registration or a change)."""
        self.record(item_id, [], facts=self.catalog.require_item(item_id))

    # -- after a new version ----------------------------------------------------------------------

    def committed(self, item_id: str) -> None:
        """After a version is committed and registered: log the facts, add its files to the fixity
        table, copy it to the replica. Failures are logged, never raised: ``muniment replicate`` and
        ``muniment fixity`` catch up later."""
        try:
            self.note_item(item_id)
            self.sync_fixity(self.primary, item_id)
        except (StorageError, PreservationError, MunimentError) as exc:
            log.warning("%s: audit bookkeeping failed (muniment fixity catches up): %s", item_id, exc)
        if self.replica is not None:
            from repo.audit.replication import replicate_item

            try:
                replicate_item(self, item_id)
            except (StorageError, PreservationError, MunimentError) as exc:
                log.warning("%s: not replicated yet (run muniment replicate): %s", item_id, exc)

    def sync_fixity(self, copy: Copy, item_id: str) -> int:
        """Make the copy's fixity rows the content files of its committed object; returns the version."""
        oid = object_id(item_id)
        inventory = copy.store.read_inventory(oid)
        files = []
        for digest, paths in inventory.manifest.items():
            for path in paths:
                try:
                    size = copy.storage.head(copy.key(oid, path)).size
                except NotFound:
                    size = 0  # the next check reports it missing
                files.append((path, digest, size))
        version = version_number(inventory.head)
        self.catalog.sync_fixity(item_id, copy.name, version, files)
        return version

    def close(self) -> None:
        if self._hasher is not None:
            self._hasher.close()


def catalog_event(item_id: str, logged: LoggedEvent) -> Event:
    e = logged.event
    return Event(item_id, e.type, format_datestamp(e.datetime), e.outcome, e.agent, e.detail)
