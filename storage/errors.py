"""The storage layer's exceptions: no backend's own exception reaches a caller."""

from __future__ import annotations


class StorageError(Exception):
    """Base of every storage error."""


class InvalidKey(StorageError, ValueError):
    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"invalid storage key {key!r}: {reason}")
        self.key = key
        self.reason = reason


class NotFound(StorageError, FileNotFoundError):
    def __init__(self, key: str, location: str = "") -> None:
        where = f" in {location}" if location else ""
        super().__init__(f"no object {key!r}{where}")
        self.key = key


class AlreadyExists(StorageError, FileExistsError):
    """A write that must create its key found it taken (``Storage.create``, a pending commit)."""

    def __init__(self, key: str, location: str = "") -> None:
        where = f" in {location}" if location else ""
        super().__init__(f"object {key!r}{where} exists already and is never overwritten")
        self.key = key


class ChecksumMismatch(StorageError):
    def __init__(self, key: str, *, expected: str, actual: str) -> None:
        super().__init__(
            f"checksum mismatch for {key!r}: expected sha512 {expected[:16]}..., "
            f"got {actual[:16]}...; nothing was stored"
        )
        self.key = key
        self.expected = expected
        self.actual = actual


class StorageUnavailable(StorageError):
    """The storage cannot be reached or used (endpoint down, bucket missing, bad credentials)."""

    #: seconds after which trying again is worth it: what web answers give as Retry-After
    retry_after = 30
