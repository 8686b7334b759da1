"""The streaming hasher: the digest of every byte, whatever the chunking, on every backend."""

from __future__ import annotations

import hashlib
import io
import os
from typing import BinaryIO

import pytest

from repo.audit import StreamHasher
from storage import NotFound, ObjectInfo, Storage, StorageError


@pytest.mark.parametrize("size", [0, 1000, 4096, 4097, 50_000])
def test_digest_of_objects_of_every_size(storage: Storage, size: int) -> None:
    data = os.urandom(size)
    storage.put_bytes("a/b.bin", data)
    with StreamHasher(chunk_size=4096, read_ahead=2, files=2) as hasher:
        digest = hasher.sha512(storage, "a/b.bin")
    assert (digest.sha512, digest.size) == (hashlib.sha512(data).hexdigest(), size)


def test_missing_object_and_a_read_failing_midway(storage: Storage) -> None:
    storage.put_bytes("k", os.urandom(20_000))
    with StreamHasher(chunk_size=4096) as hasher:
        with pytest.raises(NotFound):
            hasher.sha512(storage, "absent")
        with pytest.raises(StorageError, match="connection reset"):
            hasher.sha512(_Failing(storage), "k")


class _Failing(Storage):
    """Serves the first chunks, then the connection drops."""

    def __init__(self, inner: Storage) -> None:
        self.inner = inner
        self.location = inner.location

    def open(self, key: str, start: int = 0, end: int | None = None, *, read_ahead: bool = True) -> BinaryIO:
        data = self.inner.get_bytes(key)

        class Reader(io.BytesIO):
            def read(self, n: int | None = -1) -> bytes:
                if self.tell() >= 8192:
                    raise StorageError("connection reset")
                return super().read(n)

            def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
                if self.tell() >= 8192:
                    raise StorageError("connection reset")
                return super().readinto(buffer)

        return Reader(data)

    def put(self, key: str, stream: BinaryIO, *, sha512: str | None = None) -> ObjectInfo:
        raise NotImplementedError

    def head(self, key: str) -> ObjectInfo:
        return self.inner.head(key)

    def list_page(self, prefix: str = "", *, start_after: str = "", limit: int = 1000) -> list[str]:
        return []

    def copy(self, source: str, dest: str) -> ObjectInfo:
        raise NotImplementedError

    def delete(self, key: str) -> None:
        raise NotImplementedError
