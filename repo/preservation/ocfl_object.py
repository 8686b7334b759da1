"""OCFL objects whose every version is a complete BagIt bag: write versions, read them back.

Writing a version (the commit protocol, in ``ocfl_writer.VersionWriter``):

1. recover: finish or roll back what an interrupted write left (staged uploads, a version folder
   above the committed head, a missing root sidecar) and remove crashed writers' temporary files
   (see ``ocfl_recovery``, which also verifies the result);
2. stage the files whose sha512 is not yet in the object with ``Storage.put_pending``, each
   verifying its digest: stored, but not visible in the object (S3: multipart uploads not yet
   completed; other backends: a copy under ``extensions/muniment-staging/<object root>/``);
3. make them visible in ``vN/content/``, then write ``vN/inventory.json`` and its sidecar;
4. commit: the object-root ``inventory.json``, then its sidecar (written last, as OCFL asks).

Readers only follow the root inventory, so a crash at any step leaves the previous version
readable; a crash before step 3 also leaves the object valid for OCFL validators. One writer per
object at a time: each version is written holding the object's lock (``object_lock``), files of a
version are created, never overwritten, and a changed root inventory before step 3 is refused.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from repo.preservation.bag import CHUNK, BagEntry, BuiltBag, load_bag
from repo.preservation.bag_format import unsafe_path_reason
from repo.preservation.errors import (
    ConcurrentUpdate,
    FixityError,
    InvalidInventory,
    LogicalPathNotFound,
    ObjectNotFound,
    OcflError,
    StagedBagError,
    VersionNotFound,
)
from repo.preservation.object_lock import ObjectLocks, ProcessObjectLocks
from repo.preservation.ocfl_inventory import (
    INVENTORY_FILE,
    SIDECAR_FILE,
    Inventory,
    User,
    digest_of,
    parse_inventory,
    parse_sidecar,
    sidecar_bytes,
    version_number,
)
from repo.preservation.ocfl_layout import HashedNTupleLayout
from repo.preservation.ocfl_recovery import Recovery
from repo.preservation.ocfl_root import EXTENSIONS, OBJECT_DECLARATION, STAGING, OcflRoot
from repo.preservation.ocfl_writer import VersionInfo, VersionWriter
from storage.base import Storage
from storage.errors import NotFound


class ObjectStore:
    """OCFL 1.1 objects in the storage root held by ``storage``."""

    def __init__(
        self,
        storage: Storage,
        *,
        layout: HashedNTupleLayout | None = None,
        clock: Callable[[], datetime] | None = None,
        locks: ObjectLocks | None = None,
    ) -> None:
        self.storage = storage
        self.root = OcflRoot(storage, layout)
        self._clock = clock
        self.locks = locks or ProcessObjectLocks()

    def writing(self, object_id: str, wait: float | None = None) -> AbstractContextManager[None]:
        """Hold the object's writer lock (re-entrant in this thread): wrap a read of the head and
        the version written from it, so that no other writer comes between them. Another holder is
        waited for up to ``wait`` seconds (the locks' default when None), then ``ObjectBusy``."""
        return self.locks.hold(object_id, wait)

    # -- reading -----------------------------------------------------------------------------

    def object_root(self, object_id: str) -> str:
        return self.root.object_root(object_id)

    def exists(self, object_id: str) -> bool:
        if not self.root.exists():
            return False
        return self.storage.exists(f"{self.object_root(object_id)}/{INVENTORY_FILE}")

    def read_inventory(self, object_id: str) -> Inventory:
        """The committed root inventory, its digest checked against the sidecar."""
        if not self.root.exists():
            raise ObjectNotFound(object_id)
        inventory, _, _ = self._read_committed(self.object_root(object_id), object_id)
        if inventory is None:
            raise ObjectNotFound(object_id)
        return inventory

    def list_objects(self) -> Iterator[str]:
        """The id of every committed object (an object root without inventory is skipped)."""
        if not self.root.exists():
            return
        for object_root in self.root.object_roots():
            try:
                data = self.storage.get_bytes(f"{object_root}/{INVENTORY_FILE}")
            except NotFound:
                continue
            yield parse_inventory(data, f"{object_root}/{INVENTORY_FILE}").id

    def version_state(self, object_id: str, version: str | None = None) -> dict[str, tuple[str, str]]:
        """logical path -> (content path relative to the object root, sha512)."""
        inventory = self.read_inventory(object_id)
        return inventory.state(self._version_name(inventory, version))

    def open_file(self, object_id: str, logical_path: str, version: str | None = None) -> BinaryIO:
        inventory = self.read_inventory(object_id)
        name = self._version_name(inventory, version)
        state = inventory.state(name)
        if logical_path not in state:
            raise LogicalPathNotFound(object_id, name, logical_path)
        return self.storage.open(f"{self.object_root(object_id)}/{state[logical_path][0]}")

    def payload_entries(self, object_id: str, version: str | None = None) -> list[BagEntry]:
        """The bag payload of a version with sizes, as ``rebuild_tags`` wants it."""
        inventory = self.read_inventory(object_id)
        object_root = self.object_root(object_id)
        return [
            BagEntry(path, self.storage.head(f"{object_root}/{content}").size, digest)
            for path, (content, digest) in inventory.state(self._version_name(inventory, version)).items()
            if path.startswith("data/")
        ]

    def export_version(self, object_id: str, version: str | None, dest_dir: Path) -> Path:
        """Write a version's files (the bag) into ``dest_dir``, checking each file's sha512."""
        state = self.version_state(object_id, version)
        if dest_dir.exists() and any(dest_dir.iterdir()):
            raise OcflError(f"export folder {dest_dir} is not empty")
        object_root = self.object_root(object_id)
        for logical, (content, expected) in state.items():
            if unsafe_path_reason(logical):
                raise OcflError(f"logical path {logical!r} cannot be exported safely")
            target = dest_dir / logical
            target.parent.mkdir(parents=True, exist_ok=True)
            digest = hashlib.sha512()
            with self.storage.open(f"{object_root}/{content}") as src, target.open("xb") as out:
                while chunk := src.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
            if digest.hexdigest() != expected:
                raise FixityError(f"{object_root}/{content}", expected, digest.hexdigest())
        return dest_dir

    # -- writing -----------------------------------------------------------------------------

    def create_or_update(self, object_id: str, staged_bag: Path | BuiltBag, message: str, user: User) -> VersionInfo:
        """Write the bag as the object's next version (v1 for a new object) and commit it.

        Files whose sha512 is already in the object are not stored again. Payload named by
        the bag's manifest but absent from the folder (``rebuild_tags``) must be in the object.
        """
        bag = staged_bag if isinstance(staged_bag, BuiltBag) else load_bag(staged_bag)
        for entry in bag.files:
            if unsafe_path_reason(entry.path):
                raise StagedBagError(f"{entry.path!r}: {unsafe_path_reason(entry.path)}")
        writer = self.begin_version(object_id)
        try:
            for entry in sorted(bag.files, key=lambda e: e.path):
                if writer.holds(entry.sha512):
                    continue
                local = bag.path / entry.path
                if not local.is_file():
                    raise StagedBagError(
                        f"{entry.path} is not in {bag.path} and its sha512 is not in object {object_id!r}"
                    )
                writer.stage(entry.path, local, entry.sha512)
        except Exception:  # a failure; a crash leaves its staged files to the next recover
            writer.abort()
            raise
        return writer.commit(bag.files, message, user)

    def begin_version(self, object_id: str) -> VersionWriter:
        """The object's next version, to be written file by file (see ``VersionWriter``)."""
        return VersionWriter(self, object_id)

    def recover(self, object_id: str) -> Recovery:
        """Return the object to a valid state after an interrupted write; says what it did.

        A commit whose root inventory was written is finished (its sidecar), one whose root
        inventory was not is rolled back (its version folder and staged files removed), and the
        temporary files of crashed writers go, from the object, its staging and the folders above.
        Run before every write, under the object's writer lock (taken here when not held yet), so
        that nothing of the object belongs to a live writer; ``ocfl_recovery.verify_object`` then
        checks the result.
        """
        with self.writing(object_id):
            return self.recover_folder(self.root.object_root_for_writing(object_id), object_id)

    def recover_folder(self, object_root: str, object_id: str | None, *, shared: bool = True) -> Recovery:
        """``recover`` for an object root, also one whose id no inventory names (None);
        ``shared=False`` leaves the shared folders to a caller that sweeps the whole root."""
        recovery = Recovery(object_id or object_root, object_root)
        staging = self.root.staging_prefix(object_root)
        # Staged content may exist before the root does: the root is created at the first commit.
        removed = recovery.removed
        removed += self.storage.abort_pending(object_root + "/")
        removed += self.delete_prefix(staging) + self.storage.discard_temporary(staging, any_owner=True)
        if self.root.exists():
            removed += self.storage.discard_temporary(object_root + "/", any_owner=True)
            self._settle_versions(object_root, object_id, recovery)
        if shared:
            removed += self._discard_shared_temporary(object_root)
        return recovery

    def _settle_versions(self, object_root: str, object_id: str | None, recovery: Recovery) -> None:
        """Finish the commit whose root inventory is written; remove versions never committed."""
        inventory, _, sidecar_ok = self._read_committed(object_root, object_id)
        if inventory is not None and not sidecar_ok:
            # The crash fell between the root inventory and its sidecar: finish the commit.
            self.storage.put_bytes(f"{object_root}/{SIDECAR_FILE}", sidecar_bytes(digest_of(inventory.to_bytes())))
            recovery.finished = inventory.head
        committed = set(inventory.versions) if inventory else set()
        keys = list(self.storage.list(object_root + "/"))
        if inventory is None and keys:
            leftovers = {k[len(object_root) + 1 :].split("/", 1)[0] for k in keys}
            if not leftovers <= {"v1", OBJECT_DECLARATION}:
                raise OcflError(
                    f"object root {object_root} has no inventory but holds "
                    f"{sorted(leftovers)}; not cleaning it automatically"
                )
        rolled_back: set[str] = set()
        for key in keys:
            top = key[len(object_root) + 1 :].split("/", 1)[0]
            if inventory is None or (_is_version_name(top) and top not in committed):
                self.storage.delete(key)
                recovery.removed.append(key)
                rolled_back.add(top)
        recovery.rolled_back = sorted((t for t in rolled_back if _is_version_name(t)), key=version_number)

    def _discard_shared_temporary(self, object_root: str) -> list[str]:
        """Temporary files of crashed writers in the folders this object's writes share with
        others: the root's own, the object's parents, its folder in each root extension."""
        parts = object_root.split("/")
        shared = ["", f"{EXTENSIONS}/", f"{EXTENSIONS}/{HashedNTupleLayout.NAME}/"]
        shared += ["/".join(parts[:depth]) + "/" for depth in range(1, len(parts))]
        removed = [key for prefix in shared for key in self.storage.discard_temporary(prefix, recursive=False)]
        for extension in self._extension_folders():
            if extension != STAGING:  # the object's staging is its own: cleaned above
                removed += self.storage.discard_temporary(f"{extension}/{object_root}/")
        return removed

    def _extension_folders(self) -> list[str]:
        """The root's extension folders; only a local folder can hold temporary files."""
        local = self.storage.local_path(EXTENSIONS)
        if local is None or not os.path.isdir(local):
            return []
        with os.scandir(local) as entries:
            return sorted(f"{EXTENSIONS}/{e.name}" for e in entries if e.is_dir(follow_symlinks=False))

    def purge(self, object_id: str) -> int:
        """Delete the object entirely (the inventory first, so it disappears at once)."""
        if not self.root.exists():
            raise ObjectNotFound(object_id)
        object_root = self.object_root(object_id)
        keys = list(self.storage.list(object_root + "/"))
        if not keys:
            raise ObjectNotFound(object_id)
        first = [f"{object_root}/{INVENTORY_FILE}", f"{object_root}/{SIDECAR_FILE}"]
        for key in first + [k for k in keys if k not in first]:
            self.storage.delete(key)
        self.delete_prefix(self.root.staging_prefix(object_root))
        return len(keys)

    # -- helpers (also used by VersionWriter) ------------------------------------------------

    @property
    def clock(self) -> Callable[[], datetime] | None:
        return self._clock

    def read_committed(self, object_id: str) -> tuple[Inventory | None, bytes | None, bool]:
        """The committed root inventory (None before the first commit), its bytes, sidecar state."""
        if not self.root.exists():
            return None, None, True
        return self._read_committed(self.object_root(object_id), object_id)

    def _read_committed(self, object_root: str, object_id: str | None) -> tuple[Inventory | None, bytes | None, bool]:
        """(inventory, its bytes, whether the root sidecar matches) or (None, None, True).

        A sidecar that does not match is accepted only when the inventory is byte-identical to
        its head version's inventory, whose own sidecar matches: that is a crash between the
        two final writes of a commit, not corruption.
        """
        key = f"{object_root}/{INVENTORY_FILE}"
        try:
            data = self.storage.get_bytes(key)
        except NotFound:
            return None, None, True
        inventory = parse_inventory(data, key, expected_id=object_id)
        digest = digest_of(data)
        try:
            recorded = parse_sidecar(self.storage.get_bytes(f"{object_root}/{SIDECAR_FILE}"))
        except (NotFound, InvalidInventory):
            recorded = None
        if recorded == digest:
            return inventory, data, True
        head_key = f"{object_root}/{inventory.head}/{INVENTORY_FILE}"
        try:
            head_sidecar = parse_sidecar(self.storage.get_bytes(f"{head_key}.sha512"))
            head_data = self.storage.get_bytes(head_key)
        except (NotFound, InvalidInventory):
            head_sidecar, head_data = None, b""
        if head_sidecar == digest and head_data == data:
            return inventory, data, False
        raise FixityError(key, recorded or "(no sidecar)", digest)

    def check_unchanged(self, object_root: str, previous: bytes | None) -> None:
        try:
            current: bytes | None = self.storage.get_bytes(f"{object_root}/{INVENTORY_FILE}")
        except NotFound:
            current = None
        if current != previous:
            raise ConcurrentUpdate(f"object root {object_root} changed while a version was staged")

    def delete_prefix(self, prefix: str) -> list[str]:
        keys = list(self.storage.list(prefix))
        for key in keys:
            self.storage.delete(key)
        return keys

    @staticmethod
    def _version_name(inventory: Inventory, version: str | None) -> str:
        name = version or inventory.head
        if name not in inventory.versions:
            raise VersionNotFound(inventory.id, name)
        return name


def _is_version_name(name: str) -> bool:
    try:
        version_number(name)
    except ValueError:
        return False
    return True
