"""The metadata package's error: it carries every problem found (file, line, reason), not only the first."""

from __future__ import annotations

from collections.abc import Iterable

from repo.errors import MunimentError, Problem

__all__ = ["MetadataError", "Problem"]


class MetadataError(MunimentError):
    """A metadata file or record could not be accepted; ``problems`` lists why."""

    status = 422

    def __init__(self, problems: Iterable[Problem]) -> None:
        found = list(problems)
        if not found:
            raise ValueError("MetadataError needs at least one problem")
        super().__init__("\n".join(str(p) for p in found), found)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)

    @classmethod
    def single(cls, file: str, reason: str, line: int | None = None) -> MetadataError:
        return cls([Problem(file, reason, line)])
