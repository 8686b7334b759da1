"""Built manifests kept as bytes, one entry per item, replaced when the item changes."""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

DEFAULT_CACHE_BYTES = 64 * 1024 * 1024


def strong_etag(*parts: object) -> str:
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:32]
    return f'"{digest}"'


@dataclass
class Document:
    """A serialized JSON-LD document and its validator; gzip made on first demand, then kept."""

    etag: str
    body: bytes
    _gzipped: bytes | None = field(default=None, repr=False)

    def gzipped(self) -> bytes:
        if self._gzipped is None:
            # Large manifests compress about tenfold; level 6 is zlib's own speed/size balance.
            self._gzipped = gzip.compress(self.body, compresslevel=6, mtime=0)
        return self._gzipped

    @property
    def size(self) -> int:
        return len(self.body)  # the gzip copy adds about a tenth; not counted


class DocumentCache:
    """LRU of documents bounded by bytes; ``get`` misses when the stored etag is not the asked one.

    Keyed by item id so a new version replaces the entry rather than leaving the old one to age out.
    """

    def __init__(self, max_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, Document] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str, etag: str) -> Document | None:
        with self._lock:
            document = self._entries.get(key)
            if document is None or document.etag != etag:
                return None
            self._entries.move_to_end(key)
            return document

    def put(self, key: str, document: Document) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            if document.size > self.max_bytes:
                return
            self._entries[key] = document
            self._bytes += document.size
            while self._bytes > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= evicted.size

    def discard(self, key: str) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old.size

    def __len__(self) -> int:
        return len(self._entries)
