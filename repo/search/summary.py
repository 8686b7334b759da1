"""Totals and facet counts computed once per catalog version and kept, per process.

Counting every match of a common word, five facets over the whole catalog, the items of each
collection: each costs in proportion to the catalog, so none runs on every request. An entry is
kept with the catalog version it was computed at (``repo.catalog.version``) and used while the
version is the same; any change to the catalog, in any process, moves the version and the entry
is computed again on its next use.

``within`` keeps that work off the request: the entry is computed by a background thread and the
request waits for it at most ``budget`` seconds. When it is not ready by then, the request is told
so (``Freshness.COUNTING``, no value) or, if the entry of an earlier version was first found out of
date less than ``stale_seconds`` ago, given that one marked ``Freshness.STALE``; either way the
entry lands in the cache when done. The bound is in seconds since a request first saw the entry
out of date, not in versions: a library ingesting all day moves the version every few seconds,
and what a reader can trust is how long ago the figure was right.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from repo.catalog.version import Version

T = TypeVar("T")
DEFAULT_ENTRIES = 512
log = logging.getLogger("muniment.search")


class Freshness(enum.Enum):
    CURRENT = "current"  # computed for the catalog version asked for
    STALE = "stale"  # of an earlier version, first found out of date at most stale_seconds ago
    COUNTING = "counting"  # not ready within the budget: no value yet


class SummaryCache:
    def __init__(self, entries: int = DEFAULT_ENTRIES) -> None:
        self.entries = entries
        self._values: OrderedDict[Hashable, tuple[Version, object]] = OrderedDict()
        self._lock = threading.Lock()
        self._busy: dict[Hashable, threading.Event] = {}
        self.computed = 0  # how many entries were computed rather than found (tests and benches read it)
        self._outdated_since: dict[Hashable, float] = {}  # when a request first found an entry out of date
        self._counting_since: dict[Hashable, float] = {}  # when the background count of an entry began
        self._background: ThreadPoolExecutor | None = None  # made at first use; its threads keep their connections

    def within(
        self, key: Hashable, version: Version, compute: Callable[[], T], *, budget: float, stale_seconds: float
    ) -> tuple[T | None, Freshness]:
        """The entry for ``version`` if ready within ``budget`` seconds, else the recent one of an
        earlier version (STALE) or none (COUNTING); see the module's text."""
        with self._lock:
            found = self._values.get(key)
            if found is not None and found[0] == version:
                self._values.move_to_end(key)
                return found[1], Freshness.CURRENT  # type: ignore[return-value]
            now = time.monotonic()
            outdated = self._outdated_since.setdefault(key, now) if found is not None else now
            stale = found[1] if found is not None and now - outdated < stale_seconds else None
            busy = self._busy.get(key)
            if busy is None:
                busy = self._busy[key] = threading.Event()
                if self._background is None:
                    self._background = ThreadPoolExecutor(2, thread_name_prefix="search-counts")
                self._background.submit(self._fill, key, version, compute, busy)
                self._counting_since[key] = now
            # The budget runs from the count's start: while a long count runs, the requests after
            # the first are told at once, not each kept waiting the whole budget again.
            wait = max(0.0, self._counting_since.get(key, now) + budget - now)
        if busy.wait(wait):
            with self._lock:
                found = self._values.get(key)
                if found is not None and found[0] == version:
                    return found[1], Freshness.CURRENT  # type: ignore[return-value]
        if stale is not None:
            return stale, Freshness.STALE  # type: ignore[return-value]
        return None, Freshness.COUNTING

    def _fill(self, key: Hashable, version: Version, compute: Callable[[], object], busy: threading.Event) -> None:
        try:
            self._store(key, version, compute())
        except Exception:  # a busy or closing database: the next request asks again
            log.exception("search counts for %r failed", key)
        finally:
            with self._lock:
                del self._busy[key]
                self._counting_since.pop(key, None)
            busy.set()

    def _store(self, key: Hashable, version: Version, value: object) -> None:
        with self._lock:
            self.computed += 1
            self._values[key] = (version, value)
            self._values.move_to_end(key)
            self._outdated_since.pop(key, None)
            while len(self._values) > self.entries:
                gone, _ = self._values.popitem(last=False)
                self._outdated_since.pop(gone, None)

    def get(self, key: Hashable, version: Version, compute: Callable[[], T]) -> T:
        while True:
            with self._lock:
                found = self._values.get(key)
                if found is not None and found[0] == version:
                    self._values.move_to_end(key)
                    return found[1]  # type: ignore[return-value]
                # One thread computes an entry; the others asking for it wait for it rather than
                # compute it too (eight requests computing one count at once cost eight times).
                busy = self._busy.get(key)
                if busy is None:
                    busy = self._busy[key] = threading.Event()
                    break
            busy.wait()
        try:
            value = compute()
            self._store(key, version, value)
            return value
        finally:
            with self._lock:
                del self._busy[key]
            busy.set()
