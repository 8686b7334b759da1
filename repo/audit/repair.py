"""Repair one damaged content file of one copy from the other copy, only after that copy's file
verifies; when both are bad nothing is overwritten."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from repo.audit.copies import Copy
from repo.audit.event_log import LoggedEvent
from repo.audit.hashing import StreamHasher
from repo.metadata.premis import FIXITY_CHECK, REPAIR, PremisEvent
from repo.preservation import PreservationError
from repo.version import AGENT
from storage.errors import NotFound, StorageError

BOTH_BAD = "BOTH COPIES BAD"  # in the detail of a repair that found no good copy; reports shout it


@dataclass(frozen=True)
class RepairOutcome:
    repaired: bool
    both_bad: bool
    events: list[LoggedEvent]


def repair_file(
    bad: Copy, good: Copy, oid: str, content_path: str, expected: str, hasher: StreamHasher
) -> RepairOutcome:
    with bad.store.writing(oid):  # no version is written or recovered while a file is put back
        return _repair_file(bad, good, oid, content_path, expected, hasher)


def _repair_file(
    bad: Copy, good: Copy, oid: str, content_path: str, expected: str, hasher: StreamHasher
) -> RepairOutcome:
    events: list[LoggedEvent] = []
    source_path, problem = _verify_source(good, oid, content_path, expected, hasher, events)
    if problem is not None:
        detail = (
            f"{content_path}: {BOTH_BAD}, nothing overwritten: the {bad.name} copy failed and the "
            f"{good.name} copy {problem}"
        )
        events.append(_event(REPAIR, "failure", detail, bad, content_path, "failed"))
        return RepairOutcome(False, True, events)
    target = bad.key(oid, content_path)
    try:
        with good.storage.open(good.key(oid, source_path)) as stream:
            bad.storage.put(target, stream, sha512=expected)  # refuses bytes that changed on the way
        ok = hasher.sha512(bad.storage, target).sha512 == expected  # what is at rest now
        detail = f"{content_path}: restored on the {bad.name} copy from the {good.name} copy" + (
            "" if ok else ", but it still does not verify"
        )
    except (StorageError, PreservationError) as exc:
        ok, detail = False, f"{content_path}: restoring from the {good.name} copy failed: {exc}"
    events.append(
        _event(REPAIR, "success" if ok else "failure", detail, bad, content_path, "repaired" if ok else "failed")
    )
    return RepairOutcome(ok, False, events)


def _verify_source(
    good: Copy, oid: str, content_path: str, expected: str, hasher: StreamHasher, events: list[LoggedEvent]
) -> tuple[str, str | None]:
    """(content path on the good copy, None) when its bytes verify, else (path, what is wrong).
    The check of the good copy's file is an event of its own."""
    try:
        manifest = good.store.read_inventory(oid).manifest
    except (PreservationError, StorageError) as exc:
        return "", f"has no readable inventory ({exc})"
    paths = manifest.get(expected, ())
    if not paths:
        return "", "does not hold this content"
    source = content_path if content_path in paths else paths[0]
    problem, result = None, "ok"
    try:
        found = hasher.sha512(good.storage, good.key(oid, source))
        if found.sha512 != expected:
            problem, result = f"fails its sha512 too ({found.size} bytes)", "failed"
    except NotFound:
        problem, result = "is missing it too", "missing"
    except StorageError as exc:
        problem, result = f"cannot be read: {exc}", "failed"
    detail = (
        f"{source}: sha512 matches the inventory on the {good.name} copy (checked before a repair)"
        if problem is None
        else f"{source}: the {good.name} copy {problem} ({BOTH_BAD})"
    )
    events.append(_event(FIXITY_CHECK, "success" if problem is None else "failure", detail, good, source, result))
    return source, problem


def _event(kind: str, outcome: str, detail: str, copy: Copy, content_path: str, result: str) -> LoggedEvent:
    return LoggedEvent(
        PremisEvent(kind, datetime.now(UTC), outcome, detail, AGENT), copy.name, content_path, result=result
    )
