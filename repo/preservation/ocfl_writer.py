"""Write one new version of an OCFL object file by file (the commit protocol of ``ocfl_object``).

1. begin: undo what an interrupted write left (``ObjectStore.recover``) and read the committed head;
2. stage: send each file whose sha512 the object does not hold yet with ``Storage.put_pending``,
   from any thread, as soon as the caller has it. The bytes are stored but not visible under their
   final key ``vN/content/...`` (S3: a multipart upload not yet completed; other backends: a copy
   under the storage root's staging extension). Nothing appears in the object;
3. commit: every file of the new state must be staged or already in the object, and the root
   inventory must not have changed since step 1; then the staged content is made visible in
   ``vN/content/`` (S3 completes its uploads: no byte is sent or copied twice), ``vN/inventory.json``
   and its sidecar are written, and the root inventory and its sidecar last.

Readers only follow the root inventory, so a crash at any point leaves the previous version whole;
a crash before step 3 leaves nothing inside the object. ``abort`` drops the staged files of a
version that will not be committed (a page failed validation while its scans were uploading).
The storage root itself is created at the first commit, so an aborted first version stores
nothing at all. The writer holds the object's lock (``ObjectStore.writing``) from step 1 to the
end of the commit or abort, so a second writer of the object waits, and never sees or removes
this one's staged files; begin and commit (or abort) in the same thread.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from repo.preservation.bag import BagEntry
from repo.preservation.bag_format import unsafe_path_reason
from repo.preservation.errors import OcflError, StagedBagError
from repo.preservation.ocfl_inventory import (
    INVENTORY_FILE,
    SIDECAR_FILE,
    User,
    Version,
    digest_of,
    first_inventory,
    next_version_name,
    now_created,
    sidecar_bytes,
)
from repo.preservation.ocfl_root import OBJECT_DECLARATION, OBJECT_DECLARATION_BODY
from storage.base import PartDigests, PendingPut

if TYPE_CHECKING:
    from repo.preservation.ocfl_object import ObjectStore


@dataclass(frozen=True)
class VersionInfo:
    object_id: str
    version: str
    created: str
    files: int  # logical files in the version
    stored: tuple[str, ...]  # content paths written by this version
    bytes_stored: int
    reused: int  # logical files whose content was already in the object
    inventory_sha512: str


class VersionWriter:
    """The next version of one object: ``stage`` its new files, then ``commit`` (or ``abort``)."""

    def __init__(self, store: ObjectStore, object_id: str) -> None:
        self._store = store
        self.storage = store.storage
        self.object_id = object_id
        # Held from the read of the head to the commit or abort (in the thread that began).
        self._hold = ExitStack()
        self._hold.enter_context(store.writing(object_id))
        try:
            self._begin()
        except BaseException:
            self._hold.close()
            raise

    def _begin(self) -> None:
        store, object_id = self._store, self.object_id
        self.object_root = store.root.object_root_for_writing(object_id)
        store.recover(object_id)
        previous, self._previous_bytes, _ = store.read_committed(object_id)
        self._previous = previous
        self.version = next_version_name(previous.head) if previous else "v1"
        self._existing = set(previous.manifest) if previous else set()
        self._staging = store.root.staging_prefix(self.object_root) + f"{self.version}-{uuid.uuid4().hex[:12]}/"
        self._lock = threading.Lock()
        self._reserved: dict[str, str] = {}  # digest -> content path, claimed before the upload
        self._pending: dict[str, PendingPut] = {}  # content path -> staged upload
        self._closed = False

    def holds(self, sha512: str) -> bool:
        """Whether a file with this digest is already in the object or staged for this version."""
        with self._lock:
            return sha512 in self._existing or sha512 in self._reserved

    def stage(self, logical_path: str, source: Path | BinaryIO, sha512: str, parts: PartDigests | None = None) -> bool:
        """Send one file's content unless the object has its digest already; True when sent.

        Safe to call from several threads at once. ``put_pending`` checks the bytes sent against
        ``sha512`` (or ``parts``, computed with it) and stores nothing when they differ.
        """
        reason = unsafe_path_reason(logical_path)
        if reason:
            raise StagedBagError(f"{logical_path!r}: {reason}")
        content_path = f"{self.version}/content/{logical_path}"
        with self._lock:
            if self._closed:
                raise OcflError(f"version {self.version} of {self.object_id!r} is already closed")
            if sha512 in self._existing or sha512 in self._reserved:
                return False
            self._reserved[sha512] = content_path
        try:
            if isinstance(source, Path):
                with source.open("rb") as stream:
                    pending = self._put(content_path, stream, sha512, parts)
            else:
                pending = self._put(content_path, source, sha512, parts)
        except BaseException:
            with self._lock:
                del self._reserved[sha512]
            raise
        with self._lock:
            self._pending[content_path] = pending
            if self._closed:  # aborted meanwhile by another thread
                pending.abort()
        return True

    def stage_bytes(self, logical_path: str, data: bytes) -> bool:
        import io

        return self.stage(logical_path, io.BytesIO(data), digest_of(data))

    def _put(self, content_path: str, stream: BinaryIO, sha512: str, parts: PartDigests | None) -> PendingPut:
        return self.storage.put_pending(
            f"{self.object_root}/{content_path}",
            stream,
            sha512=sha512,
            staging_key=self._staging + content_path,
            parts=parts,
        )

    def commit(self, files: Iterable[BagEntry], message: str, user: User) -> VersionInfo:
        """Make the version with exactly ``files`` (the whole bag: payload and tag files) the head."""
        with self._lock:
            if self._closed:
                raise OcflError(f"version {self.version} of {self.object_id!r} is already closed")
            self._closed = True
        try:
            state: dict[str, list[str]] = {}
            for entry in sorted(files, key=lambda e: e.path):
                if unsafe_path_reason(entry.path):
                    raise StagedBagError(f"{entry.path!r}: {unsafe_path_reason(entry.path)}")
                if entry.sha512 not in self._existing and entry.sha512 not in self._reserved:
                    raise StagedBagError(
                        f"{entry.path} was not staged and its sha512 is not in object {self.object_id!r}"
                    )
                state.setdefault(entry.sha512, []).append(entry.path)
            missing = [path for path in self._reserved.values() if path not in self._pending]
            if missing:
                raise OcflError(f"{missing[0]} of {self.object_id!r} is still uploading; commit after stage returns")
            new_content = {d: p for d, p in self._reserved.items() if d in state}
            version = Version(
                created=now_created(self._store.clock() if self._store.clock else None),
                state={d: tuple(p) for d, p in state.items()},
                message=message,
                user=user,
            )
            previous = self._previous
            inventory = (
                previous.with_version(version, new_content)
                if previous
                else first_inventory(self.object_id, version, new_content)
            )
            self._store.root.ensure()
            if self._store.object_root(self.object_id) != self.object_root:
                raise OcflError(f"the storage root's layout changed while {self.object_id!r} was staged")
            self._store.check_unchanged(self.object_root, self._previous_bytes)
            unused = [p for path, p in self._pending.items() if path not in new_content.values()]
            for pending in unused:
                pending.abort()
            for path in sorted(new_content.values()):  # from here to the root inventory, vN is visible
                self._pending[path].commit()
            data = inventory.to_bytes()
            digest = digest_of(data)
            root = self.object_root
            # A version's files are created, never replaced (AlreadyExists if a file is there).
            self.storage.create(f"{root}/{self.version}/{INVENTORY_FILE}", data, sha512=digest)
            self.storage.create(f"{root}/{self.version}/{SIDECAR_FILE}", sidecar_bytes(digest))
            if previous is None:
                self.storage.create(f"{root}/{OBJECT_DECLARATION}", OBJECT_DECLARATION_BODY)
            self.storage.put_bytes(f"{root}/{INVENTORY_FILE}", data, sha512=digest)  # the commit
            self.storage.put_bytes(f"{root}/{SIDECAR_FILE}", sidecar_bytes(digest))
        except Exception:  # a failure; a crash leaves its staged files to the next recover
            self._drop_staged()
            self._hold.close()
            raise
        try:
            self._store.delete_prefix(self._staging)
        finally:
            self._hold.close()
        committed = [self._pending[path] for path in new_content.values()]
        return VersionInfo(
            self.object_id,
            self.version,
            version.created,
            sum(len(p) for p in state.values()),
            tuple(sorted(new_content.values())),
            sum(p.info.size for p in committed),
            sum(len(p) for p in state.values()) - len(new_content),
            digest,
        )

    def abort(self) -> None:
        """Drop everything staged; the object stays as it was. Safe to call more than once."""
        with self._lock:
            self._closed = True
        try:
            self._drop_staged()
        finally:
            self._hold.close()

    def _drop_staged(self) -> None:
        with self._lock:
            pending = list(self._pending.values())
            self._pending.clear()
        for upload in pending:
            upload.abort()
        self._store.delete_prefix(self._staging)
