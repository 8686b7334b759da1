"""The one storage interface that every backend implements.

Keys are relative, slash-separated paths (``objects/ab/cd/v1/content/data/p1.tif``). Every write
is atomic: an object is either absent or complete under its final key.
"""

from __future__ import annotations

import abc
import base64
import hashlib
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from storage.errors import AlreadyExists, ChecksumMismatch, InvalidKey

CHUNK_SIZE = 8 * 1024 * 1024
PART_SIZE = 8 * 1024 * 1024  # multipart uploads (S3) send parts of this size
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


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
    if _CONTROL.search(key):
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


PART_CHECKSUMS = ("md5", "crc32")


@dataclass(frozen=True)
class PartDigests:
    """The sha512 of a whole file and a checksum of each ``part_size`` piece, from one read.

    Given to ``put_pending`` by a caller that hashed the file already (``Storage.digest_for_put``),
    it spares the backend a second sha512 pass: S3 sends each part with its checksum (Content-MD5,
    or x-amz-checksum-crc32 where the server is seen to check it), so the server refuses any byte
    that differs from the bytes hashed here, and the object is the one the sha512 names.
    """

    sha512: str
    size: int
    part_size: int = 0
    algorithm: str = ""  # one of PART_CHECKSUMS, or "" with no part checksums
    part_checksums: tuple[str, ...] = ()  # base64, as the headers carry them


def part_checksum(algorithm: str, data: bytes) -> str:
    """Base64 of the part's md5 (Content-MD5) or big-endian crc32 (x-amz-checksum-crc32)."""
    if algorithm == "crc32":
        raw = zlib.crc32(data).to_bytes(4, "big")
    else:
        raw = hashlib.md5(data, usedforsecurity=False).digest()
    return base64.b64encode(raw).decode()


def digest_parts(stream: BinaryIO, part_size: int = PART_SIZE, algorithm: str = "") -> PartDigests:
    """sha512 and size of the stream, and each part's checksum when ``algorithm`` names one."""
    whole = hashlib.sha512()
    parts: list[str] = []
    size = 0
    while chunk := stream.read(part_size):
        while len(chunk) < part_size and (rest := stream.read(part_size - len(chunk))):
            chunk += rest  # streams may return short reads: fill the part
        whole.update(chunk)
        if algorithm:
            parts.append(part_checksum(algorithm, chunk))
        size += len(chunk)
    return PartDigests(whole.hexdigest(), size, part_size, algorithm, tuple(parts))


class PartCheckingReader:
    """Wraps a stream known by its ``PartDigests``: checks each part's checksum and the size as
    they are read (a crc32 costs a sixteenth of a sha512), so that a backend writing the stream
    knows the bytes are the ones hashed without hashing them again. ``sha512`` is the digest
    once every part matched; None when one did not (the bytes changed since they were hashed)."""

    def __init__(self, stream: BinaryIO, parts: PartDigests) -> None:
        self._stream = stream
        self._parts = parts
        self._seq = 0
        self.size = 0
        self.matched = True

    @staticmethod
    def usable(parts: PartDigests | None) -> bool:
        return parts is not None and parts.algorithm in PART_CHECKSUMS and parts.part_size > 0

    def read(self, n: int = -1) -> bytes:
        """One whole part per read (whatever ``n``), short reads of the stream filled."""
        size = self._parts.part_size
        chunk = self._stream.read(size)
        while chunk and len(chunk) < size and (rest := self._stream.read(size - len(chunk))):
            chunk += rest
        if chunk:
            expected = self._parts.part_checksums[self._seq] if self._seq < len(self._parts.part_checksums) else None
            if expected != part_checksum(self._parts.algorithm, chunk):
                self.matched = False
            self._seq += 1
            self.size += len(chunk)
        return chunk

    @property
    def expected(self) -> str:
        return self._parts.sha512

    @property
    def sha512(self) -> str | None:
        whole = self.matched and self._seq == len(self._parts.part_checksums) and self.size == self._parts.size
        return self._parts.sha512 if whole else None


def check_expected(key: str, actual: str, expected: str | None) -> None:
    if expected is not None and actual.lower() != expected.lower():
        raise ChecksumMismatch(key, expected=expected, actual=actual)


class PendingPut(abc.ABC):
    """Bytes already stored but not yet visible under their key (``Storage.put_pending``)."""

    key: str
    info: ObjectInfo  # size and sha512 of the bytes sent

    @abc.abstractmethod
    def commit(self) -> ObjectInfo:
        """Make the object visible under its key, atomically; ``AlreadyExists`` when the key is
        taken (a pending put makes a new file, never replaces one) in the real backends."""

    @abc.abstractmethod
    def abort(self) -> None:
        """Drop the stored bytes; the key stays as it was. Harmless after ``commit``."""


class _StagedCopy(PendingPut):
    """The portable form: a whole object under a staging key, copied to its key at commit."""

    def __init__(self, storage: Storage, key: str, staging_key: str, info: ObjectInfo) -> None:
        self._storage = storage
        self.key = key
        self._staging_key = staging_key
        self.info = info

    def commit(self) -> ObjectInfo:
        info = self._storage.copy(self._staging_key, self.key)
        self._storage.delete(self._staging_key)
        return info

    def abort(self) -> None:
        self._storage.delete(self._staging_key)


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

    def create(self, key: str, data: bytes, *, sha512: str | None = None) -> ObjectInfo:
        """Store ``data`` under ``key`` only if nothing is there; else raise ``AlreadyExists``.

        For files that are written once and never replaced (an OCFL version's inventory). Both
        real backends override this with an atomic form (a hard link; S3 ``If-None-Match: *``);
        this default, for wrappers, checks first, which only the object lock makes safe.
        """
        if self.exists(key):
            raise AlreadyExists(key, self.location)
        return self.put_bytes(key, data, sha512=sha512)

    def put_pending(
        self,
        key: str,
        stream: BinaryIO,
        *,
        sha512: str | None,
        staging_key: str,
        parts: PartDigests | None = None,
    ) -> PendingPut:
        """Store the stream now and make it visible under ``key`` later, with ``commit``.

        Until then nothing changes under ``key``. The bytes are checked as in ``put`` (against
        ``parts`` instead of a new sha512 where the backend can, see ``PartDigests``). This
        default keeps them as an ordinary object under ``staging_key`` (the caller's to choose,
        and to clean after a crash) and copies them at commit; a backend with a native form
        overrides it (S3: a multipart upload to ``key`` completed at commit, nothing copied).
        """
        info = self.put(staging_key, stream, sha512=sha512)
        return _StagedCopy(self, key, staging_key, info)

    def digest_for_put(self, stream: BinaryIO) -> PartDigests:
        """The stream's sha512 and size, and whatever else this backend's ``put_pending`` can use
        in place of hashing the bytes again (S3: a checksum per part). Only sha512 by default."""
        return digest_parts(stream)

    def abort_pending(self, prefix: str) -> list[str]:
        """Drop uncommitted ``put_pending`` uploads under ``prefix`` that the backend keeps out of
        sight (left by a crashed process); returns their keys. Nothing to do by default."""
        return []

    def discard_temporary(self, prefix: str = "", *, recursive: bool = True, any_owner: bool = False) -> list[str]:
        """Remove the temporary files that interrupted writes left under ``prefix`` (hidden from
        ``list``), and empty folders there and above; returns the files removed, as keys.

        Only files whose writing process is gone are touched, unless ``any_owner`` (the caller
        knows no writer can be busy there: it holds the object's lock). ``recursive=False``
        looks at the folder ``prefix`` names and not below. Nothing to do by default: only a
        backend that writes through temporary files has any.
        """
        return []

    @abc.abstractmethod
    def open(self, key: str, start: int = 0, end: int | None = None, *, read_ahead: bool = True) -> BinaryIO:
        """A readable stream of the object, or of bytes ``start`` to ``end`` (exclusive).

        ``read_ahead``: a backend may fetch a whole object's later parts while the first is read
        (S3 does, on parallel ranged GETs); a caller reading several objects at once has parallelism
        enough and says False. Raises ``NotFound`` when the object does not exist.
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

    def create_container(self) -> bool:
        """Create what holds the keys when it is missing (an S3 bucket); whether it did. A folder
        needs nothing: it is made by the first write."""
        return False
