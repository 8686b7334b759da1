"""A repository with an app, tokens of every role, and ingested items, for API and access tests."""

from __future__ import annotations

import time
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from app.api.jobs import Jobs
from app.web import create_app
from app.worker import Worker
from ingest.context import ItemSource
from ingest.runner import Ingester
from repo.auth import Role, TokenStore
from repo.preservation.bag import BagInfo, build_bag
from repo.services import Services
from repo.settings import Settings
from tests.ingest.conftest import MODS, make_item, write_page


@dataclass
class Repository:
    services: Services
    app: Starlette
    client: TestClient
    tokens: dict[Role, str]

    def auth(self, role: Role | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}

    @property
    def jobs(self) -> Jobs:
        mount = next(r for r in self.app.routes if isinstance(r, Mount) and r.path == "/api/v1")
        jobs: Jobs = mount.jobs  # type: ignore[attr-defined]
        return jobs

    def wait_for_job(self, job_id: str, timeout: float = 60) -> dict[str, object]:
        deadline = time.monotonic() + timeout
        while True:
            job: dict[str, object] = self.client.get(
                f"/api/v1/ingests/{job_id}", headers=self.auth(Role.CURATOR)
            ).json()
            if job["state"] in ("succeeded", "failed") or time.monotonic() > deadline:
                return job
            time.sleep(0.05)


def open_repository(settings: Settings) -> Iterator[Repository]:
    services = Services.open(settings)
    app = create_app(settings, services)
    store = TokenStore(services.catalog.db)
    tokens = {role: store.create(f"{role.value}-token", role)[0] for role in Role}
    # The task worker beside the app runs the API's ingests (a real Huey consumer, in threads).
    stop_worker = Worker(services).start_in_background()
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            yield Repository(services, app, client, tokens)
    finally:
        stop_worker()
        services.close()


def ingest_item(services: Services, root: Path, identifier: str, *, pages: int = 1, collection: str = "letters") -> str:
    names = [f"p{n}.tif" for n in range(1, pages + 1)]
    # Pixels of its own (the seed): an item's identity is its content.
    folder = make_item(
        root / identifier, names, title=f"Letter {identifier}", seed=zlib.crc32(identifier.encode()) % 10_000
    )
    ingester = Ingester(services, workers=2)
    try:
        result = ingester.ingest(ItemSource(folder, collection, folder / "mods.xml", identifier))
    finally:
        ingester.close()
    assert result.status == "ingested", result.problems
    assert result.item_id is not None
    return result.item_id


def make_bag(
    dest: Path,
    identifier: str,
    *,
    collection: str | None = "letters",
    title: str = "A bag",
    page: bytes | None = None,
    page_name: str = "p1.tif",
    mods: bytes | None = None,
) -> Path:
    """A complete, valid bag folder of one page (a tiny TIFF, or ``page``) with a MODS record (or ``mods``)."""
    scans = dest.parent / f"{dest.name}-scans"
    scans.mkdir(parents=True, exist_ok=True)
    if page is None:
        source = write_page(scans / page_name, 64, 48)
    else:
        source = scans / page_name
        source.write_bytes(page)
    info = BagInfo("Test Library", date(2024, 1, 1), external_identifier=identifier, bag_group_identifier=collection)
    record = mods if mods is not None else MODS.format(title=title).encode()
    build_bag(dest, payload={page_name: source}, tags={"metadata/mods.xml": record}, info=info)
    return dest


def zip_folder(folder: Path, archive: Path, top: str = "bag") -> Path:
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, f"{top}/{path.relative_to(folder)}")
    return archive
