"""Reading a large S3 object in order while its next parts arrive on parallel ranged GETs.

One GET streams at what one connection and one server request give (about 300 MB/s from SeaweedFS
on these machines), while boto3's ``download_file`` reaches twice that with ranges on ten threads.
An export, a replication or a repair reads an object front to back, so the parts after the one
being read are fetched ahead, ``AHEAD`` at a time, and handed over in order: memory stays at
``AHEAD + 1`` parts per stream. Every ranged GET names the first answer's ETag (``If-Match``), so
an object replaced midway is an error, never a mix of two versions. (Fixity audits hash several
files at once and read without it.)
"""

from __future__ import annotations

import io
import os
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, BinaryIO

from storage.errors import StorageError, StorageUnavailable

if TYPE_CHECKING:
    from storage.s3_get import GetClient

PART_SIZE = 8 * 1024 * 1024
AHEAD = 3  # parts fetched ahead of the one being read, per stream
THREADS = 8  # fetching threads shared by every stream of the process

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _fetcher() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(THREADS, thread_name_prefix="s3-read-ahead")
        return _pool


def _forget_pool() -> None:
    """In a forked child: the pool's threads stayed in the parent, and a pool that believes it has
    idle threads would never start new ones."""
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_pool)


class ReadAhead(io.RawIOBase):
    """The object from its first part's stream (``first``) on, ``size`` bytes in all."""

    def __init__(self, gets: GetClient, full_key: str, key: str, first: BinaryIO, size: int, etag: str | None):
        super().__init__()
        self._gets, self._full_key, self._key, self._etag = gets, full_key, key, etag
        self._size = size
        self._stream: BinaryIO | None = first  # the first part, read as it arrives
        self._part_buffer: bytearray | None = None  # the fetched part being read, ``self._part`` of it
        self._part = memoryview(b"")  # read from ``self._offset`` on
        self._offset = 0
        self._received = 0
        self._next = PART_SIZE  # start of the next part to ask for
        self._ahead: deque[Future[tuple[bytearray, int]]] = deque()
        self._spare: list[bytearray] = []  # a read part's buffer, for the next: no 8 MB allocation each
        for _ in range(AHEAD):
            self._ask()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if not len(buffer):
            return 0
        while True:
            if self._stream is not None:
                count = self._stream.readinto(buffer)  # type: ignore[attr-defined]
                if count:
                    self._received += count
                    return count
                self._stream.close()  # its end was checked against its Content-Length
                self._stream = None
            left = len(self._part) - self._offset
            if left:
                count = min(left, len(buffer))
                buffer[:count] = self._part[self._offset : self._offset + count]
                self._offset += count
                self._received += count
                return count
            if not self._ahead:
                return 0
            if self._part_buffer is not None:
                self._spare.append(self._part_buffer)
            self._part_buffer, length = self._ahead.popleft().result()
            self._part, self._offset = memoryview(self._part_buffer)[:length], 0
            self._ask()

    def read(self, n: int | None = -1) -> bytes:
        """Up to ``n`` bytes, copied once (``RawIOBase.read`` would copy twice, into a new buffer
        and then into bytes); never more than what is left of the part being read."""
        if n is None or n < 0:
            return self.readall()
        left = len(self._part) - self._offset
        if self._stream is not None or not left:
            buffer = bytearray(n)  # the first part's stream, or the next part to take over
            return bytes(buffer[: self.readinto(buffer)])
        count = min(left, n)
        data = bytes(self._part[self._offset : self._offset + count])
        self._offset += count
        self._received += count
        return data

    def readall(self) -> bytes:
        return read_all(self.readinto, self._size - self._received)

    def _ask(self) -> None:
        if self._next < self._size:
            start, end = self._next, min(self._next + PART_SIZE, self._size)
            buffer = self._spare.pop() if self._spare else bytearray(PART_SIZE)
            self._ahead.append(_fetcher().submit(self._fetch, start, end, buffer))
            self._next = end

    def _fetch(self, start: int, end: int, buffer: bytearray) -> tuple[bytearray, int]:
        """Bytes ``start`` to ``end`` into ``buffer``: (buffer, how many). The stream resumes a part
        cut off midway by itself."""
        view = memoryview(buffer)[: end - start]
        try:
            stream = self._gets.open(self._full_key, self._key, start, end, if_match=self._etag)
        except StorageUnavailable as exc:  # the client's own retries are spent: say which read stopped
            raise StorageUnavailable(f"S3 read of {self._key!r} at {self._gets.endpoint} failed: {exc}") from None
        with stream:
            if getattr(stream, "etag", self._etag) != self._etag:  # a server that ignores If-Match
                raise StorageError(f"{self._key!r} was replaced in S3 at {self._gets.endpoint} while being read")
            got = fill(stream.readinto, view)  # type: ignore[attr-defined]
            if got < len(view):
                raise StorageError(f"S3 read of {self._key!r}: bytes from {start} ended after {got} of {len(view)}")
        return buffer, got

    def close(self) -> None:
        if self.closed:
            return
        for future in self._ahead:
            future.cancel()  # one already running finishes into nothing; its connection is kept
        self._ahead.clear()
        if self._stream is not None:
            self._stream.close()
        self._part, self._part_buffer = memoryview(b""), None
        super().close()


def fill(readinto: Callable[[memoryview], int], view: memoryview) -> int:
    """Fill ``view`` from a stream's ``readinto``; fewer bytes only at the stream's end."""
    got = 0
    while got < len(view) and (count := readinto(view[got:])):
        got += count
    return got


def read_all(readinto: Callable[[memoryview], int], size: int) -> bytes:
    """The ``size`` bytes a stream has left (fewer if it ends first), in one allocation."""
    rest = bytearray(size)
    return bytes(rest[: fill(readinto, memoryview(rest))])
