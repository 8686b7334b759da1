"""What the image server asks of its host: turn an identifier into a stored pyramid."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from storage import Storage


@dataclass(frozen=True)
class ResolvedImage:
    """Where the pyramidal TIFF of an image is, when it last changed, and its rights URI.

    ``public``: whether anyone may have it. When not, responses say ``Cache-Control: private``, so
    that no shared cache hands what one reader may see to another."""

    storage: Storage
    key: str
    modified: datetime
    rights: str | None = None
    public: bool = True
    # Only sizes up to this longest side (and no more detail than the whole image at that size): a
    # tier of access that shows anyone small versions, and the whole image to those allowed more.
    max_size: int | None = None
    services: tuple[Any, ...] = ()  # authorization services its info.json declares (JSON objects)
    contexts: tuple[str, ...] = ()  # the JSON-LD contexts of those services, before the Image API's


@dataclass(frozen=True)
class Credentials:
    """Everything of a request that an access decision may read: its Authorization header, and
    (when the host's ``credentials`` function reads them) its session cookie, origin, the reader's
    address and a trusted proxy's word.

    Resolver answers are remembered per identifier *and* credentials: an answer given to one
    caller is never reused for another."""

    authorization: str | None = None
    cookie: str | None = None
    origin: str = ""
    address: str = ""
    remote_user: str = ""


ANONYMOUS = Credentials()


class ImageResolver(Protocol):
    def resolve(self, identifier: str, credentials: Credentials = ANONYMOUS) -> ResolvedImage:
        """Find the image for a caller with ``credentials``; raise ``KeyError`` (or
        ``storage.NotFound``) when there is none, or ``AccessDenied(status)`` to refuse it.
        Called from a worker thread, so it may block."""
        ...
