"""The inventories of one copy of an object, each checked against its sidecar and restored from
the other copy when damaged: the root ``inventory.json`` and ``inventory.json.sha512``, and those
of every version.

A replacement proves itself first: it matches its own sidecar and is an inventory of this object;
a root inventory is also byte-identical to its head version's inventory (when that one matches its
sidecar) and describes exactly the versions the damaged copy holds, so a replica behind the damaged
copy never rolls it back; a version's inventory agrees with the damaged copy's root inventory. A
root sidecar alone is also rewritten from the same copy's head version when the root inventory is
byte-identical to that version's verified inventory (a lost sidecar, or a commit cut short). When
nothing proves itself, nothing is overwritten and the failure says BOTH COPIES BAD.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from repo.audit.copies import Copy
from repo.audit.event_log import LoggedEvent
from repo.audit.fixity_rows import stamp
from repo.audit.repair import BOTH_BAD
from repo.catalog import FixityRow
from repo.identifiers import item_id_from_object
from repo.metadata.premis import FIXITY_CHECK, REPAIR, PremisEvent
from repo.preservation import InvalidInventory, Inventory
from repo.preservation.ocfl_inventory import (
    INVENTORY_FILE,
    SIDECAR_FILE,
    digest_of,
    parse_inventory,
    parse_sidecar,
    version_number,
)
from repo.version import AGENT
from storage.errors import NotFound, StorageError


@dataclass(frozen=True)
class Pair:
    """An inventory and its sidecar as stored in one folder (None when missing)."""

    folder: str  # "" for the object root, else a version name
    inventory: bytes | None
    sidecar: bytes | None

    def path(self, name: str = INVENTORY_FILE) -> str:
        return f"{self.folder}/{name}" if self.folder else name


@dataclass
class InventoryCheck:
    """What checking one copy's inventories found; ``inventory`` is its verified root inventory
    (after any repair), None with ``problem`` saying why."""

    inventory: Inventory | None = None
    inventory_bytes: bytes = b""
    problem: str = ""
    events: list[LoggedEvent] = field(default_factory=list)
    findings: list[FixityRow] = field(default_factory=list)


def check_inventories(
    copy: Copy, other: Copy | None, oid: str, version_dirs: set[str], moment: datetime
) -> InventoryCheck:
    """Check (and repair) the copy's root inventory, then each version's. ``version_dirs`` are the
    version folders the copy holds."""
    check = InventoryCheck()
    sources = [other] if other is not None else []
    root = copy.store.object_root(oid)
    pair = read_pair(copy, root, "")
    inventory, problem = verify(pair, oid)
    if problem is not None:
        inventory = _repair(check, copy, pair, problem, sources, oid, version_dirs, None, moment)
        if inventory is None:
            check.problem = f"{problem} and was not restored"
            return check
        pair = read_pair(copy, root, "")
    assert inventory is not None and pair.inventory is not None
    check.inventory, check.inventory_bytes = inventory, pair.inventory
    for name in sorted(inventory.versions, key=version_number):
        version_pair = read_pair(copy, root, name)
        _, problem = verify(version_pair, oid, check)
        if problem is not None:
            _repair(check, copy, version_pair, problem, sources, oid, version_dirs, check, moment)
    return check


def read_pair(copy: Copy, object_root: str, folder: str) -> Pair:
    """The stored pair; a read that fails other than by a missing file is left to the caller."""
    base = f"{object_root}/{folder}/" if folder else f"{object_root}/"
    return Pair(folder, _get(copy, base + INVENTORY_FILE), _get(copy, base + SIDECAR_FILE))


def verify(pair: Pair, oid: str, root: InventoryCheck | None = None) -> tuple[Inventory | None, str | None]:
    """(inventory, None) when the pair proves itself, else (None, what is wrong). A version's pair
    is also held against the copy's verified root inventory (``root``)."""
    if pair.inventory is None:
        return None, "is missing"
    if pair.sidecar is None:
        return None, f"has no {SIDECAR_FILE}"
    try:
        recorded = parse_sidecar(pair.sidecar)
    except InvalidInventory:
        return None, f"has a {SIDECAR_FILE} that is not 'DIGEST inventory.json'"
    if recorded != digest_of(pair.inventory):
        return None, f"does not match its {SIDECAR_FILE}"
    try:
        inventory = parse_inventory(pair.inventory, pair.path(), expected_id=oid)
    except InvalidInventory as exc:
        return None, f"matches its sidecar but is not a valid inventory ({exc})"
    if pair.folder and inventory.head != pair.folder:
        return None, f"has head {inventory.head}, not {pair.folder}"
    if pair.folder and root is not None and root.inventory is not None:
        if pair.folder == root.inventory.head and pair.inventory != root.inventory_bytes:
            return None, "differs from the root inventory (OCFL wants them identical)"
        earlier = {n: v for n, v in root.inventory.versions.items() if version_number(n) <= version_number(pair.folder)}
        if inventory.versions != earlier:
            return None, "disagrees with the root inventory about earlier versions"
    return inventory, None


def _repair(
    check: InventoryCheck,
    copy: Copy,
    bad: Pair,
    problem: str,
    sources: list[Copy],
    oid: str,
    version_dirs: set[str],
    root: InventoryCheck | None,
    moment: datetime,
) -> Inventory | None:
    """Restore ``bad`` from the first source that proves itself; returns the verified inventory."""
    # Which of the two files is damaged shows once a good pair is found; until then, the one missing.
    damaged = bad.path(SIDECAR_FILE) if bad.inventory is not None and bad.sidecar is None else bad.path()
    detail = f"{damaged}: {bad.path()} {problem} on the {copy.name} copy"
    check.events.append(_event(FIXITY_CHECK, "failure", detail, copy, damaged, "failed", moment))
    reasons: list[str] = []
    for source in sources:
        good = read_pair(source, source.store.object_root(oid), bad.folder)
        reason = _proves_itself(good, copy, source, oid, version_dirs, root)
        if reason is None:
            return _restore(check, copy, bad, good, f"the {source.name} copy", oid, moment)
        reasons.append(f"the {source.name} copy's {bad.path()} {reason}")
    local = _own_head_sidecar(copy, bad, oid, version_dirs)
    if local is not None:
        head, pair = local
        return _restore(check, copy, bad, pair, f"its own {head} inventory", oid, moment)
    if sources:
        detail = f"{damaged}: {BOTH_BAD}, nothing overwritten: the {copy.name} copy's {bad.path()} {problem}; " + (
            "; ".join(reasons)
        )
    else:
        detail = f"{damaged}: {bad.path()} {problem} on the {copy.name} copy; no other copy to restore it from"
    _outcome(check, copy, oid, damaged, False, detail, moment)
    return None


def _proves_itself(
    good: Pair, copy: Copy, source: Copy, oid: str, version_dirs: set[str], root: InventoryCheck | None
) -> str | None:
    """Why ``good`` may not replace the damaged pair, or None."""
    inventory, problem = verify(good, oid, root)
    if inventory is None:
        return problem
    if good.folder:
        return None
    head = read_pair(source, source.store.object_root(oid), inventory.head)
    if verify(head, oid)[0] is not None and head.inventory != good.inventory:
        return f"differs from its own {inventory.head} inventory"
    mine = read_pair(copy, copy.store.object_root(oid), inventory.head)
    if verify(mine, oid)[0] is not None and mine.inventory != good.inventory:
        return f"differs from the {copy.name} copy's own {inventory.head} inventory"
    latest = _latest(version_dirs)
    if latest != inventory.head:
        return f"is at {inventory.head} but the {copy.name} copy holds {latest or 'no version'}"
    return None


def _own_head_sidecar(copy: Copy, bad: Pair, oid: str, version_dirs: set[str]) -> tuple[str, Pair] | None:
    """(head, the copy's head version pair) when only the root sidecar is wrong: the root inventory
    is byte-identical to that version's verified one, and no version above it is being written."""
    if bad.folder or bad.inventory is None:
        return None
    try:
        head = parse_inventory(bad.inventory, bad.path(), expected_id=oid).head
    except InvalidInventory:
        return None
    version = read_pair(copy, copy.store.object_root(oid), head)
    if verify(version, oid)[0] is None or version.inventory != bad.inventory or _latest(version_dirs) != head:
        return None
    return head, Pair("", version.inventory, version.sidecar)


def _latest(version_dirs: set[str]) -> str:
    return max(version_dirs, key=version_number, default="")


def _restore(
    check: InventoryCheck,
    copy: Copy,
    bad: Pair,
    good: Pair,
    source: str,
    oid: str,
    moment: datetime,
) -> Inventory | None:
    """Write what differs (the inventory before its sidecar, as a commit does), then read back,
    holding the object's lock: no commit comes between the re-read and the write."""
    with copy.store.writing(oid):
        assert good.inventory is not None and good.sidecar is not None
        damaged = bad.path() if bad.inventory != good.inventory else bad.path(SIDECAR_FILE)
        base = copy.store.object_root(oid)
        prefix = f"{base}/{bad.folder}/" if bad.folder else f"{base}/"
        verified: Inventory | None = None
        try:
            if read_pair(copy, base, bad.folder) != bad:
                # A commit under way changed it since it was read: the next run judges it afresh.
                detail = f"{damaged}: changed on the {copy.name} copy while it was checked; nothing overwritten"
                _outcome(check, copy, oid, damaged, False, detail, moment)
                return None
            if bad.inventory != good.inventory:
                copy.storage.put_bytes(prefix + INVENTORY_FILE, good.inventory, sha512=digest_of(good.inventory))
            if bad.sidecar != good.sidecar:
                copy.storage.put_bytes(prefix + SIDECAR_FILE, good.sidecar)
            after = read_pair(copy, base, bad.folder)
            if after == Pair(bad.folder, good.inventory, good.sidecar):
                verified = parse_inventory(good.inventory, bad.path(), expected_id=oid)
            detail = f"{damaged}: restored on the {copy.name} copy from {source}" + (
                "" if verified is not None else ", but it still does not verify"
            )
        except StorageError as exc:
            detail = f"{damaged}: restoring on the {copy.name} copy from {source} failed: {exc}"
        _outcome(check, copy, oid, damaged, verified is not None, detail, moment)
        return verified


def _outcome(check: InventoryCheck, copy: Copy, oid: str, path: str, ok: bool, detail: str, moment: datetime) -> None:
    """The repair event and the finding the report shows."""
    result = "repaired" if ok else "failed"
    check.events.append(_event(REPAIR, "success" if ok else "failure", detail, copy, path, result, moment))
    check.findings.append(FixityRow(item_id_from_object(oid), copy.name, path, "", 0, stamp(moment), result, detail))


def _get(copy: Copy, key: str) -> bytes | None:
    try:
        return copy.storage.get_bytes(key)
    except NotFound:
        return None


def _event(kind: str, outcome: str, detail: str, copy: Copy, path: str, result: str, moment: datetime) -> LoggedEvent:
    return LoggedEvent(PremisEvent(kind, moment, outcome, detail, AGENT), copy.name, path, result=result)
