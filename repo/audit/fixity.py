"""Fixity audits: stored content files streamed and checked against their OCFL inventory's sha512,
least recently checked first, within a budget of bytes or seconds, so that a daily run covers
the repository within the configured cycle. A failed file is repaired from the other copy.

Before the first of an object's files is checked in a run, the object itself is (once per copy):
its inventories and sidecars, restored from the other copy when damaged, and stray files
(``object_check``); and the item's access derivatives, made again when missing or unreadable
(``derivatives``). What those find are fixity rows without a digest ("findings"), replaced by
each later check of the same object.

Every check records a PREMIS fixity check event (in the event log, then the catalog) under the
item, and the file's row in the catalog's ``fixity`` table follows from the events.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from repo.audit.copies import Copy
from repo.audit.derivatives import ACCESS, DerivativeCheck, MakeDerivatives, check_derivatives
from repo.audit.event_log import LoggedEvent
from repo.audit.fixity_rows import RowKey, apply_events, stamp
from repo.audit.hashing import FILES_AT_ONCE
from repo.audit.object_check import ObjectCheck, check_object
from repo.audit.repair import BOTH_BAD, repair_file
from repo.audit.service import Preservation
from repo.catalog import FixityRow
from repo.identifiers import object_id
from repo.metadata.premis import FIXITY_CHECK, PremisEvent
from repo.preservation import PreservationError
from repo.version import AGENT
from storage.errors import NotFound, StorageError

BATCH = 200  # rows fetched, checked and recorded together


@dataclass(frozen=True)
class Budget:
    max_bytes: int | None = None
    max_seconds: float | None = None


@dataclass
class AuditRun:
    checked: int = 0
    bytes: int = 0  # of the files started
    seconds: float = 0.0
    objects: int = 0  # object copies whose inventories and files were checked
    repaired: list[FixityRow] = field(default_factory=list)
    failed: list[FixityRow] = field(default_factory=list)  # not repaired
    both_bad: list[FixityRow] = field(default_factory=list)
    budget_spent: bool = False

    @property
    def clean(self) -> bool:
        return not (self.repaired or self.failed)

    @property
    def files_ok(self) -> int:
        return self.checked - sum(1 for r in self.repaired + self.failed if not r.finding)


@dataclass(frozen=True)
class _Check:
    row: FixityRow
    events: list[LoggedEvent]
    outcome: str  # ok | repaired | failed | both-bad


class FixityAudit:
    def __init__(
        self,
        preservation: Preservation,
        *,
        files_at_once: int = FILES_AT_ONCE,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        make_derivatives: MakeDerivatives | None = None,
    ) -> None:
        self.p = preservation
        self.catalog = preservation.catalog
        self._files = files_at_once
        self._clock = clock
        self._make = make_derivatives
        # Per run: each object copy checked once (key (copy, item)), each item's derivatives once
        # (key (ACCESS, item)), however many of its files are checked at once.
        self._checked: OrderedDict[tuple[str, str], Future[ObjectCheck | DerivativeCheck]] = OrderedDict()
        self._recorded: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def sync(self) -> int:
        """Add fixity rows for versions written since the last sync (e.g. stored while a hook failed)."""
        synced = 0
        for copy in self.p.copies():
            for item_id, _ in self.catalog.fixity_unsynced(copy.name, replicated=copy is self.p.replica):
                try:
                    self.p.sync_fixity(copy, item_id)
                    synced += 1
                except (PreservationError, StorageError):
                    pass  # unreadable object: its existing rows keep failing until it is repaired
        return synced

    def run(self, *, item_id: str | None = None, budget: Budget = Budget()) -> AuditRun:
        self.sync()
        self._checked.clear()
        self._recorded.clear()
        run = AuditRun()
        started = time.monotonic()
        before = stamp(self._clock())
        copies = [c.name for c in self.p.copies()]  # rows of a replica no longer configured wait
        seen: set[tuple[str, str, str]] = set()

        def allowed(row: FixityRow) -> bool:
            run.budget_spent = (budget.max_bytes is not None and run.bytes >= budget.max_bytes) or (
                budget.max_seconds is not None and time.monotonic() - started >= budget.max_seconds
            )
            if not run.budget_spent:
                run.bytes += row.size  # counted when started, so the budget is not overshot
            return not run.budget_spent

        with ThreadPoolExecutor(self._files, thread_name_prefix="fixity") as pool:
            while not run.budget_spent:
                rows = [
                    r
                    for r in self.catalog.fixity_due(before, BATCH, item_id, copies)
                    if (r.item_id, r.copy, r.content_path) not in seen
                ]
                if not rows:
                    break
                seen.update((r.item_id, r.copy, r.content_path) for r in rows)
                # Each item's checks are recorded as soon as they are all done (rows come grouped by
                # item), while later files are still being hashed.
                item: list[_Check] = []
                for check in _bounded(pool, self._check, rows, allowed, self._files):
                    if item and item[0].row.item_id != check.row.item_id:
                        self._record(item, run)
                        item = []
                    item.append(check)
                if item:
                    self._record(item, run)
        run.seconds = time.monotonic() - started
        return run

    # -- one file ---------------------------------------------------------------------------------

    def _check(self, row: FixityRow) -> _Check:
        copy = self.p.copy(row.copy)
        assert copy is not None
        oid = object_id(row.item_id)
        obj = self._object(copy, row.item_id)  # inventories repaired first: derivatives read masters
        self._derivatives(row.item_id)
        moment = self._clock()
        inventory = obj.inventory
        if inventory is None:
            return self._failed(copy, row, moment, "failed", f"unreadable inventory ({obj.problem})")
        expected = next((d for d, paths in inventory.manifest.items() if row.content_path in paths), None)
        if expected is None:
            return self._failed(copy, row, moment, "failed", "no longer in the inventory")
        try:
            found = self.p.hasher.sha512(copy.storage, copy.key(oid, row.content_path))
        except NotFound:
            return self._failed(copy, row, moment, "missing", "missing", expected)
        except StorageError as exc:
            return self._failed(copy, row, moment, "failed", f"unreadable ({exc})", expected)
        if found.sha512 != expected:
            problem = f"sha512 {found.sha512[:16]}... instead of {expected[:16]}... ({found.size} bytes)"
            return self._failed(copy, row, moment, "failed", problem, expected)
        detail = f"{row.content_path}: sha512 matches the inventory on the {copy.name} copy"
        event = PremisEvent(FIXITY_CHECK, moment, "success", detail, AGENT)
        return _Check(row, [LoggedEvent(event, copy.name, row.content_path, result="ok")], "ok")

    def _failed(
        self, copy: Copy, row: FixityRow, moment: datetime, result: str, problem: str, expected: str | None = None
    ) -> _Check:
        detail = f"{row.content_path}: {problem} on the {copy.name} copy"
        events = [
            LoggedEvent(
                PremisEvent(FIXITY_CHECK, moment, "failure", detail, AGENT), copy.name, row.content_path, result=result
            )
        ]
        other = self.p.other(copy)
        if other is None or expected is None:
            return _Check(row, events, "failed")
        outcome = repair_file(copy, other, object_id(row.item_id), row.content_path, expected, self.p.hasher)
        return _Check(
            row,
            events + outcome.events,
            "repaired" if outcome.repaired else "both-bad" if outcome.both_bad else "failed",
        )

    def _object(self, copy: Copy, item_id: str) -> ObjectCheck:
        """The copy's object checked (and its inventories repaired) by the first caller of the run."""

        def check() -> ObjectCheck:
            try:
                return check_object(copy, self.p.other(copy), object_id(item_id), self._clock())
            except (PreservationError, StorageError) as exc:
                return ObjectCheck(None, f"cannot be read: {exc}")

        found = self._once((copy.name, item_id), check)
        assert isinstance(found, ObjectCheck)
        return found

    def _derivatives(self, item_id: str) -> DerivativeCheck:
        found = self._once((ACCESS, item_id), lambda: check_derivatives(self.p, item_id, self._make, self._clock()))
        assert isinstance(found, DerivativeCheck)
        return found

    def _once(
        self, key: tuple[str, str], make: Callable[[], ObjectCheck | DerivativeCheck]
    ) -> ObjectCheck | DerivativeCheck:
        """``make()`` run by the first caller of the run; the others wait for its result."""
        with self._lock:
            done = self._checked.get(key)
            mine = done is None
            if done is None:
                done = self._checked[key] = Future()
                while len(self._checked) > 512:  # rows come grouped by item: a small cache suffices
                    self._checked.popitem(last=False)
        if mine:
            try:
                done.set_result(make())
            except BaseException as exc:  # the waiters see it too, rather than waiting for ever
                done.set_exception(exc)
        return done.result()

    # -- recording --------------------------------------------------------------------------------

    def _record(self, item_checks: list[_Check], run: AuditRun) -> None:
        """Record one item's checks: its events logged, then its rows and events in the catalog."""
        item_id = item_checks[0].row.item_id
        objects = self._unrecorded(item_id, {c.row.copy for c in item_checks} | {ACCESS})
        events = [e for o in objects.values() for e in o.events] + [e for c in item_checks for e in c.events]
        rows: dict[RowKey, FixityRow] = {
            (e.copy, e.content_path): FixityRow(item_id, e.copy, e.content_path, "", 0) for e in events
        }
        rows.update({(c.row.copy, c.row.content_path): c.row for c in item_checks})
        apply_events(rows, events)
        findings = {name: o.findings for name, o in objects.items()}
        found = {(r.copy, r.content_path) for f in findings.values() for r in f}
        updated = [r for key, r in rows.items() if key not in found]
        self.p.record_fixity(item_id, updated, events, findings=findings)
        run.objects += sum(1 for name in objects if name != ACCESS)
        for finding in (r for f in findings.values() for r in f):
            if finding.last_result == "repaired":
                run.repaired.append(finding)
            else:
                run.failed.append(finding)
                if BOTH_BAD in finding.detail:
                    run.both_bad.append(finding)
        for check in item_checks:
            row = rows[(check.row.copy, check.row.content_path)]
            run.checked += 1
            if check.outcome == "repaired":
                run.repaired.append(row)
            elif check.outcome != "ok":
                run.failed.append(row)
                if check.outcome == "both-bad":
                    run.both_bad.append(row)

    def _unrecorded(self, item_id: str, names: set[str]) -> dict[str, ObjectCheck | DerivativeCheck]:
        """The item's object and derivative checks of this run not recorded yet, by copy name."""
        out: dict[str, ObjectCheck | DerivativeCheck] = {}
        with self._lock:
            for name in sorted(names):
                done = self._checked.get((name, item_id))
                if done is not None and (name, item_id) not in self._recorded:
                    self._recorded.add((name, item_id))
                    out[name] = done.result()
        return out


def _bounded(
    pool: ThreadPoolExecutor,
    fn: Callable[[FixityRow], _Check],
    rows: Iterable[FixityRow],
    allowed: Callable[[FixityRow], bool],
    in_flight: int,
) -> Iterator[_Check]:
    """``fn`` over rows, results in order, with at most ``in_flight`` running; stops at the first
    row not allowed."""
    pending: deque[Future[_Check]] = deque()
    for row in rows:
        if not allowed(row):
            break
        pending.append(pool.submit(fn, row))
        while len(pending) >= in_flight:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()
