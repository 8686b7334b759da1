"""The preservation layer's exceptions (validators return repo.errors.Problem values)."""

from __future__ import annotations

from repo.errors import MunimentError, Problem


class PreservationError(MunimentError):
    """Base of every preservation error (a stored object that cannot be read, written or trusted)."""

    status = 500


class BagBuildError(PreservationError, ValueError):
    """A bag cannot be built from what was given (unsafe names, reserved tag files...)."""


class UnsafeArchive(PreservationError):
    """An archive was refused; ``problems`` names every member that was refused and why."""

    def __init__(self, archive: str, problems: list[Problem]) -> None:
        shown = "; ".join(str(p) for p in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(f"archive {archive} refused: {shown}{more}")
        self.archive = archive
        self.problems = list(problems)

    def __str__(self) -> str:
        return self.message


class OcflError(PreservationError):
    """Base of errors about the OCFL storage root and its objects."""


class StorageRootError(OcflError):
    """The storage is not an OCFL 1.1 root of the expected layout, or cannot become one."""


class ObjectNotFound(OcflError):
    def __init__(self, object_id: str) -> None:
        super().__init__(f"no OCFL object {object_id!r}")
        self.object_id = object_id


class VersionNotFound(OcflError):
    def __init__(self, object_id: str, version: str) -> None:
        super().__init__(f"OCFL object {object_id!r} has no version {version!r}")
        self.object_id = object_id
        self.version = version


class LogicalPathNotFound(OcflError):
    def __init__(self, object_id: str, version: str, logical_path: str) -> None:
        super().__init__(f"OCFL object {object_id!r} {version} has no file {logical_path!r}")
        self.object_id = object_id
        self.version = version
        self.logical_path = logical_path


class InvalidInventory(OcflError):
    """An inventory that does not follow OCFL 1.1; ``details`` lists each problem."""

    def __init__(self, where: str, details: list[str]) -> None:
        super().__init__(f"invalid OCFL inventory {where}: " + "; ".join(details[:5]))
        self.where = where
        self.details = details


class FixityError(OcflError):
    """Stored bytes do not have the digest the inventory (or its sidecar) records."""

    def __init__(self, key: str, expected: str, actual: str) -> None:
        super().__init__(f"fixity failure for {key!r}: expected sha512 {expected[:16]}..., got {actual[:16]}...")
        self.key = key
        self.expected = expected
        self.actual = actual


class ConcurrentUpdate(OcflError):
    """Another writer changed the object while this version was being written."""


class ObjectBusy(ConcurrentUpdate):
    """Another writer held the object's lock longer than this writer would wait."""

    def __init__(self, name: str, holder: str, waited: float) -> None:
        super().__init__(f"{name} is being written by {holder}; gave up after waiting {waited:g} s, try again later")
        self.name = name
        self.holder = holder


class StagedBagError(OcflError, ValueError):
    """The staged bag handed to the object store cannot become a version."""
