"""Muniment's one small exception hierarchy. Errors carry details; messages never hold a traceback."""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from storage.errors import StorageUnavailable


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one file, located as precisely as we know (a line, or a CSV row)."""

    file: str
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.file and self.line is not None else self.file
        return f"{where}: {self.reason}" if where else self.reason


class MunimentError(Exception):
    """Base of Muniment's own errors: a message for people and a list of problems."""

    status = 400

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems or []

    def __str__(self) -> str:
        if not self.problems:
            return self.message
        return self.message + "\n" + "\n".join(f"  - {p}" for p in self.problems)


def error_document(status: int, message: str, details: list[str] | None = None) -> dict[str, object]:
    """The one JSON shape of every HTTP error answer (API, IIIF, pages' JSON): no trace, no path."""
    error: dict[str, object] = {"status": status, "message": message}
    if details:
        error["details"] = details
    return {"error": error}


class ConfigError(MunimentError):
    """A setting is unknown, malformed, or points at something unusable."""


class NotFoundError(MunimentError):
    status = 404


class ChangedMeanwhile(MunimentError):
    """An edit based on a record that someone else changed after it was read: the later writer
    is told, instead of silently undoing the other change."""

    status = 409


@dataclass
class ValidationReport:
    """Every problem found, so callers can report all of them at once."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, file: str, reason: str) -> None:
        self.problems.append(Problem(file, reason))

    @property
    def ok(self) -> bool:
        return not self.problems


class ResourceError(MunimentError):
    """The machine, not the input, is at fault: a full disk, a refused permission, a read-only folder."""

    status = 503


# What the system says about its disks and rights, in words that name the cause rather than the errno.
_SYSTEM_CAUSES = {
    errno.ENOSPC: "disk full: no space left on the device holding {path}",
    errno.EDQUOT: "disk quota exceeded for {path}",
    errno.EACCES: "permission denied: {path}",
    errno.EPERM: "permission denied: {path}",
    errno.EROFS: "read-only file system: {path}",
    errno.EMFILE: "too many open files in this process (opening {path})",
    errno.ENFILE: "too many open files on this machine (opening {path})",
}


def system_cause(exc: BaseException, path: str | os.PathLike[str] | None = None) -> str | None:
    """One line naming a disk or permission failure, with the path at fault (``path`` when given,
    else ``exc``'s own); None when ``exc`` is something else. libvips reports them only as text."""
    number = exc.errno if isinstance(exc, OSError) else None
    if number is None:
        text = str(exc)
        number = next((n for n in _SYSTEM_CAUSES if f"system error: {os.strerror(n)}" in text), None)
    if number not in _SYSTEM_CAUSES:
        return None
    where = path if path is not None else getattr(exc, "filename", None)
    return _SYSTEM_CAUSES[number].format(path=os.fspath(where) if where is not None else "(unknown path)")


def probed_cause(folder: Path) -> str | None:
    """Whether ``folder`` still takes bytes, asked by writing some: for failures that say only
    "write failed" (libvips does, at times, when a disk is full); None when it does."""
    try:
        with tempfile.TemporaryFile(dir=folder) as probe:
            probe.write(bytes(64 * 1024))
            probe.flush()
            os.fsync(probe.fileno())
    except OSError as exc:
        return system_cause(exc, folder)
    return None


def known_cause(exc: BaseException, folders: Iterable[Path] = ()) -> str | None:
    """One line for a failure of the machine or of a service the repository relies on (a full
    disk, S3 out of reach, the catalog unable to grow), with the path or setting to check; None
    for anything else, which is a defect worth its traceback. A disk error that names no path
    (a write to an open file) is put on the fullest of ``folders``."""
    if isinstance(exc, StorageUnavailable):
        return f"{exc} (MUNIMENT_S3_ENDPOINT)" if "cannot reach" in str(exc) else str(exc)
    if isinstance(exc, sqlite3.OperationalError) and "disk is full" in str(exc):
        return "disk full: the catalog cannot grow"
    named = getattr(exc, "filename", None)
    return system_cause(exc, None if named else _fullest(folders))


def _fullest(folders: Iterable[Path]) -> Path | None:
    existing = [f for f in folders if f.is_dir()]
    return min(existing, key=lambda f: shutil.disk_usage(f).free, default=None)
