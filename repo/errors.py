"""Muniment's one small exception hierarchy. Errors carry details; messages never hold a traceback."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one file."""

    file: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.reason}" if self.file else self.reason


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


@dataclass
class ValidationReport:
    """Every problem found, so callers can report all of them at once."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, file: str, reason: str) -> None:
        self.problems.append(Problem(file, reason))

    @property
    def ok(self) -> bool:
        return not self.problems
