"""A repository with small limits, canaries outside its roots, and a check that nothing was stored."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes

import httpx
import pytest

from repo.auth import Role
from repo.errors import Problem
from repo.settings import Settings
from tests.api.helpers import Repository, open_repository
from tests.hostile.canary import FolderCanary, HttpCanary

UPLOAD_LIMIT = 8 * 1024 * 1024
ARCHIVE_LIMIT = 3 * 1024 * 1024


@dataclass
class Hostile:
    repo: Repository
    outside: FolderCanary
    http: HttpCanary
    data_dir: Path
    baseline: tuple[list[str], list[str], int] | None = None

    def mark(self) -> None:
        """What the repository holds now is what it must still hold at the end of the test."""
        self.baseline = self.stored()

    def stored(self) -> tuple[list[str], list[str], int]:
        """Everything an ingest or an edit would leave: storage keys, and catalog items with versions."""
        s = self.repo.services
        items = s.catalog.db.query_one("SELECT COUNT(*) + COALESCE(SUM(version), 0) AS n FROM items")
        return sorted(s.preservation.list("")), sorted(s.access.list("")), int(items["n"]) if items else 0

    def upload(self, archive: Path | bytes, content_type: str = "application/zip") -> dict[str, Any]:
        """Upload a bag archive and wait for its job to end."""
        data = archive if isinstance(archive, bytes) else archive.read_bytes()
        answer = self.repo.client.post(
            "/api/v1/ingests/upload",
            content=data,
            headers={**self.repo.auth(Role.CURATOR), "Content-Type": content_type},
        )
        assert answer.status_code == 202, answer.text
        job = self.repo.wait_for_job(answer.json()["id"])
        assert job["state"] == "failed" and job["result"] == "failed", job
        return job

    def staging_is_empty(self) -> bool:
        staging = self.repo.services.settings.staging_path
        return all(not any(d.iterdir()) for d in staging.rglob("*") if d.is_dir() and d.name in ("api", "ingest"))

    def problems(self, job: dict[str, Any]) -> str:
        return "\n".join(str(Problem(p["file"], p["reason"], p.get("line"))) for p in job["problems"])


@pytest.fixture
def hostile(tmp_path: Path) -> Iterator[Hostile]:
    dropbox = tmp_path / "dropbox"
    dropbox.mkdir()
    settings = Settings(
        data_dir=tmp_path / "data",
        ingest_workers=2,
        ingest_allowed_roots=(str(dropbox),),
        upload_max_bytes=UPLOAD_LIMIT,
        archive_max_bytes=ARCHIVE_LIMIT,
        base_url="http://testserver",
        fetch_allowed_hosts=("allowed.example",),
        ocr=False,  # a page's text would be a new version, stored after the test's last look at storage
    )
    outside = FolderCanary(tmp_path / "outside")
    http = HttpCanary()
    try:
        for repo in open_repository(settings):
            h = Hostile(repo, outside, http, settings.data_dir)
            h.mark()
            yield h
            repo.jobs.wait_idle()
            assert h.stored() == h.baseline, "nothing is stored"
            assert h.staging_is_empty(), "nothing is left in staging"
        outside.assert_untouched()
        assert http.connections == 0, "nothing was fetched"
    finally:
        outside.close()
        http.close()


def raw_get(app: Any, raw_path: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    """A GET with the path exactly as given, straight to the ASGI app (as uvicorn would pass it:
    decoded into ``path``, verbatim in ``raw_path``; clients would normalize '..' or quote it)."""
    import anyio

    path_bytes, _, query = raw_path.partition(b"?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": unquote_to_bytes(path_bytes).decode("utf-8", "surrogateescape"),
        "raw_path": path_bytes,
        "query_string": query,
        "root_path": "",
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
        "headers": [(b"host", b"testserver"), *((k.lower().encode(), v.encode()) for k, v in (headers or {}).items())],
    }
    sent: list[dict[str, Any]] = []
    asked = False

    async def run() -> None:
        done = anyio.Event()

        async def receive() -> dict[str, Any]:
            nonlocal asked
            if not asked:
                asked = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await done.wait()  # a streaming response listens for the client to go: only once it has all
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                done.set()

        await app(scope, receive, send)

    anyio.run(run)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return httpx.Response(
        start["status"], headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in start["headers"]], content=body
    )
