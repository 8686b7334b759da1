"""sha512 of stored objects at the speed of hashing: each object is read as one stream by a reader
thread that stays a few chunks ahead, while the calling thread hashes the chunks already read.

hashlib releases the GIL on large buffers and both backends release it while waiting for bytes,
so reading and hashing overlap. One streaming GET per object costs half the client CPU of ranged
GETs, which matters when the S3 server shares the machine; several objects hashed at once (from
different threads) keep every core busy. Memory stays at ``read_ahead + 1`` chunks per object.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO

from storage.base import Storage

CHUNK_SIZE = 8 * 1024 * 1024
READ_AHEAD = 2
_END = b""


@dataclass(frozen=True)
class Digest:
    sha512: str
    size: int


class StreamHasher:
    """Hashes stored objects; up to ``files`` of them at once, each from its caller's thread."""

    def __init__(self, *, chunk_size: int = CHUNK_SIZE, read_ahead: int = READ_AHEAD, files: int = 4) -> None:
        self._chunk = chunk_size
        self._ahead = read_ahead
        self._pool = ThreadPoolExecutor(files, thread_name_prefix="sha512-read")

    def sha512(self, storage: Storage, key: str) -> Digest:
        """The digest and size of the object's bytes; ``NotFound`` when it is absent."""
        with storage.open(key) as stream:
            first = stream.read(self._chunk)
            if len(first) < self._chunk:  # small: nothing to overlap
                return Digest(hashlib.sha512(first).hexdigest(), len(first))
            chunks: queue.Queue[bytes | BaseException] = queue.Queue(self._ahead)
            stop = threading.Event()
            reader = self._pool.submit(self._read, stream, chunks, stop)
            digest = hashlib.sha512(first)
            size = len(first)
            try:
                while (chunk := chunks.get()) is not _END:
                    if isinstance(chunk, BaseException):
                        raise chunk
                    digest.update(chunk)
                    size += len(chunk)
            finally:
                stop.set()
                _drain(chunks)
                reader.exception()  # the stream is closed only once its reader has let go of it
        return Digest(digest.hexdigest(), size)

    def _read(self, stream: BinaryIO, chunks: queue.Queue[bytes | BaseException], stop: threading.Event) -> None:
        try:
            while not stop.is_set():
                chunk = stream.read(self._chunk)
                _put(chunks, chunk or _END, stop)
                if not chunk:
                    return
        except BaseException as exc:  # handed to the hashing thread, which raises it
            _put(chunks, exc, stop)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> StreamHasher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _put(chunks: queue.Queue[bytes | BaseException], item: bytes | BaseException, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            chunks.put(item, timeout=0.1)
            return
        except queue.Full:
            continue


def _drain(chunks: queue.Queue[bytes | BaseException]) -> None:
    while True:
        try:
            chunks.get_nowait()
        except queue.Empty:
            return
