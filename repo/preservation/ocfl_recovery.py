"""Recovery that proves itself: what ``ObjectStore.recover`` did to an object after a crash, a
check of the object that reads every byte, and the walk over a whole storage root that
``muniment recover`` makes.

``recover`` finishes a commit whose root inventory was written (its sidecar) and rolls back one
whose root inventory was not (the version folder, the staged files); it removes the temporary
files that crashed writers left in the object, its staging folder and the shared folders above
it. ``verify_object`` then checks what a validator would: the inventories and their sidecars,
every content file's sha512, and that the object root holds nothing else.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from repo.preservation.bag import CHUNK
from repo.preservation.errors import InvalidInventory, OcflError
from repo.preservation.ocfl_inventory import INVENTORY_FILE, SIDECAR_FILE, digest_of, parse_inventory, parse_sidecar
from repo.preservation.ocfl_root import EXTENSIONS, OBJECT_DECLARATION, OBJECT_DECLARATION_BODY, STAGING
from storage.errors import NotFound

if TYPE_CHECKING:
    from repo.preservation.ocfl_object import ObjectStore


@dataclass
class Recovery:
    """What recovering one object did."""

    object_id: str  # the object root when no inventory names the object
    object_root: str
    finished: str | None = None  # the version whose commit was finished (root sidecar written)
    rolled_back: list[str] = field(default_factory=list)  # versions removed: never committed
    removed: list[str] = field(default_factory=list)  # every key and temporary file removed

    @property
    def changed(self) -> bool:
        return bool(self.finished or self.rolled_back or self.removed)

    def summary(self) -> str:
        done = [f"finished the commit of {self.finished}"] if self.finished else []
        if self.rolled_back:
            done.append(f"rolled back {', '.join(self.rolled_back)}")
        if self.removed:
            done.append(f"removed {len(self.removed)} leftover file{'s' * (len(self.removed) != 1)}")
        return "; ".join(done) or "nothing to do"

    def to_json(self) -> dict[str, object]:
        return {
            "object": self.object_id,
            "root": self.object_root,
            "finished": self.finished,
            "rolled_back": self.rolled_back,
            "removed": self.removed,
        }


class ObjectProblem(NamedTuple):
    key: str  # the storage key concerned
    reason: str


def recover_and_verify(store: ObjectStore, object_id: str) -> tuple[Recovery, list[ObjectProblem]]:
    """Recover the object under its writer lock, then check it byte by byte."""
    with store.writing(object_id):
        recovery = store.recover(object_id)
        return recovery, verify_object(store, object_id)


def verify_object(store: ObjectStore, object_id: str) -> list[ObjectProblem]:
    """Everything wrong with the committed object, reading every content file; [] when valid."""
    storage = store.storage
    root = store.object_root(object_id)
    try:
        inventory, data, sidecar_ok = store.read_committed(object_id)
    except OcflError as exc:
        return [ObjectProblem(f"{root}/{INVENTORY_FILE}", str(exc))]
    if inventory is None or data is None:
        return [ObjectProblem(f"{root}/{INVENTORY_FILE}", "missing: the object was never committed")]
    problems = [] if sidecar_ok else [ObjectProblem(f"{root}/{SIDECAR_FILE}", "does not match inventory.json")]
    expected = {INVENTORY_FILE, SIDECAR_FILE, OBJECT_DECLARATION}
    try:
        if storage.get_bytes(f"{root}/{OBJECT_DECLARATION}") != OBJECT_DECLARATION_BODY:
            problems.append(ObjectProblem(f"{root}/{OBJECT_DECLARATION}", "is not an OCFL 1.1 object declaration"))
    except NotFound:
        problems.append(ObjectProblem(f"{root}/{OBJECT_DECLARATION}", "missing"))
    for name in inventory.versions:
        expected |= {f"{name}/{INVENTORY_FILE}", f"{name}/{SIDECAR_FILE}"}
        problems += _version_inventory_problems(store, root, name, data if name == inventory.head else None)
    for digest, paths in inventory.manifest.items():
        for path in paths:
            expected.add(path)
            problems += _content_problems(store, f"{root}/{path}", digest)
    problems += [
        ObjectProblem(key, "is not named by the inventory")
        for key in storage.list(root + "/")
        if key[len(root) + 1 :] not in expected
    ]
    return problems


def _version_inventory_problems(
    store: ObjectStore, root: str, name: str, head_bytes: bytes | None
) -> list[ObjectProblem]:
    key = f"{root}/{name}/{INVENTORY_FILE}"
    try:
        data = store.storage.get_bytes(key)
        recorded = parse_sidecar(store.storage.get_bytes(f"{key}.sha512"))
    except NotFound as exc:
        return [ObjectProblem(exc.key, "missing")]
    except InvalidInventory as exc:
        return [ObjectProblem(f"{key}.sha512", str(exc))]
    if recorded != digest_of(data):
        return [ObjectProblem(f"{key}.sha512", "does not match the version's inventory.json")]
    if head_bytes is not None and data != head_bytes:
        return [ObjectProblem(key, "differs from the object's root inventory.json")]
    return []


def _content_problems(store: ObjectStore, key: str, expected: str) -> list[ObjectProblem]:
    digest = hashlib.sha512()
    try:
        with store.storage.open(key) as stream:
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
    except NotFound:
        return [ObjectProblem(key, "missing")]
    if digest.hexdigest() != expected.lower():
        return [
            ObjectProblem(key, f"sha512 {digest.hexdigest()[:16]}... differs from the inventory's {expected[:16]}...")
        ]
    return []


@dataclass(frozen=True)
class Recovered:
    """One object root after ``recover_root``: what recovery did and what is still wrong."""

    recovery: Recovery
    problems: list[ObjectProblem]
    committed: bool = False  # an object with a committed inventory once recovered


def recover_root(store: ObjectStore) -> Iterator[Recovered]:
    """Recover and verify every object root found in the storage root (committed, interrupted
    before its first commit, or only staged), then remove every temporary file that a crashed
    writer left anywhere in the root."""
    for object_root in sorted(_object_roots(store) | _staged_object_roots(store)):
        object_id = _stored_id(store, object_root)
        with store.writing(object_id or object_root):
            recovered = _recovered(store, object_root, object_id)
        yield recovered
    leftover = store.storage.discard_temporary("")
    if leftover:
        yield Recovered(Recovery("(storage root)", "", removed=leftover), [])


def _recovered(store: ObjectStore, object_root: str, object_id: str | None) -> Recovered:
    try:
        recovery = store.recover_folder(object_root, object_id, shared=False)
    except OcflError as exc:  # damaged, not interrupted: left as it is, for fixity repair
        return Recovered(Recovery(object_id or object_root, object_root), [ObjectProblem(object_root, str(exc))])
    if object_id is not None and store.exists(object_id):
        return Recovered(recovery, verify_object(store, object_id), committed=True)
    return Recovered(recovery, [])


def _object_roots(store: ObjectStore) -> set[str]:
    """Folders at object-root depth holding anything: committed objects and interrupted ones."""
    if not store.root.exists():
        return set()
    depth = _root_depth(store)
    return {
        "/".join(parts[:depth])
        for parts in (key.split("/") for key in store.storage.list(""))
        if parts[0] != EXTENSIONS and len(parts) > depth
    }


def _staged_object_roots(store: ObjectStore) -> set[str]:
    """Object roots with files staged under ``STAGING/<object root>/``."""
    depth, skip = _root_depth(store), len(STAGING.split("/"))
    return {
        "/".join(parts[skip : skip + depth])
        for parts in (key.split("/") for key in store.storage.list(STAGING + "/"))
        if len(parts) > skip + depth
    }


def _root_depth(store: ObjectStore) -> int:
    """Path segments in an object root under the root's layout (the one to create when new)."""
    return len(store.root.object_root_for_writing("any").split("/"))


def _stored_id(store: ObjectStore, object_root: str) -> str | None:
    """The id an object root's inventory names: the committed one, else v1's (a first commit
    interrupted before the root inventory); None when neither is readable."""
    for key in (f"{object_root}/{INVENTORY_FILE}", f"{object_root}/v1/{INVENTORY_FILE}"):
        try:
            return parse_inventory(store.storage.get_bytes(key), key).id
        except (NotFound, InvalidInventory):
            continue
    return None
