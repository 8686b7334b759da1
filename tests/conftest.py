"""Shared fixtures: real storage backends (a folder, and a real SeaweedFS S3 server)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage import FilesystemStorage, Storage
from storage.s3 import S3Location, S3Storage
from tests.servers.postgres import PostgresServer
from tests.servers.seaweedfs import ACCESS_KEY, SECRET_KEY, SeaweedFS


@pytest.fixture(scope="session", autouse=True)
def bytecode_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Python processes the tests start (the command line, workers, servers) compile each module
    once a session: where PYTHONDONTWRITEBYTECODE keeps the checkout free of __pycache__, every
    one of them compiled some 200 modules from source (half a second) before doing anything."""
    if not os.environ.get("PYTHONDONTWRITEBYTECODE"):
        yield
        return
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PYTHONPYCACHEPREFIX", str(tmp_path_factory.mktemp("pycache")))
        env.delenv("PYTHONDONTWRITEBYTECODE")
        yield


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedFS]:
    server = SeaweedFS(tmp_path_factory.mktemp("seaweedfs")).start()
    yield server
    server.kill()  # its data ends with the session; a graceful stop waits out its 10 s timeout


def s3_location(server: SeaweedFS, bucket: str, prefix: str = "") -> S3Location:
    return S3Location(
        bucket=bucket,
        endpoint_url=server.endpoint,
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        prefix=prefix,
    )


def new_bucket(server: SeaweedFS) -> str:
    return server.create_bucket(f"t-{uuid.uuid4().hex[:16]}")


@pytest.fixture
def fs_storage(tmp_path: Path) -> FilesystemStorage:
    return FilesystemStorage(tmp_path / "store")


@pytest.fixture(scope="session")
def shared_bucket(seaweedfs: SeaweedFS) -> str:
    """One bucket for the session: every bucket is a SeaweedFS collection with volumes of its own."""
    return new_bucket(seaweedfs)


@pytest.fixture
def s3_storage(seaweedfs: SeaweedFS, shared_bucket: str) -> S3Storage:
    return S3Storage(s3_location(seaweedfs, shared_bucket, prefix=f"t-{uuid.uuid4().hex[:12]}"))


@pytest.fixture(params=["filesystem", "s3"])
def storage(request: pytest.FixtureRequest) -> Storage:
    """Every storage backend in turn: tests using it form the contract suite."""
    name = "fs_storage" if request.param == "filesystem" else "s3_storage"
    backend: Storage = request.getfixturevalue(name)
    return backend


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every catalog database in turn: tests using it run on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'catalog.sqlite3'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.create_database(f"t_{uuid.uuid4().hex[:12]}")
