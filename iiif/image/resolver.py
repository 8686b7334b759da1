"""What the image server asks of its host: turn an identifier into a stored pyramid."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from storage import Storage


@dataclass(frozen=True)
class ResolvedImage:
    """Where the pyramidal TIFF of an image is, when it last changed, and its rights URI."""

    storage: Storage
    key: str
    modified: datetime
    rights: str | None = None


class ImageResolver(Protocol):
    def resolve(self, identifier: str) -> ResolvedImage:
        """Find the image; raise ``KeyError`` (or ``storage.NotFound``) when there is none, or
        ``AccessDenied(status)`` to refuse it. Called from a worker thread, so it may block."""
        ...
