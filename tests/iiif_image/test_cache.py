"""Caches bounded by what they hold (bytes of encoded images, files of open pyramids) and keyed by
what a request means: every URL of the same image shares one entry, and no other image does."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from iiif.image import ANONYMOUS, AccessDenied, Credentials, ImageServerConfig, ResolvedImage
from iiif.image.cache import ResponseCache, SizedLRU
from iiif.image.pyramid import PyramidStore, StoredImage
from iiif.image.request import ResolvedRequest, parse_request, resolve
from iiif.image.routes import ImageEndpoint
from iiif.image.service import ImageService
from iiif.image.source import LocalCopies
from storage import FilesystemStorage
from tests.iiif_image.conftest import DictResolver


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


def _resolved(text: str, width: int = 10000, height: int = 10000) -> ResolvedRequest:
    return resolve(parse_request(text), width, height, ImageServerConfig().limits)


def test_response_cache_counts_bytes_not_entries() -> None:
    cache = ResponseCache(1_000_000)
    for n in range(5000):  # tiny bodies: what each entry costs beside them is counted too
        cache.put("id", _resolved(f"{n},0,1,1/1,1/0/default.jpg"), "v1", b"x")
    assert cache.size_bytes <= 1_000_000
    assert len(cache) < 2500
    assert cache.get("id", _resolved("4999,0,1,1/1,1/0/default.jpg"), "v1") == b"x"
    assert cache.get("id", _resolved("4999,0,1,1/1,1/0/default.jpg"), "v2") is None  # another version: a miss
    cache.put("id", _resolved("full/max/0/default.jpg"), "v1", b"x" * 200_000)  # more than an eighth: never cached
    assert cache.get("id", _resolved("full/max/0/default.jpg"), "v1") is None


# The same pixels of the 1000x800 image, spelled in every way the spec allows.
SAME_IMAGE = [
    "full/max/0/default.jpg",
    "0,0,1000,800/1000,800/0/default.jpg",
    "pct:0,0,100,100/max/0.0/default.jpg",
    "full/1000,/0/default.jpg",
    "full/,800/0/default.jpg",
    "full/pct:100/0/default.jpg",
    "full/!1000,800/000/default.jpg",
    "0,0,5000,5000/max/0/default.jpg",  # a region past the edges is cut to the image
]
# Each another image: one parameter differs.
OTHER_IMAGES = [
    "full/max/0/bitonal.jpg",
    "full/max/!0/default.jpg",
    "full/max/90/default.jpg",
    "full/max/0/gray.jpg",
    "full/999,/0/default.jpg",
    "0,0,999,800/max/0/default.jpg",
    "1,0,999,800/max/0/default.jpg",
    "full/max/0/default.png",
]


def test_equal_request_values_are_equal_whatever_the_spelling() -> None:
    assert parse_request("full/max/90/default.jpg") == parse_request("full/max/90.000/default.jpg")
    assert hash(parse_request("pct:5,5,50,50/max/0/default.jpg")) == hash(
        parse_request("pct:5.0,5,50.00,50/max/0/default.jpg")
    )
    assert parse_request("full/max/90/default.jpg") != parse_request("full/max/!90/default.jpg")
    first = _resolved(SAME_IMAGE[0], 1000, 800)
    for text in SAME_IMAGE:
        resolved = _resolved(text, 1000, 800)
        assert resolved == first and hash(resolved) == hash(first) and resolved.canonical == first.canonical, text
    # ^max and the size it means are one image, though the spec spells them apart.
    upscaled = _resolved("full/^max/0/default.jpg", 1000, 800)
    explicit = _resolved(f"full/^{upscaled.out_width},{upscaled.out_height}/0/default.jpg", 1000, 800)
    assert upscaled == explicit and upscaled.canonical != explicit.canonical
    others = {_resolved(text, 1000, 800) for text in OTHER_IMAGES}
    assert len(others) == len(OTHER_IMAGES) and first not in others


def test_urls_of_the_same_image_share_one_cached_entry_and_others_do_not(
    resolver: DictResolver, tmp_path: Path
) -> None:
    config = ImageServerConfig(source_cache_dir=str(tmp_path))
    endpoint = ImageEndpoint(ImageService(resolver, config), config)
    cache = endpoint.service.responses
    with TestClient(Starlette(routes=[Mount("/iiif/3", app=endpoint)])) as client:
        bodies = []
        for text in SAME_IMAGE:
            answer = client.get(f"/iiif/3/rgb-1000x800/{text}")
            assert answer.status_code == 200, (text, answer.text)
            assert answer.headers["link"].startswith("<http://testserver/iiif/3/rgb-1000x800/full/max/0/default.jpg>")
            bodies.append(answer.content)
            assert len(cache) == 1, text  # made once, then the same entry
        assert all(body == bodies[0] for body in bodies)
        for n, text in enumerate(OTHER_IMAGES, start=2):
            answer = client.get(f"/iiif/3/rgb-1000x800/{text}")
            assert answer.status_code == 200 and answer.content != bodies[0], text
            assert len(cache) == n, text
        # The same request of another image is another entry.
        assert client.get("/iiif/3/rights-1000x800/full/max/0/default.jpg").status_code == 200
        assert len(cache) == len(OTHER_IMAGES) + 2


class ReaderOnly:
    """Refuses everyone but the caller with the reader's Authorization header."""

    def __init__(self, image: ResolvedImage) -> None:
        self.image = image

    def resolve(self, identifier: str, credentials: Credentials = ANONYMOUS) -> ResolvedImage:
        if credentials.authorization != "Bearer reader":
            raise AccessDenied(401, "sign in")
        return replace(self.image, public=False)


def test_a_readers_cached_image_is_not_served_to_anyone_else(resolver: DictResolver, tmp_path: Path) -> None:
    config = ImageServerConfig(source_cache_dir=str(tmp_path))
    endpoint = ImageEndpoint(ImageService(ReaderOnly(resolver.images["rgb-1000x800"]), config), config)
    reader = {"Authorization": "Bearer reader"}
    with TestClient(Starlette(routes=[Mount("/iiif/3", app=endpoint)])) as client:
        for _ in range(2):  # the second from the cache
            answer = client.get(f"/iiif/3/p/{SAME_IMAGE[0]}", headers=reader)
            assert answer.status_code == 200 and answer.headers["cache-control"].startswith("private")
        assert len(endpoint.service.responses) == 1
        for text in SAME_IMAGE[:2]:  # the very URL, and another spelling of its entry
            assert client.get(f"/iiif/3/p/{text}").status_code == 401
            assert client.get(f"/iiif/3/p/{text}", headers={"Authorization": "Bearer other"}).status_code == 401


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
            with pyramid.level_image(level) as image:
                image.crop(0, 0, 1, 1).avg()
        assert pyramid.files == 1 + len(pyramid.info.levels)
        del pyramid
        assert store.files <= 20
    assert _open_files() - before <= 20  # dropped pyramids closed their files
    latest = store.get(StoredImage(storage, "p/11.tif", modified))
    assert latest is not None  # the most recent is kept
    assert store.get(StoredImage(storage, "p/0.tif", modified)) is None
