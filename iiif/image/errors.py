"""The image server's one error type: an HTTP status and a message safe to show a client."""

from __future__ import annotations

import json
from typing import Any

from repo.errors import MunimentError


class IIIFError(MunimentError):
    """A request that cannot be answered: ``status`` is the HTTP status to return.

    ``message`` is shown to the client, so it never holds a server path or a traceback.
    """

    #: seconds after which the same request may succeed (a Retry-After header), if that is known
    retry_after: int | None = None

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.status}, {self.message!r})"


class AccessDenied(IIIFError):
    """Raised by a resolver to refuse an image: 401 (log in first), 403, or 410 (withdrawn)."""

    def __init__(
        self,
        status: int = 403,
        message: str = "access to this image is not allowed",
        services: tuple[Any, ...] = (),
        contexts: tuple[str, ...] = (),
    ) -> None:
        super().__init__(status, message)
        self.services = services  # authorization services a refused info.json declares, so a viewer can sign in
        self.contexts = contexts  # their JSON-LD contexts


class ServerBusy(IIIFError):
    """503 with Retry-After: the server cannot do this soon (render slots busy, or a render too slow)."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(503, message)
        self.retry_after = retry_after


def error_body(status: int, message: str) -> bytes:
    """The JSON error shape shared with the rest of the web app (``app.errors``)."""
    return json.dumps({"error": {"status": status, "message": message}}).encode()
