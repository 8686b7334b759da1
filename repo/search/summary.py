"""Totals and facet counts computed once per catalog version and kept, per process.

Counting every match of a common word, five facets over the whole catalog, the items of each
collection: each costs in proportion to the catalog, so none runs on every request. An entry is
kept with the catalog version it was computed at (``repo.catalog.version``) and used while the
version is the same; any change to the catalog, in any process, moves the version and the entry
is computed again on its next use.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from repo.catalog.version import Version

T = TypeVar("T")
DEFAULT_ENTRIES = 512


class SummaryCache:
    def __init__(self, entries: int = DEFAULT_ENTRIES) -> None:
        self.entries = entries
        self._values: OrderedDict[Hashable, tuple[Version, object]] = OrderedDict()
        self._lock = threading.Lock()
        self._busy: dict[Hashable, threading.Event] = {}
        self.computed = 0  # how many entries were computed rather than found (tests and benches read it)

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
            with self._lock:
                self.computed += 1
                self._values[key] = (version, value)
                self._values.move_to_end(key)
                while len(self._values) > self.entries:
                    self._values.popitem(last=False)
            return value
        finally:
            with self._lock:
                del self._busy[key]
            busy.set()
