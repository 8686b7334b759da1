"""The copies of the preservation store: the OCFL root itself and, when configured, its replica."""

from __future__ import annotations

from dataclasses import dataclass

from repo.preservation import ObjectStore
from storage.base import Storage

PRESERVATION = "preservation"
REPLICA = "replica"


@dataclass(frozen=True)
class Copy:
    name: str  # PRESERVATION or REPLICA: how the catalog and the reports name it
    store: ObjectStore

    @property
    def storage(self) -> Storage:
        return self.store.storage

    def key(self, object_id: str, content_path: str) -> str:
        return f"{self.store.object_root(object_id)}/{content_path}"
