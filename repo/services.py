"""The services one process needs, built from Settings and passed explicitly (never global)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property

from repo.catalog import Catalog
from repo.catalog.db import DatabaseOptions
from repo.catalog.object_locks import object_locks
from repo.preservation import ObjectLocks, ObjectStore
from repo.settings import Settings
from storage import Storage, open_storage

log = logging.getLogger("muniment")


@dataclass
class Services:
    settings: Settings
    preservation: Storage
    access: Storage
    replica: Storage | None
    catalog: Catalog

    @classmethod
    def open(cls, settings: Settings) -> Services:
        def storage(location: str) -> Storage:
            return open_storage(
                location,
                s3_endpoint=settings.s3_endpoint or None,
                s3_region=settings.s3_region,
                s3_access_key=settings.s3_access_key or None,
                s3_secret_key=settings.s3_secret_key or None,
                s3_attempts=settings.s3_attempts,
                s3_connect_timeout=settings.s3_connect_timeout,
            )

        return cls(
            settings=settings,
            preservation=storage(settings.preservation_location),
            access=storage(settings.access_location),
            replica=storage(settings.replica_storage) if settings.replica_storage else None,
            catalog=Catalog.open(
                settings.catalog_url,
                DatabaseOptions(settings.database_pool_size, settings.database_pool_timeout, settings.sqlite_mmap_mb),
            ),
        )

    @cached_property
    def object_locks(self) -> ObjectLocks:
        """One writer per object across processes (and machines, with a PostgreSQL catalog)."""
        return object_locks(self.catalog.db, self.settings.lock_wait_seconds)

    def object_store(self, storage: Storage | None = None) -> ObjectStore:
        """The OCFL objects of ``storage`` (preservation by default), written under the object locks."""
        return ObjectStore(storage or self.preservation, locks=self.object_locks)

    def check(self) -> None:
        """Raise one clear error naming the setting when storage or the catalog cannot be used;
        missing buckets are created first when ``MUNIMENT_CREATE_BUCKETS`` says so."""
        from storage.errors import StorageUnavailable

        for name, backend in (
            ("MUNIMENT_PRESERVATION_STORAGE", self.preservation),
            ("MUNIMENT_ACCESS_STORAGE", self.access),
            ("MUNIMENT_REPLICA_STORAGE", self.replica),
        ):
            if backend is None:
                continue
            try:
                if self.settings.create_buckets and backend.create_container():
                    log.info("%s: created %s", name, backend.location)
                backend.check()
            except StorageUnavailable as exc:
                raise StorageUnavailable(f"{name}: {exc}") from None
        self.catalog.count_items()

    def close(self) -> None:
        self.catalog.close()
