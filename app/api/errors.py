"""The API's errors, all answered in the application's one JSON error shape."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ValidationError

from repo.errors import MunimentError, NotFoundError
from repo.metadata.errors import MetadataError
from repo.preservation.errors import ConcurrentUpdate, PreservationError


class ApiError(MunimentError):
    """An answer of the API other than success: its status, message, details and headers."""

    def __init__(self, status: int, message: str, details: Sequence[str] = (), headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.details = list(details)
        self.headers = headers or {}


def unauthorized(message: str) -> ApiError:
    return ApiError(401, message, headers={"WWW-Authenticate": 'Bearer realm="muniment"'})


def from_validation(exc: ValidationError, where: str) -> ApiError:
    """400 for a body that is not JSON at all; 422 naming each field at fault otherwise."""
    errors = exc.errors(include_url=False, include_input=False)
    if any(e["type"] == "json_invalid" for e in errors):
        return ApiError(400, "malformed JSON", [str(e["msg"]) for e in errors][:5])
    details = []
    for e in errors[:20]:
        location = ".".join(str(part) for part in (where, *e["loc"]))
        details.append(f"{location}: {e['msg']}")
    return ApiError(422, f"invalid {where}", details)


def from_domain(exc: Exception) -> ApiError | None:
    """The API status of a domain error; None for anything unexpected."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, MetadataError):
        return ApiError(422, "the metadata record is not valid", [str(p) for p in exc.problems])
    if isinstance(exc, NotFoundError):
        return ApiError(404, exc.message)
    if isinstance(exc, ConcurrentUpdate):  # another writer holds or changed the item: try again later
        return ApiError(409, str(exc))
    if isinstance(exc, PreservationError):  # stored data that cannot be read or trusted: ours to fix
        return ApiError(500, f"preservation storage: {exc.message}")
    if isinstance(exc, MunimentError):
        # A refused domain operation (already withdrawn, purged...): the request conflicts with the state.
        return ApiError(409, exc.message, [str(p) for p in exc.problems])
    return None
