"""One JSON shape for HTTP errors; never a stack trace or a server path in a response."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.methods import allowed_methods
from repo.errors import MunimentError, error_document
from storage.errors import StorageError, StorageUnavailable

log = logging.getLogger("muniment.web")


def error_response(
    status: int, message: str, details: list[str] | None = None, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        error_document(status, message, details),
        status_code=status,
        headers={"Access-Control-Allow-Origin": "*", **(headers or {})},
    )


async def http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        # From the top: a mount the request went through has moved its scope's root_path.
        top = {**request.scope, "root_path": request.scope.get("app_root_path", ""), "path_params": {}}
        methods = allowed_methods(request.app.router.routes, top)
        headers["Allow"] = ", ".join(methods) or headers.get("Allow", "")
    return error_response(exc.status_code, str(exc.detail), headers=headers)


async def muniment_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, MunimentError)
    return error_response(exc.status, exc.message, [str(p) for p in exc.problems])


async def storage_error(request: Request, exc: Exception) -> Response:
    """Storage keeps its own error root (it imports nothing of ours); its messages name endpoints
    and paths, so they go to the log and the answer says only what happened."""
    assert isinstance(exc, StorageError)
    log.error("storage failed on %s %s: %s", request.method, request.url.path, exc)
    if isinstance(exc, StorageUnavailable):
        return error_response(
            503, "storage is unavailable; try again later", headers={"Retry-After": str(exc.retry_after)}
        )
    return error_response(500, "storage error")


async def unexpected_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "internal server error")


HANDLERS = {
    HTTPException: http_exception,
    MunimentError: muniment_error,
    StorageError: storage_error,
    Exception: unexpected_error,
}
