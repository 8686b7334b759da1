"""Fixtures of the image server tests: small pyramids made at session start, a filesystem storage
holding them, a resolver over a dict, and an app with the routes mounted at /iiif/3."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import pytest
import pyvips
from starlette.applications import Starlette
from starlette.testclient import TestClient

from iiif.image import ANONYMOUS, AccessDenied, Credentials, ImageServerConfig, ResolvedImage, image_mount
from storage import FilesystemStorage, ObjectInfo, Storage

FIXTURES = Path(__file__).parent / "fixtures"
VALIDATOR_ID = "67352ccc-d1b0-11e1-89ae-279075081939"
MODIFIED = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
PYRAMID_OPTIONS: dict[str, Any] = {
    "tile": True,
    "pyramid": True,
    "compression": "jpeg",
    "Q": 90,
    "tile_width": 256,
    "tile_height": 256,
}


def textured(width: int, height: int) -> pyvips.Image:
    """Gradients in red and green, 50-pixel blocks of distinct levels in blue, and mild noise:
    smooth enough to compare after resampling, structured enough to show misplaced pixels."""
    xy = pyvips.Image.xyz(width, height)
    x, y = xy[0], xy[1]
    red = x * (255 / width)
    green = y * (255 / height)
    blue = ((x / 50).floor() * 37 + (y / 50).floor() * 91).remainder(256)
    noise = pyvips.Image.gaussnoise(width, height, sigma=6, mean=0, seed=7)
    image = (red.bandjoin([green, blue]) + noise).cast("uchar")
    return image.copy(interpretation="srgb")


def save_pyramid(image: pyvips.Image, path: Path, **overrides: Any) -> Path:
    image.tiffsave(str(path), **{**PYRAMID_OPTIONS, **overrides})
    return path


@pytest.fixture(scope="session")
def pyramid_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Pyramids named for their properties, made as ingest makes them (pyvips tiffsave)."""
    folder = tmp_path_factory.mktemp("pyramids")
    validator_png = pyvips.Image.new_from_file(str(FIXTURES / f"{VALIDATOR_ID}.png"))
    return {
        "rgb-1000x800": save_pyramid(textured(1000, 800), folder / "rgb-1000x800-pyramid.tif"),
        # Q 75: YCbCr with chroma subsampling; odd sizes: floor-sized levels and ragged edge tiles
        "rgb-1001x777": save_pyramid(textured(1001, 777), folder / "rgb-1001x777-q75-pyramid.tif", Q=75),
        "gray-600x400": save_pyramid(textured(600, 400).colourspace("b-w"), folder / "gray-600x400-pyramid.tif"),
        "rgb-700x500-subifd": save_pyramid(
            textured(700, 500), folder / "rgb-700x500-subifd-bigtiff.tif", subifd=True, bigtiff=True
        ),
        "rgb-300x200-strips": save_pyramid(
            textured(300, 200), folder / "rgb-300x200-strips.tif", tile=False, pyramid=False
        ),
        VALIDATOR_ID: save_pyramid(validator_png, folder / f"{VALIDATOR_ID}.tif"),
    }


@pytest.fixture(scope="session")
def access_storage(tmp_path_factory: pytest.TempPathFactory, pyramid_files: dict[str, Path]) -> FilesystemStorage:
    storage = FilesystemStorage(tmp_path_factory.mktemp("access"), fsync=False)
    for name, path in pyramid_files.items():
        with path.open("rb") as stream:
            storage.put(f"pyramids/{name}.tif", stream)
    return storage


class DictResolver:
    """Identifiers to stored pyramids, counting calls; ``denied`` maps identifiers to statuses."""

    def __init__(self, images: dict[str, ResolvedImage], denied: dict[str, int] | None = None) -> None:
        self.images = images
        self.denied = denied or {}
        self.calls: list[str] = []

    def resolve(self, identifier: str, credentials: Credentials = ANONYMOUS) -> ResolvedImage:
        self.calls.append(identifier)
        if identifier in self.denied:
            raise AccessDenied(self.denied[identifier])
        return self.images[identifier]


class RemoteOnly(Storage):
    """A storage without local paths (as S3): reads go through ``open`` byte ranges, counted."""

    def __init__(self, inner: Storage) -> None:
        self.inner = inner
        self.location = "remote+" + inner.location
        self.opens: list[tuple[str, int, int | None]] = []

    def open(self, key: str, start: int = 0, end: int | None = None, *, read_ahead: bool = True) -> BinaryIO:
        self.opens.append((key, start, end))
        return self.inner.open(key, start, end, read_ahead=read_ahead)

    def head(self, key: str) -> ObjectInfo:
        return self.inner.head(key)

    def put(self, key: str, stream: BinaryIO, *, sha512: str | None = None) -> ObjectInfo:
        return self.inner.put(key, stream, sha512=sha512)

    def list_page(self, prefix: str = "", *, start_after: str = "", limit: int = 1000) -> list[str]:
        return self.inner.list_page(prefix, start_after=start_after, limit=limit)

    def copy(self, source: str, dest: str) -> ObjectInfo:
        return self.inner.copy(source, dest)

    def delete(self, key: str) -> None:
        self.inner.delete(key)


@pytest.fixture
def resolver(access_storage: FilesystemStorage, pyramid_files: dict[str, Path]) -> DictResolver:
    images = {name: ResolvedImage(access_storage, f"pyramids/{name}.tif", MODIFIED) for name in pyramid_files}
    images["rights-1000x800"] = ResolvedImage(
        access_storage,
        "pyramids/rgb-1000x800.tif",
        MODIFIED,
        rights="http://rightsstatements.org/vocab/InC/1.0/",
    )
    images["remote-1001x777"] = ResolvedImage(RemoteOnly(access_storage), "pyramids/rgb-1001x777.tif", MODIFIED)
    images["missing-file"] = ResolvedImage(access_storage, "pyramids/nothing-here.tif", MODIFIED)
    return DictResolver(images, denied={"login-first": 401, "withdrawn": 410})


def make_app(resolver: DictResolver, config: ImageServerConfig) -> Starlette:
    return Starlette(routes=[image_mount("/iiif/3", resolver, config)])


@pytest.fixture
def make_client(resolver: DictResolver, tmp_path: Path) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def make(**settings: Any) -> TestClient:
        settings.setdefault("source_cache_dir", str(tmp_path / "copies"))
        client = TestClient(make_app(resolver, ImageServerConfig(**settings)))
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


def decode(body: bytes) -> pyvips.Image:
    return pyvips.Image.new_from_buffer(body, "")


def mean_difference(a: pyvips.Image, b: pyvips.Image) -> float:
    return float((a.cast("float") - b.cast("float")).abs().avg())
