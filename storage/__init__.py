"""Muniment's storage layer: one interface, a filesystem and an S3 backend."""

from storage.base import ObjectInfo, Storage, validate_key
from storage.errors import ChecksumMismatch, InvalidKey, NotFound, StorageError, StorageUnavailable
from storage.factory import open_storage
from storage.filesystem import FilesystemStorage

__all__ = [
    "ChecksumMismatch",
    "FilesystemStorage",
    "InvalidKey",
    "NotFound",
    "ObjectInfo",
    "Storage",
    "StorageError",
    "StorageUnavailable",
    "open_storage",
    "validate_key",
]
