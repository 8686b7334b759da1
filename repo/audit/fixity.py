"""Fixity audits: stored content files streamed and checked against their OCFL inventory's sha512,
least recently checked first, within a budget of bytes or seconds, so that a daily run covers
the repository within the configured cycle. A failed file is repaired from the other copy.

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
from repo.audit.event_log import LoggedEvent
from repo.audit.fixity_rows import RowKey, apply_events, stamp
from repo.audit.hashing import FILES_AT_ONCE
from repo.audit.repair import repair_file
from repo.audit.service import Preservation
from repo.catalog import FixityRow
from repo.identifiers import object_id
from repo.metadata.premis import FIXITY_CHECK, PremisEvent
from repo.preservation import Inventory, PreservationError
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
    repaired: list[FixityRow] = field(default_factory=list)
    failed: list[FixityRow] = field(default_factory=list)  # not repaired
    both_bad: list[FixityRow] = field(default_factory=list)
    budget_spent: bool = False

    @property
    def clean(self) -> bool:
        return not (self.repaired or self.failed)


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
    ) -> None:
        self.p = preservation
        self.catalog = preservation.catalog
        self._files = files_at_once
        self._clock = clock
        self._inventories: OrderedDict[tuple[str, str], Future[Inventory]] = OrderedDict()
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
        moment = self._clock()
        try:
            inventory = self._inventory(copy, row.item_id)
        except (PreservationError, StorageError) as exc:
            return self._failed(copy, row, moment, "failed", f"unreadable inventory ({exc})")
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

    def _inventory(self, copy: Copy, item_id: str) -> Inventory:
        """The copy's inventory of the item, read once however many of its files are checked at
        once: the first caller reads it, the others wait for that read."""
        key = (copy.name, item_id)
        with self._lock:
            read = self._inventories.get(key)
            mine = read is None
            if read is None:
                read = self._inventories[key] = Future()
                while len(self._inventories) > 256:  # rows come grouped by item: a small cache suffices
                    self._inventories.popitem(last=False)
        if mine:
            try:
                read.set_result(copy.store.read_inventory(object_id(item_id)))
            except (PreservationError, StorageError) as exc:
                read.set_exception(exc)
        return read.result()

    # -- recording --------------------------------------------------------------------------------

    def _record(self, item_checks: list[_Check], run: AuditRun) -> None:
        """Record one item's checks: its events logged, then its rows and events in the catalog."""
        item_id = item_checks[0].row.item_id
        events = [e for c in item_checks for e in c.events]
        rows: dict[RowKey, FixityRow] = {
            (e.copy, e.content_path): FixityRow(item_id, e.copy, e.content_path, "", 0) for e in events
        }
        rows.update({(c.row.copy, c.row.content_path): c.row for c in item_checks})
        apply_events(rows, events)
        self.p.record_fixity(item_id, list(rows.values()), events)
        for check in item_checks:
            row = rows[(check.row.copy, check.row.content_path)]
            run.checked += 1
            if check.outcome == "repaired":
                run.repaired.append(row)
            elif check.outcome != "ok":
                run.failed.append(row)
                if check.outcome == "both-bad":
                    run.both_bad.append(row)


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
