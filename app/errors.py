"""One JSON shape for HTTP errors; never a stack trace or a server path in a response."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from repo.errors import MunimentError, error_document

log = logging.getLogger("muniment.web")


def error_response(status: int, message: str, details: list[str] | None = None) -> JSONResponse:
    return JSONResponse(
        error_document(status, message, details), status_code=status, headers={"Access-Control-Allow-Origin": "*"}
    )


async def http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return error_response(exc.status_code, str(exc.detail))


async def muniment_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, MunimentError)
    return error_response(exc.status, exc.message, [str(p) for p in exc.problems])


async def unexpected_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "internal server error")


HANDLERS = {HTTPException: http_exception, MunimentError: muniment_error, Exception: unexpected_error}
