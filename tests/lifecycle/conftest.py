"""Lifecycle fixtures: a repository (with a replica) and edited records."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import pytest

from repo.audit import Preservation
from repo.preservation import User
from repo.services import Services
from storage import ObjectInfo, Storage
from tests.audit.conftest import fs_services  # noqa: F401  (a fixture)
from tests.ingest.conftest import MODS

USER = User("ada", "mailto:ada@example.org")


@pytest.fixture
def preservation(fs_services: Services) -> Iterator[Preservation]:  # noqa: F811
    p = Preservation(fs_services)
    yield p
    p.close()


def mods_file(folder: Path, title: str, extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{title[:20].replace(' ', '-')}.xml"
    path.write_text(MODS.format(title=title).replace("</mods>", f"{extra}</mods>"))
    return path


class RecordingStorage(Storage):
    """Delegates to a real backend and remembers every key written (put or copy target)."""

    def __init__(self, inner: Storage) -> None:
        self.inner = inner
        self.location = inner.location
        self.written: list[str] = []
        self.on_put: Callable[[str], None] = lambda key: None

    def put(self, key: str, stream: BinaryIO, *, sha512: str | None = None) -> ObjectInfo:
        self.on_put(key)
        self.written.append(key)
        return self.inner.put(key, stream, sha512=sha512)

    def open(self, key: str, start: int = 0, end: int | None = None, *, read_ahead: bool = True) -> BinaryIO:
        return self.inner.open(key, start, end, read_ahead=read_ahead)

    def head(self, key: str) -> ObjectInfo:
        return self.inner.head(key)

    def list_page(self, prefix: str = "", *, start_after: str = "", limit: int = 1000) -> list[str]:
        return self.inner.list_page(prefix, start_after=start_after, limit=limit)

    def copy(self, source: str, dest: str) -> ObjectInfo:
        self.on_put(dest)
        self.written.append(dest)
        return self.inner.copy(source, dest)

    def delete(self, key: str) -> None:
        self.inner.delete(key)

    def local_path(self, key: str) -> str | None:
        return self.inner.local_path(key)
