"""A repository with a replica on each storage backend, and items ingested through the real pipeline."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.context import ItemSource
from ingest.runner import Ingester
from repo.catalog import Catalog
from repo.identifiers import object_id
from repo.services import Services
from repo.settings import Settings
from storage import FilesystemStorage, Storage
from storage.s3 import S3Storage
from tests.conftest import s3_location
from tests.ingest.conftest import make_item
from tests.servers.seaweedfs import SeaweedFS


def make_services(tmp_path: Path, preservation: Storage, replica: Storage | None, **settings: object) -> Services:
    config = Settings(data_dir=tmp_path / "data", ingest_workers=2, **settings)  # type: ignore[arg-type]
    return Services(
        config, preservation, FilesystemStorage(tmp_path / "access"), replica, Catalog.open(config.catalog_url)
    )


@pytest.fixture(params=["filesystem", "s3"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def copies(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> tuple[Storage, Storage]:
    """(preservation, replica): two folders, or two prefixes of a real SeaweedFS bucket."""
    if backend == "filesystem":
        return FilesystemStorage(tmp_path / "preservation"), FilesystemStorage(tmp_path / "replica")
    server: SeaweedFS = request.getfixturevalue("seaweedfs")
    bucket: str = request.getfixturevalue("shared_bucket")
    run = uuid.uuid4().hex[:12]
    return (
        S3Storage(s3_location(server, bucket, prefix=f"p-{run}")),
        S3Storage(s3_location(server, bucket, prefix=f"r-{run}")),
    )


@pytest.fixture
def services(tmp_path: Path, copies: tuple[Storage, Storage]) -> Iterator[Services]:
    services = make_services(tmp_path, *copies)
    yield services
    services.close()


@pytest.fixture
def fs_services(tmp_path: Path) -> Iterator[Services]:
    """Filesystem only, with a replica: for tests about logic rather than backends."""
    services = make_services(
        tmp_path, FilesystemStorage(tmp_path / "preservation"), FilesystemStorage(tmp_path / "replica")
    )
    yield services
    services.close()


def ingest(services: Services, folder: Path, collection: str = "letters", identifier: str | None = None) -> str:
    ingester = Ingester(services)
    try:
        result = ingester.ingest(ItemSource(folder, collection, identifier=identifier))
    finally:
        ingester.close()
    assert result.status == "ingested", result.problems
    assert result.item_id
    return result.item_id


def ingest_pages(
    services: Services, tmp_path: Path, pages: int = 3, name: str = "item", seed: int = 0, identifier: str | None = None
) -> str:
    folder = make_item(tmp_path / "scans" / name, [f"p{n}.tif" for n in range(1, pages + 1)], seed=seed)
    return ingest(services, folder, identifier=identifier)


def content_key(storage: Storage, item_id: str, logical_path: str) -> str:
    """The storage key of a logical path's content in the head version."""
    from repo.preservation import ObjectStore

    store = ObjectStore(storage)
    content, _ = store.version_state(object_id(item_id))[logical_path]
    return f"{store.object_root(object_id(item_id))}/{content}"


def damage(storage: Storage, key: str, how: str) -> None:
    """Bit rot (one byte flipped in the middle), a lost file, or a truncated one."""
    if how == "delete":
        storage.delete(key)
        return
    data = bytearray(storage.get_bytes(key))
    if how == "flip":
        data[len(data) // 2] ^= 0x01
    elif how == "truncate":
        data = data[: len(data) // 3]
    local = storage.local_path(key)
    if local is not None:  # in place, as rot happens: no rename, no new checksum attribute
        with open(local, "r+b") as out:
            out.write(data)
            out.truncate(len(data))
    else:
        storage.put_bytes(key, bytes(data))
