"""sha512 of stored objects at the speed of hashing: each object is read as one stream by a reader
thread that stays a few chunks ahead, while the calling thread hashes the chunks already read.

hashlib releases the GIL on large buffers and both backends release it while waiting for bytes,
so reading and hashing overlap. Several objects hashed at once (from different threads) keep
every core busy.

Chunks are read into reused buffers (``readinto``) rather than fresh ``bytes``: a new 8 MB object
per read costs page faults and a copy. Memory stays at ``read_ahead + 1`` buffers per object.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO

from storage.base import Storage

CHUNK_SIZE = 8 * 1024 * 1024
READ_AHEAD = 2
# Objects hashed at once. With the S3 server on the same two cores, 6 keep them busier than 4
# (bench/fixity.py, 1 GB: median 0.83-0.84 of plain sha512 against 0.75-0.78); memory 6 x 3 chunks.
FILES_AT_ONCE = 6

_Filled = tuple[bytearray, int]  # a buffer and how many of its bytes were read
_END: _Filled = (bytearray(), 0)


@dataclass(frozen=True)
class Digest:
    sha512: str
    size: int


class StreamHasher:
    """Hashes stored objects; up to ``files`` of them at once, each from its caller's thread."""

    def __init__(
        self, *, chunk_size: int = CHUNK_SIZE, read_ahead: int = READ_AHEAD, files: int = FILES_AT_ONCE
    ) -> None:
        self._chunk = chunk_size
        self._ahead = read_ahead
        self._pool = ThreadPoolExecutor(files, thread_name_prefix="sha512-read")
        self._spare: queue.LifoQueue[bytearray] = queue.LifoQueue(files * (read_ahead + 1))

    def sha512(self, storage: Storage, key: str) -> Digest:
        """The digest and size of the object's bytes; ``NotFound`` when it is absent."""
        # read_ahead=False: files are hashed several at once, each read ahead here; S3's parts fetched
        # ahead as well cost a tenth of bench/fixity.py's ratio (0.73 against 0.81, same session)
        with storage.open(key, read_ahead=False) as stream:
            fill = _filler(stream)
            first = self._buffer()
            size = fill(first)
            digest = hashlib.sha512(memoryview(first)[:size])
            self._give_back(first)
            if size < self._chunk:  # small: nothing to overlap
                return Digest(digest.hexdigest(), size)
            filled: queue.Queue[_Filled | BaseException] = queue.Queue(self._ahead)
            stop = threading.Event()
            reader = self._pool.submit(self._read, fill, filled, stop)
            try:
                while (chunk := filled.get()) is not _END:
                    if isinstance(chunk, BaseException):
                        raise chunk
                    buffer, length = chunk
                    digest.update(memoryview(buffer)[:length])
                    size += length
                    self._give_back(buffer)
            finally:
                stop.set()
                _drain(filled)
                reader.exception()  # the stream is closed only once its reader has let go of it
        return Digest(digest.hexdigest(), size)

    def _read(
        self, fill: Callable[[bytearray], int], filled: queue.Queue[_Filled | BaseException], stop: threading.Event
    ) -> None:
        try:
            while not stop.is_set():
                buffer = self._buffer()
                length = fill(buffer)
                if not length:
                    self._give_back(buffer)
                    _put(filled, _END, stop)
                    return
                _put(filled, (buffer, length), stop)
        except BaseException as exc:  # handed to the hashing thread, which raises it
            _put(filled, exc, stop)

    def _buffer(self) -> bytearray:
        try:
            return self._spare.get_nowait()
        except queue.Empty:
            return bytearray(self._chunk)

    def _give_back(self, buffer: bytearray) -> None:
        try:
            self._spare.put_nowait(buffer)
        except queue.Full:
            pass  # more were lent out at once than are kept: let this one go

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> StreamHasher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _filler(stream: BinaryIO) -> Callable[[bytearray], int]:
    """A function that fills a buffer from the stream (short only at its end), returning the count."""
    readinto: Callable[[memoryview], int | None] | None = getattr(stream, "readinto", None)

    def fill(buffer: bytearray) -> int:
        view, done = memoryview(buffer), 0
        while done < len(buffer):
            if readinto is not None:
                got = readinto(view[done:]) or 0
            else:
                data = stream.read(len(buffer) - done)
                got = len(data)
                view[done : done + got] = data
            if not got:
                break
            done += got
        return done

    return fill


def _put(filled: queue.Queue[_Filled | BaseException], item: _Filled | BaseException, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            filled.put(item, timeout=0.1)
            return
        except queue.Full:
            continue


def _drain(filled: queue.Queue[_Filled | BaseException]) -> None:
    while True:
        try:
            filled.get_nowait()
        except queue.Empty:
            return
