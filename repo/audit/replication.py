"""Replication: every committed object version copied to the replica storage and verified there by
reading it back, before the item counts as preserved (a ``replication`` row and PREMIS event).

Versions go over one at a time, each committed on the replica the way the object store commits
(content, version inventory, then the root inventory last), so the replica is itself a valid
OCFL root with byte-identical inventories, and an interrupted copy is undone by ``recover``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from repo.audit.copies import REPLICA, Copy
from repo.audit.event_log import PREFIX, LoggedEvent
from repo.audit.hashing import StreamHasher
from repo.audit.service import Preservation
from repo.catalog import Replication, format_datestamp
from repo.errors import MunimentError
from repo.identifiers import object_id
from repo.metadata.premis import REPLICATION, PremisEvent
from repo.preservation import ObjectNotFound, ObjectStore, PreservationError
from repo.preservation.ocfl_inventory import (
    INVENTORY_FILE,
    SIDECAR_FILE,
    digest_of,
    parse_inventory,
    parse_sidecar,
    version_number,
)
from repo.preservation.ocfl_root import OBJECT_DECLARATION, OBJECT_DECLARATION_BODY
from repo.version import AGENT
from storage.errors import StorageError


class ReplicationError(MunimentError):
    """The replica cannot take a verified copy (it diverges, or the source fails its checksums)."""


@dataclass(frozen=True)
class Replicated:
    item_id: str
    version: int
    files: int  # content files copied by this run
    bytes: int
    inventory_sha512: str


def replicate_object(source: Copy, replica: Copy, oid: str, hasher: StreamHasher) -> tuple[int, int, int, str]:
    """Copy the versions the replica lacks; (head version, files copied, bytes, inventory sha512).

    Under the object's lock: no version is written on either copy meanwhile."""
    with source.store.writing(oid):
        return _replicate_object(source, replica, oid, hasher)


def _replicate_object(source: Copy, replica: Copy, oid: str, hasher: StreamHasher) -> tuple[int, int, int, str]:
    inventory = source.store.read_inventory(oid)  # checked against its sidecar
    # The same layout (the same keys) and the same locks (one lock for both copies of an object).
    target = ObjectStore(replica.storage, layout=source.store.root.layout, locks=source.store.locks)
    target.root.ensure()
    target.recover(oid)
    try:
        existing = target.read_inventory(oid)
    except ObjectNotFound:
        existing = None
    if existing is not None and version_number(existing.head) > version_number(inventory.head):
        raise ReplicationError(f"the replica of {oid} has {existing.head}, ahead of the preservation copy")
    root = source.store.object_root(oid)
    files = size = 0
    digest = ""
    names = sorted(inventory.versions, key=version_number)
    for name in names:
        key = f"{root}/{name}/{INVENTORY_FILE}"
        data = source.storage.get_bytes(key)
        digest = digest_of(data)
        sidecar = source.storage.get_bytes(f"{root}/{name}/{SIDECAR_FILE}")
        if parse_sidecar(sidecar) != digest:
            raise ReplicationError(f"{key} on the preservation copy does not match its sidecar")
        if existing is not None and name in existing.versions:
            if replica.storage.get_bytes(key) != data:
                raise ReplicationError(
                    f"the replica's {name} of {oid} differs from the preservation copy; nothing overwritten"
                )
            continue
        for content_digest, paths in parse_inventory(data, key, expected_id=oid).manifest.items():
            for path in paths:
                if path.startswith(f"{name}/"):
                    size += _copy_verified(source, replica, f"{root}/{path}", content_digest, hasher)
                    files += 1
        replica.storage.put_bytes(key, data, sha512=digest)
        replica.storage.put_bytes(f"{root}/{name}/{SIDECAR_FILE}", sidecar)
        if name == names[0]:
            replica.storage.put_bytes(f"{root}/{OBJECT_DECLARATION}", OBJECT_DECLARATION_BODY)
        replica.storage.put_bytes(f"{root}/{INVENTORY_FILE}", data, sha512=digest)  # the commit
        replica.storage.put_bytes(f"{root}/{SIDECAR_FILE}", sidecar)
    return version_number(inventory.head), files, size, digest  # the digest of the head's inventory


def _copy_verified(source: Copy, replica: Copy, key: str, digest: str, hasher: StreamHasher) -> int:
    with source.storage.open(key) as stream:
        # put refuses bytes whose sha512 is not the inventory's: a damaged source is never copied.
        replica.storage.put(key, stream, sha512=digest)
    stored = hasher.sha512(replica.storage, key)  # read back: what is at rest is what counts
    if stored.sha512 != digest:
        raise ReplicationError(f"{key} read back from the replica does not match its sha512")
    return stored.size


def replicate_item(preservation: Preservation, item_id: str) -> Replicated:
    """Replicate the item's object, then record it (PREMIS event, catalog row, replica fixity rows)."""
    replica = preservation.replica
    if replica is None:
        raise ReplicationError("no replica is configured (MUNIMENT_REPLICA_STORAGE)")
    oid = object_id(item_id)
    try:
        version, files, size, inventory_sha512 = replicate_object(
            preservation.primary, replica, oid, preservation.hasher
        )
    except (ReplicationError, StorageError, PreservationError) as exc:
        failure = PremisEvent(REPLICATION, datetime.now(UTC), "failure", f"copy to the replica failed: {exc}", AGENT)
        try:
            preservation.record(item_id, [LoggedEvent(failure, copy=REPLICA)])
        except StorageError:
            pass  # the preservation storage is down too; the error below says what failed first
        raise
    current = preservation.catalog.replication(item_id)
    if current is None or current.version != version or files:
        moment = datetime.now(UTC)
        detail = f"v{version} on the replica, {files} new files ({size} bytes) copied and verified by sha512"
        event = PremisEvent(REPLICATION, moment, "success", detail, AGENT)
        preservation.record(item_id, [LoggedEvent(event, copy=REPLICA, version=version)])
        preservation.catalog.record_replication(
            Replication(item_id, version, inventory_sha512, format_datestamp(moment)), []
        )
    sync_log(preservation, preservation.log.folder(oid))
    preservation.sync_fixity(replica, item_id)
    return Replicated(item_id, version, files, size, inventory_sha512)


def sync_log(preservation: Preservation, prefix: str = PREFIX) -> int:
    """Copy event-log records the replica lacks (they are append-only, so a name says it all)."""
    if preservation.replica is None:
        return 0
    target = preservation.replica.storage
    have = set(target.list(prefix))
    missing = [key for key in preservation.log.storage.list(prefix) if key not in have]
    for key in missing:
        target.put_bytes(key, preservation.log.storage.get_bytes(key))
    return len(missing)
