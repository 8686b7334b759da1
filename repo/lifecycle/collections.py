"""Collections kept in preservation storage as well as in the catalog, so that rebuild-catalog
restores every one (slug, title, description, rights, dates), with items or without.

The records are a storage-root extension of the OCFL root beside the event log
(``extensions/muniment-collections/``): one folder per slug holding append-only JSON records named
by their UTC time; the latest readable record is the collection. A record is written whole by one
put (a temporary file renamed, or one S3 PUT), so a crash leaves the previous record the latest.

The catalog row and its record are written inside one catalog transaction: the row (or, on SQLite,
the database) stays locked until the record is stored, so concurrent writers store their records in
the order they committed and the latest record is the row the catalog holds; a record that cannot
be stored rolls the catalog change back.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from repo.audit import Preservation, sync_log
from repo.catalog import Collection, utc_now
from repo.catalog.catalog import default_title
from repo.errors import ChangedMeanwhile, NotFoundError
from repo.preservation import OcflRoot, PreservationError
from repo.services import Services
from storage.base import Storage
from storage.errors import StorageError

log = logging.getLogger("muniment.lifecycle")

EXTENSION = "muniment-collections"
PREFIX = f"extensions/{EXTENSION}/"
_STAMP = "%Y%m%dT%H%M%S%fZ"
_FIELDS = tuple(Collection.__dataclass_fields__)


class CollectionRecords:
    """Writes collection records to the preservation storage (and the replica) and reads them back."""

    def __init__(self, storage: Storage, replica: Storage | None = None) -> None:
        self.storage = storage
        self.replica = replica

    @classmethod
    def of(cls, services: Services) -> CollectionRecords:
        return cls(services.preservation, services.replica)

    def write(self, collection: Collection) -> str:
        layout = OcflRoot(self.storage).ensure()  # the records live in the root: it must exist before them
        folder = f"{PREFIX}{collection.slug}/"
        # What a writer killed mid-record left (its temporary file) goes: the root must hold only its own.
        self.storage.discard_temporary(folder, recursive=False)
        moment = datetime.now(UTC)
        last = _stamp_of(next(reversed(list(self.storage.list(folder))), ""))
        if last is not None:  # names must grow even when this machine's clock is behind the last writer's
            moment = max(moment, last + timedelta(microseconds=1))
        key = f"{folder}{moment.strftime(_STAMP)}-{uuid.uuid4().hex[:8]}.json"
        data = _to_bytes(collection, moment)
        self.storage.put_bytes(key, data)
        if self.replica is not None:
            try:
                OcflRoot(self.replica, layout).ensure()  # the replica is a root of the same layout
                self.replica.put_bytes(key, data)
            except (StorageError, PreservationError) as exc:  # the primary holds it: `muniment replicate` copies it
                log.warning("collection %s: record not on the replica yet: %s", collection.slug, exc)
        return key

    def latest(self) -> tuple[dict[str, Collection], list[str]]:
        """Every recorded collection as its latest readable record, and what could not be read."""
        found: dict[str, Collection] = {}
        problems: list[str] = []
        for key in self.storage.list(PREFIX):
            try:
                collection = _from_bytes(self.storage.get_bytes(key))
            except (ValueError, KeyError, TypeError) as exc:  # an older record of that slug stands
                problems.append(f"{key}: unreadable collection record ({exc}); an earlier record is used")
                continue
            found[collection.slug] = collection
        return found, problems


def ensure_collection(
    services: Services, slug: str, title: str | None = None, description: str = "", rights: str = ""
) -> tuple[Collection, bool]:
    """The collection, created (and recorded in storage) when it does not exist; True when created
    here (another writer may have created it first: then False, and nothing is changed)."""
    catalog = services.catalog
    existing = catalog.get_collection(slug)
    if existing is not None:
        return existing, False
    now = utc_now()
    fresh = Collection(slug, title or default_title(slug), description, rights, now, now)
    with catalog.db.transaction():
        created = catalog.insert_collection(fresh)
        if created:
            CollectionRecords.of(services).write(fresh)
    collection = catalog.get_collection(slug)
    assert collection is not None
    return collection, created


def update_collection(services: Services, slug: str, *, based_on: str | None = None, **changes: str) -> Collection:
    """Change the collection's title, description, rights or thumbnail item, in the catalog and in
    storage. ``based_on`` is the ``edition`` of the collection as the editor read it: if someone
    changed it since, nothing changes and ``ChangedMeanwhile`` says so."""
    catalog = services.catalog
    with catalog.db.transaction():
        before = catalog.get_collection(slug)
        if before is None:
            raise NotFoundError(f"no collection {slug!r}")
        if based_on is not None and edition(before) != based_on:
            raise ChangedMeanwhile(
                f"collection {slug!r} was saved by someone else ({before.modified[:19].replace('T', ' ')} UTC)"
                " after you opened it"
            )
        if not changes:
            return before
        collection = catalog.update_collection(slug, **changes)
        CollectionRecords.of(services).write(collection)
    return collection


def edition(collection: Collection) -> str:
    """What an editor read, in a few characters: it changes with any field (``modified`` alone has
    seconds granularity, so two saves within a second would share it)."""
    return hashlib.sha256(_to_bytes(collection, datetime.min)).hexdigest()[:16]


def replicate_records(p: Preservation) -> int:
    """Copy the records the replica lacks (it was unreachable when they were written); how many."""
    if p.replica is None:
        return 0
    OcflRoot(p.replica.storage, p.primary.store.root.layout).ensure()  # perhaps no object is there yet
    return sync_log(p, PREFIX)


def _to_bytes(collection: Collection, written: datetime) -> bytes:
    doc = {**dataclasses.asdict(collection), "written": written.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
    return (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def _from_bytes(data: bytes) -> Collection:
    doc: Mapping[str, object] = json.loads(data.decode("utf-8"))
    if not isinstance(doc, dict) or not isinstance(doc.get("slug"), str) or not isinstance(doc.get("title"), str):
        raise ValueError("not a collection record: no slug or title")
    # Fields a newer Muniment adds are ignored here; fields it lacks take their defaults.
    return Collection(**{k: str(v) for k, v in doc.items() if k in _FIELDS})


def _stamp_of(key: str) -> datetime | None:
    try:
        return datetime.strptime(key.rsplit("/", 1)[-1].split("-", 1)[0], _STAMP).replace(tzinfo=UTC)
    except ValueError:  # no record yet, or a file not named by this module
        return None
