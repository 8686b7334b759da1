"""Caches bounded by what they hold: bytes of encoded images, files of open pyramids."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from iiif.image.cache import ResponseCache, SizedLRU
from iiif.image.pyramid import PyramidStore, StoredImage
from iiif.image.source import LocalCopies
from storage import FilesystemStorage


def test_sized_lru_is_bounded_by_size_and_drops_the_least_recently_used() -> None:
    cache: SizedLRU[str, bytes] = SizedLRU(100, len)
    for name in "abcd":
        cache.put(name, b"x" * 30)
    assert (len(cache), cache.size) == (3, 90)
    assert cache.get("a") is None  # the oldest went
    assert cache.get("b") is not None  # now the most recent
    cache.put("e", b"x" * 30)
    assert cache.get("c") is None and cache.get("b") is not None
    cache.put("big", b"x" * 500)  # alone past the bound: kept, everything else dropped
    assert (len(cache), cache.size) == (1, 500)
    cache.put("big", b"x" * 10)  # replaced: its old size no longer counts
    assert cache.size == 10
    cache.pop("big")
    assert (len(cache), cache.size) == (0, 0)


def test_sized_lru_resize_and_entry_bound() -> None:
    values = {"a": [1], "b": [1], "c": [1]}
    cache: SizedLRU[str, list[int]] = SizedLRU(10, len, max_entries=2)
    for key, value in values.items():
        cache.put(key, value)
    assert len(cache) == 2 and cache.get("a") is None
    values["b"].extend([1] * 9)  # grew to 10: with c (1) past the bound
    cache.resize("b")
    assert cache.get("c") is None and cache.size == 10


def test_response_cache_counts_bytes_not_entries() -> None:
    cache = ResponseCache(1_000_000)
    for n in range(5000):  # tiny bodies: what each entry costs beside them is counted too
        cache.put("id", f"{n},0,1,1/1,1/0/default.jpg", "v1", b"x")
    assert cache.size_bytes <= 1_000_000
    assert len(cache) < 2500
    assert cache.get("id", "4999,0,1,1/1,1/0/default.jpg", "v1") == b"x"
    assert cache.get("id", "4999,0,1,1/1,1/0/default.jpg", "v2") is None  # another version: a miss
    cache.put("id", "huge", "v1", b"x" * 200_000)  # more than an eighth: never cached
    assert cache.get("id", "huge", "v1") is None


def _open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_open_pyramids_are_bounded_by_open_files(pyramid_files: dict[str, Path], tmp_path: Path) -> None:
    storage = FilesystemStorage(tmp_path / "access", fsync=False)
    for n in range(12):
        with pyramid_files["rgb-1000x800"].open("rb") as stream:
            storage.put(f"p/{n}.tif", stream)
    store = PyramidStore(256, LocalCopies(str(tmp_path / "copies"), 10**9), max_files=20)
    before = _open_files()
    modified = datetime(2024, 1, 1, tzinfo=UTC)
    for n in range(12):
        pyramid = store.open(StoredImage(storage, f"p/{n}.tif", modified))
        for level in pyramid.info.levels:  # every level decoded: one more file each
            pyramid.level_image(level).crop(0, 0, 1, 1).avg()
        assert pyramid.files == 1 + len(pyramid.info.levels)
        del pyramid
        assert store.files <= 20
    assert _open_files() - before <= 20  # dropped pyramids closed their files
    latest = store.get(StoredImage(storage, "p/11.tif", modified))
    assert latest is not None  # the most recent is kept
    assert store.get(StoredImage(storage, "p/0.tif", modified)) is None
