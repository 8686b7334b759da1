"""The one storage interface that every backend implements.

Keys are relative, slash-separated paths (``objects/ab/cd/v1/content/data/p1.tif``). Every write
is atomic: an object is either absent or complete under its final key.
"""

from __future__ import annotations

import abc
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from storage.errors import ChecksumMismatch, InvalidKey

CHUNK_SIZE = 8 * 1024 * 1024


@dataclass(frozen=True)
class ObjectInfo:
    """What ``head`` and ``put`` tell about a stored object."""

    key: str
    size: int
    modified: datetime
    sha512: str | None = None  # known when written by Muniment (stored as metadata)


def validate_key(key: str) -> str:
    """Return ``key`` if it is a safe relative key, else raise ``InvalidKey`` naming the problem."""
    if not isinstance(key, str) or key == "":
        raise InvalidKey(repr(key), "key is empty")
    if key.startswith("/"):
        raise InvalidKey(key, "absolute keys are not allowed")
    if "\\" in key:
        raise InvalidKey(key, "backslashes are not allowed")
    if any(ord(c) < 32 or ord(c) == 127 for c in key):
        raise InvalidKey(key, "NUL and control characters are not allowed")
    for segment in key.split("/"):
        if segment == "":
            raise InvalidKey(key, "empty path segment")
        if segment in (".", ".."):
            raise InvalidKey(key, f"'{segment}' segments are not allowed")
    return key


def validate_prefix(prefix: str) -> str:
    """A listing prefix: empty, or a valid key optionally ending with '/'."""
    if prefix == "":
        return prefix
    validate_key(prefix[:-1] if prefix.endswith("/") else prefix)
    return prefix


class HashingReader:
    """Wraps a stream, computing size and sha512 (and optionally md5) of what is read through it."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.sha512 = hashlib.sha512()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        data = self._stream.read(n)
        if data:
            self.sha512.update(data)
            self.size += len(data)
        return data


def check_expected(key: str, actual: str, expected: str | None) -> None:
    if expected is not None and actual.lower() != expected.lower():
        raise ChecksumMismatch(key, expected=expected, actual=actual)


class Storage(abc.ABC):
    """Put, get, head, list, copy and delete objects under validated keys."""

    #: a short description for messages, e.g. ``file:///srv/data/preservation`` or ``s3://bucket``
    location: str

    @abc.abstractmethod
    def put(self, key: str, stream: BinaryIO, *, sha512: str | None = None) -> ObjectInfo:
        """Store the stream under ``key`` atomically, streaming with flat memory.

        The returned info carries the size and the sha512 computed while streaming. When
        ``sha512`` is given and the bytes differ, raise ``ChecksumMismatch`` and store nothing.
        """

    def put_bytes(self, key: str, data: bytes, *, sha512: str | None = None) -> ObjectInfo:
        import io

        return self.put(key, io.BytesIO(data), sha512=sha512)

    @abc.abstractmethod
    def open(self, key: str, start: int = 0, end: int | None = None) -> BinaryIO:
        """A readable stream of the object, or of bytes ``start`` to ``end`` (exclusive).

        Raises ``NotFound`` when the object does not exist.
        """

    def get_bytes(self, key: str, start: int = 0, end: int | None = None) -> bytes:
        with self.open(key, start, end) as stream:
            return stream.read()

    def iter_chunks(self, key: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        with self.open(key) as stream:
            while chunk := stream.read(chunk_size):
                yield chunk

    @abc.abstractmethod
    def head(self, key: str) -> ObjectInfo:
        """Size, modified time and (when known) sha512; ``NotFound`` when absent."""

    def exists(self, key: str) -> bool:
        from storage.errors import NotFound

        try:
            self.head(key)
        except NotFound:
            return False
        return True

    @abc.abstractmethod
    def list_page(self, prefix: str = "", *, start_after: str = "", limit: int = 1000) -> list[str]:
        """Up to ``limit`` keys under ``prefix``, sorted, strictly after ``start_after``."""

    def list(self, prefix: str = "", *, page_size: int = 1000) -> Iterator[str]:
        """Every key under ``prefix``, sorted, fetched page by page."""
        after = ""
        while True:
            page = self.list_page(prefix, start_after=after, limit=page_size)
            yield from page
            if len(page) < page_size:
                return
            after = page[-1]

    @abc.abstractmethod
    def copy(self, source: str, dest: str) -> ObjectInfo:
        """Copy one object to another key of the same storage, atomically."""

    @abc.abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object; deleting an absent key is not an error."""

    def local_path(self, key: str) -> str | None:
        """A filesystem path to read the object directly, when the backend has one."""
        return None

    def check(self) -> None:  # noqa: B027 - a backend with nothing to check keeps this default
        """Raise ``StorageUnavailable`` with a clear message when the storage cannot be used."""
