"""In-memory least-recently-used caches: by entry count, and by bytes for encoded images."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

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


@dataclass(frozen=True)
class CachedImage:
    body: bytes
    version: str  # the stored pyramid it was made from: a replaced image is a miss, not stale


class ResponseCache:
    """Encoded images keyed by (identifier, canonical request), at most ``max_bytes`` of bodies."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple[str, str], CachedImage] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def get(self, identifier: str, canonical: str, version: str) -> bytes | None:
        key = (identifier, canonical)
        with self._lock:
            entry = self._items.get(key)
            if entry is None:
                return None
            if entry.version != version:
                del self._items[key]
                self._bytes -= len(entry.body)
                return None
            self._items.move_to_end(key)
            return entry.body

    def put(self, identifier: str, canonical: str, version: str, body: bytes) -> None:
        if len(body) > self.max_bytes // 8:  # one huge image must not flush every tile
            return
        key = (identifier, canonical)
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body)
            self._items[key] = CachedImage(body, version)
            self._bytes += len(body)
            while self._bytes > self.max_bytes and self._items:
                _, evicted = self._items.popitem(last=False)
                self._bytes -= len(evicted.body)
