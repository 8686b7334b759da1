"""Ingest errors: every problem of an item, each with its file and reason."""

from __future__ import annotations

from repo.errors import MunimentError, Problem


class IngestError(MunimentError):
    """An item could not be ingested; ``problems`` lists every reason found."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message, problems)


class AlreadyIngested(MunimentError):
    def __init__(self, item_id: str) -> None:
        super().__init__(f"already ingested as {item_id}")
        self.item_id = item_id
