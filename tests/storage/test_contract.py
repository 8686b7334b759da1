"""The storage contract: every backend passes the same tests (fixture ``storage``)."""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterator

import pytest

from storage import ChecksumMismatch, InvalidKey, NotFound, Storage, StorageError
from storage.base import PART_CHECKSUMS, digest_parts

MB = 1024 * 1024


class PatternStream(io.RawIOBase):
    """A large stream generated on the fly, so tests use flat memory too."""

    def __init__(self, size: int, seed: int = 7) -> None:
        self.size = size
        self.pos = 0
        block = hashlib.sha512(str(seed).encode()).digest()
        self.block = (block * (MB // len(block) + 1))[:MB]

    def readable(self) -> bool:
        return True

    def read(self, n: int | None = -1) -> bytes:
        remaining = self.size - self.pos
        n = remaining if n is None or n < 0 else min(n, remaining)
        offset = self.pos % MB
        out = bytearray()
        while len(out) < n:
            take = min(n - len(out), MB - offset)
            out += self.block[offset : offset + take]
            offset = 0
        self.pos += n
        return bytes(out)

    def expected(self, start: int, end: int) -> bytes:
        copy = PatternStream(self.size)
        copy.pos = start
        return copy.read(end - start)


def sha512_of(stream: io.RawIOBase) -> str:
    digest = hashlib.sha512()
    while chunk := stream.read(MB):
        digest.update(chunk)
    return digest.hexdigest()


def test_put_returns_size_and_sha512_and_get_returns_the_bytes(storage: Storage) -> None:
    data = b"page one\n" * 1000
    info = storage.put("items/a/p1.txt", io.BytesIO(data))
    assert info.size == len(data)
    assert info.sha512 == hashlib.sha512(data).hexdigest()
    assert storage.get_bytes("items/a/p1.txt") == data
    head = storage.head("items/a/p1.txt")
    assert (head.size, head.sha512) == (len(data), info.sha512)
    assert head.modified.tzinfo is not None
    assert storage.exists("items/a/p1.txt")


def test_byte_ranges(storage: Storage) -> None:
    data = bytes(range(256)) * 40
    storage.put_bytes("r/x.bin", data)
    assert storage.get_bytes("r/x.bin", 10, 20) == data[10:20]
    assert storage.get_bytes("r/x.bin", 10240 - 5) == data[-5:]
    assert storage.get_bytes("r/x.bin", 0, 1) == data[:1]
    assert storage.get_bytes("r/x.bin", 100, 100) == b""


def test_missing_object_is_one_not_found_error(storage: Storage) -> None:
    for call in (lambda: storage.head("no/such"), lambda: storage.get_bytes("no/such")):
        with pytest.raises(NotFound) as caught:
            call()
        assert isinstance(caught.value, FileNotFoundError)
        assert "no/such" in str(caught.value)
    assert not storage.exists("no/such")
    storage.delete("no/such")  # deleting an absent key is fine


@pytest.mark.parametrize(
    "key", ["", "/etc/passwd", "a//b", "a/../b", "../x", "./a", "a/.", "a\\b", "a\x00b", "a\nb", "a\x7fb"]
)
def test_bad_keys_are_rejected_before_anything_happens(storage: Storage, key: str) -> None:
    with pytest.raises(InvalidKey):
        storage.put_bytes(key, b"x")
    with pytest.raises(InvalidKey):
        storage.head(key)


def test_checksum_mismatch_stores_nothing(storage: Storage) -> None:
    wrong = hashlib.sha512(b"something else").hexdigest()
    with pytest.raises(ChecksumMismatch):
        storage.put_bytes("m/bad.bin", b"the real bytes", sha512=wrong)
    assert not storage.exists("m/bad.bin")
    assert list(storage.list("m/")) == []
    good = hashlib.sha512(b"the real bytes").hexdigest()
    assert storage.put_bytes("m/good.bin", b"the real bytes", sha512=good).sha512 == good


def test_checksum_mismatch_on_a_multipart_sized_object_stores_nothing(storage: Storage) -> None:
    wrong = hashlib.sha512(b"x").hexdigest()
    with pytest.raises(ChecksumMismatch):
        storage.put("m/big.bin", PatternStream(40 * MB), sha512=wrong)
    assert not storage.exists("m/big.bin")


def test_overwrite_replaces_whole_object(storage: Storage) -> None:
    storage.put_bytes("o/k", b"first version, longer")
    storage.put_bytes("o/k", b"second")
    assert storage.get_bytes("o/k") == b"second"


def test_list_is_sorted_paginated_and_prefix_bounded(storage: Storage) -> None:
    for key in ["b/2", "b/10", "b/1", "a/1", "bb/1", "b/sub/x"]:
        storage.put_bytes(key, b"x")
    assert list(storage.list("b/")) == ["b/1", "b/10", "b/2", "b/sub/x"]
    assert list(storage.list("b")) == ["b/1", "b/10", "b/2", "b/sub/x", "bb/1"]
    assert storage.list_page("b/", start_after="b/10", limit=2) == ["b/2", "b/sub/x"]
    assert list(storage.list("")) == ["a/1", "b/1", "b/10", "b/2", "b/sub/x", "bb/1"]
    assert list(storage.list("zzz/")) == []


def test_copy_and_delete(storage: Storage) -> None:
    storage.put_bytes("c/src", b"content")
    info = storage.copy("c/src", "c/dst")
    assert info.size == 7
    assert storage.get_bytes("c/dst") == b"content"
    assert storage.head("c/dst").sha512 == hashlib.sha512(b"content").hexdigest()
    storage.delete("c/src")
    assert not storage.exists("c/src")
    assert storage.exists("c/dst")


def test_listing_pages_correctly(storage: Storage) -> None:
    """Pages of 100 over 250 keys take the same paths as pages of S3's 1000 over 2500 keys
    (full pages, a page after the last key of another, a short last page) with a tenth of the writes."""
    keys = [f"many/{i:05d}" for i in range(250)]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda k: storage.put_bytes(k, b"."), keys))
    storage.put_bytes("many0/after", b".")  # a key past the prefix's, sorted next to it: not listed
    assert list(storage.list("many/", page_size=100)) == keys
    assert list(storage.list("many/", page_size=125)) == keys  # the last page full: one more, empty, ends it
    first = storage.list_page("many/", limit=100)
    second = storage.list_page("many/", start_after=first[-1], limit=100)
    third = storage.list_page("many/", start_after=second[-1], limit=100)
    assert (len(first), len(second), len(third)) == (100, 100, 50)
    assert first + second + third == keys
    assert storage.list_page("many/", start_after=keys[-1], limit=100) == []


@pytest.mark.slow
def test_200mb_streamed_put_and_ranged_gets(storage: Storage) -> None:
    size = 200 * MB + 12345
    source = PatternStream(size)
    info = storage.put("big/scan.tif", source)
    assert info.size == size
    assert info.sha512 == sha512_of(PatternStream(size))
    assert storage.head("big/scan.tif").size == size
    for start, end in [(0, 100), (size - 100, size), (100 * MB - 7, 100 * MB + 7)]:
        assert storage.get_bytes("big/scan.tif", start, end) == source.expected(start, end)
    with storage.open("big/scan.tif") as stream:
        assert sha512_of(stream) == info.sha512  # type: ignore[arg-type]


def chunks_of(storage: Storage, key: str) -> Iterator[bytes]:
    return storage.iter_chunks(key, chunk_size=MB)


def test_iter_chunks_streams_whole_object(storage: Storage) -> None:
    data = os.urandom(3 * MB + 17)
    storage.put_bytes("s/x", data)
    assert b"".join(chunks_of(storage, "s/x")) == data


def test_pending_put_is_invisible_until_commit(storage: Storage) -> None:
    data = PatternStream(20 * MB).read()
    digest = hashlib.sha512(data).hexdigest()
    pending = storage.put_pending("p/final.tif", io.BytesIO(data), sha512=digest, staging_key="stage/final.tif")
    assert pending.info.size == len(data) and pending.info.sha512 == digest
    assert not storage.exists("p/final.tif")
    assert list(storage.list("p/")) == []
    info = pending.commit()
    assert info.size == len(data) and info.sha512 == digest
    assert storage.get_bytes("p/final.tif") == data
    assert storage.head("p/final.tif").sha512 == digest
    assert list(storage.list("stage/")) == []  # nothing left behind by the commit


@pytest.mark.parametrize("size", [0, 10, 9 * MB])
def test_aborted_pending_put_stores_nothing(storage: Storage, size: int) -> None:
    data = os.urandom(size)
    pending = storage.put_pending(
        "a/final.bin", io.BytesIO(data), sha512=hashlib.sha512(data).hexdigest(), staging_key="stage/a.bin"
    )
    pending.abort()
    pending.abort()  # twice is harmless
    assert not storage.exists("a/final.bin")
    assert list(storage.list("")) == []


def test_pending_put_with_a_wrong_digest_stores_nothing(storage: Storage) -> None:
    wrong = hashlib.sha512(b"x").hexdigest()
    with pytest.raises(ChecksumMismatch):
        storage.put_pending("w/big.bin", PatternStream(20 * MB), sha512=wrong, staging_key="stage/w.bin")
    assert list(storage.list("")) == []
    assert storage.abort_pending("w/") == []  # the failed upload was already dropped


def test_pending_put_with_part_digests_of_other_bytes_is_refused(storage: Storage) -> None:
    """The digests computed in one read stand in for hashing again, and still catch a changed file."""
    data = PatternStream(20 * MB).read()
    parts = storage.digest_for_put(io.BytesIO(data))
    assert parts.sha512 == hashlib.sha512(data).hexdigest() and parts.size == len(data)
    good = storage.put_pending(
        "d/good.bin", io.BytesIO(data), sha512=parts.sha512, staging_key="stage/good", parts=parts
    )
    assert good.commit().sha512 == parts.sha512
    assert storage.get_bytes("d/good.bin") == data
    changed = data[: 9 * MB] + b"!" + data[9 * MB + 1 :]
    for other in (changed, data[:-1], data + b"!"):
        with pytest.raises((ChecksumMismatch, StorageError)):
            storage.put_pending(
                "d/bad.bin", io.BytesIO(other), sha512=parts.sha512, staging_key="stage/bad", parts=parts
            ).commit()
        assert not storage.exists("d/bad.bin")
    assert list(storage.list("")) == ["d/good.bin"]


@pytest.mark.parametrize("algorithm", ["", *PART_CHECKSUMS])
def test_digest_parts_reads_once_whatever_the_stream_returns(algorithm: str) -> None:
    data = PatternStream(17 * MB).read()

    class Trickle(io.RawIOBase):  # short reads, as sockets and pipes give
        def __init__(self) -> None:
            self.inner = io.BytesIO(data)

        def read(self, n: int | None = -1) -> bytes:
            return self.inner.read(min(n if n and n > 0 else MB, 3 * MB + 7))

    parts = digest_parts(Trickle(), 8 * MB, algorithm)  # type: ignore[arg-type]
    assert parts.sha512 == hashlib.sha512(data).hexdigest() and parts.size == len(data)
    assert len(parts.part_checksums) == (3 if algorithm else 0)


def test_create_never_replaces_an_existing_object(storage: Storage) -> None:
    from storage.errors import AlreadyExists

    storage.create("v/v2/inventory.json", b"first")
    with pytest.raises(AlreadyExists) as caught:
        storage.create("v/v2/inventory.json", b"second")
    assert "v/v2/inventory.json" in str(caught.value)
    assert storage.get_bytes("v/v2/inventory.json") == b"first"


def test_a_pending_put_never_replaces_an_existing_object(storage: Storage) -> None:
    from storage.errors import AlreadyExists

    storage.put_bytes("n/v3/content/a.txt", b"written by the first writer")
    for data in (b"a second writer's bytes", b""):  # an empty file takes another path on S3
        pending = storage.put_pending(
            "n/v3/content/a.txt", io.BytesIO(data), sha512=None, staging_key=f"stage/a-{len(data)}.txt"
        )
        with pytest.raises(AlreadyExists):
            pending.commit()
        pending.abort()
    assert storage.get_bytes("n/v3/content/a.txt") == b"written by the first writer"
    assert not [k for k in storage.list("stage/")]
