"""In-memory least-recently-used caches: by entry count, and by size (bytes, open files) for
what holds memory or files."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from iiif.image.request import ResolvedRequest

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRU(Generic[K, V]):
    """At most ``max_entries`` values; thread-safe (renders finish in worker threads)."""

    def __init__(self, max_entries: int) -> None:
        self._max = max_entries
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._max:
                self._items.popitem(last=False)

    def pop(self, key: K) -> None:
        with self._lock:
            self._items.pop(key, None)

    def __len__(self) -> int:
        return len(self._items)


class SizedLRU(Generic[K, V]):
    """Values whose total ``size`` (bytes, open files, ...) stays within ``max_size``, and at most
    ``max_entries`` of them; least recently used dropped first. The entry just put or resized is
    kept even when it alone is past the bound. Thread-safe."""

    def __init__(self, max_size: int, size: Callable[[V], int], *, max_entries: int | None = None) -> None:
        self.max_size = max_size
        self._measure = size
        self._max_entries = max_entries
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        return self._size

    def get(self, key: K) -> V | None:
        with self._lock:
            entry = self._items.get(key)
            if entry is None:
                return None
            self._items.move_to_end(key)
            return entry[0]

    def put(self, key: K, value: V) -> None:
        size = self._measure(value)
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._size -= old[1]
            self._items[key] = (value, size)
            self._size += size
            self._trim()

    def resize(self, key: K) -> None:
        """Measure an entry again (its value grew or shrank) and drop others if now past the bound."""
        with self._lock:
            entry = self._items.get(key)
            if entry is None:
                return
            size = self._measure(entry[0])
            self._size += size - entry[1]
            self._items[key] = (entry[0], size)
            self._items.move_to_end(key)
            self._trim()

    def pop(self, key: K) -> None:
        with self._lock:
            entry = self._items.pop(key, None)
            if entry is not None:
                self._size -= entry[1]

    def _trim(self) -> None:
        items = self._items
        while len(items) > 1 and (
            self._size > self.max_size or (self._max_entries is not None and len(items) > self._max_entries)
        ):
            _, (_, size) = items.popitem(last=False)
            self._size -= size

    def __len__(self) -> int:
        return len(self._items)


@dataclass(frozen=True)
class CachedImage:
    body: bytes
    version: str  # the stored pyramid it was made from: a replaced image is a miss, not stale


# What an entry costs beside its body (tracemalloc): about 450 for the tuples, the dataclass and the
# list node, and 450 for the request value of its key once the resolved-request memo no longer holds it.
_ENTRY_BYTES = 900


class ResponseCache:
    """Encoded images keyed by (identifier, resolved request): every URL that makes the same pixels
    of an image shares one entry. At most ``max_bytes`` in all (bodies and what each entry costs
    beside them, so that many tiny ones are bounded too)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._items: SizedLRU[tuple[str, ResolvedRequest], CachedImage] = SizedLRU(
            max_bytes, lambda entry: len(entry.body) + _ENTRY_BYTES
        )

    @property
    def size_bytes(self) -> int:
        return self._items.size

    def __len__(self) -> int:
        return len(self._items)

    def get(self, identifier: str, request: ResolvedRequest, version: str) -> bytes | None:
        entry = self._items.get((identifier, request))
        if entry is None:
            return None
        if entry.version != version:
            self._items.pop((identifier, request))
            return None
        return entry.body

    def put(self, identifier: str, request: ResolvedRequest, version: str, body: bytes) -> None:
        if len(body) + _ENTRY_BYTES > self.max_bytes // 8:  # one huge image must not flush every tile
            return
        self._items.put((identifier, request), CachedImage(body, version))
