"""One table of operations drives both the routes and the OpenAPI document.

Each request goes the same way: who is asking (401 for a missing or bad token where one is
needed, 403 for a role too weak) before anything of the request is read; then the query and
the body, strictly (415, 413, 400 malformed JSON, 422 naming each field); then the handler, in
a worker thread; then, for every write by a known caller, a line in the audit log with its outcome.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.api.errors import ApiError, from_domain, from_validation, unauthorized
from app.errors import error_response
from repo.auth import Principal, Role, WriteLog, WriteRecord, bearer_token, token_store
from repo.services import Services

log = logging.getLogger("muniment.api")

READS = frozenset({"GET", "HEAD"})
JSON_BODY_MAX = 16 * 1024 * 1024  # a MODS record may be 10 MB
PRIVATE = "private, no-cache"


@dataclass(frozen=True)
class Reply:
    body: BaseModel
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    target: str = ""  # what the audit log names, when not the path's own parameters


@dataclass
class Call:
    request: Request
    services: Services
    principal: Principal | None
    path: dict[str, str]
    query: Any = None  # the operation's query model
    body: Any = None  # the operation's body model


Handler = Callable[[Call], Reply]
StreamHandler = Callable[[Call], Awaitable[Reply]]


@dataclass(frozen=True)
class Operation:
    id: str
    method: str
    path: str  # below /api/v1, e.g. /items/{item}
    summary: str
    answer: type[BaseModel]
    handler: Handler | None = None  # blocking work, run in a worker thread
    stream: StreamHandler | None = None  # reads the request body itself (uploads)
    role: Role | None = None  # None: anyone, though anonymous callers may see less
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    status: int = 200
    upload: tuple[str, ...] = ()  # media types of a raw request body
    params: Mapping[str, str] = field(default_factory=dict)  # path parameter -> pattern (else 404)
    errors: tuple[int, ...] = ()  # statuses besides the ones every operation of its kind has
    request_headers: Mapping[str, str] = field(default_factory=dict)  # optional header -> what it means
    header_patterns: Mapping[str, str] = field(default_factory=dict)  # request header -> its pattern (else 400)
    answer_headers: Mapping[str, str] = field(default_factory=dict)  # header of the answer -> what it is

    @property
    def writes(self) -> bool:
        return self.method not in READS


class Dispatcher:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.tokens = token_store(services.catalog.db)
        self.writes = WriteLog(services.catalog.db)

    def route(self, op: Operation) -> Route:
        patterns = {name: re.compile(p) for name, p in op.params.items()}

        async def endpoint(request: Request) -> Response:
            principal: Principal | None = None
            call: Call | None = None
            try:
                principal = await run_in_threadpool(self._authenticate, request)
                _authorize(op, principal)
                path = _path_params(request, patterns)
                call = Call(request, self.services, principal, path, _parse_query(op, request))
                if op.body is not None:
                    call.body = _parse_body(op.body, request.headers.get("content-type", ""), await _read(request))
                if op.stream is not None:
                    reply = await op.stream(call)
                else:
                    assert op.handler is not None
                    reply = await run_in_threadpool(op.handler, call)
            except Exception as exc:
                error = from_domain(exc)
                if op.writes:
                    status, message = (500, "internal error") if error is None else (error.status, error.message)
                    await self._record(op, request, principal, status, message, _target(call))
                if error is None:
                    raise
                response = _error_response(error)
                response.headers.update(error.headers)
                return response
            if op.writes:
                await self._record(op, request, principal, reply.status, "", reply.target or _target(call))
            # What a token was shown (restricted items among them) is for it alone: no shared cache keeps it.
            headers = reply.headers if principal is None else {"Cache-Control": PRIVATE, **reply.headers}
            return JSONResponse(reply.body.model_dump(mode="json", by_alias=True), reply.status, headers=headers)

        return Route(op.path, endpoint, methods=[op.method], name=op.id)

    def _authenticate(self, request: Request) -> Principal | None:
        header = request.headers.get("authorization")
        if header is None:
            return None
        token = bearer_token(header)
        principal = self.tokens.authenticate(token) if token is not None else None
        if principal is None:
            raise unauthorized("the token is not valid (unknown, revoked or malformed)")
        return principal

    async def _record(
        self, op: Operation, request: Request, principal: Principal | None, status: int, detail: str, target: str = ""
    ) -> None:
        if principal is None:
            return  # nobody to name: 401s are not writes
        client = request.client
        entry = WriteRecord(
            actor=principal.name,
            token_id=principal.token_id,
            role=principal.role.value,
            action=f"{op.method} /api/v1{op.path}",
            target=target,
            outcome=status,
            remote=client.host if client else "",
            detail=detail,
        )
        await run_in_threadpool(self.writes.record, entry)


def _target(call: Call | None) -> str:
    """What a write concerns: its path's parameters, else the slug its body names."""
    if call is None:
        return ""
    if call.path:
        return "/".join(call.path.values())
    return str(getattr(call.body, "slug", "") or "")


def _authorize(op: Operation, principal: Principal | None) -> None:
    if op.role is None:
        return
    if principal is None:
        raise unauthorized(f"this operation needs a token with the {op.role.value} role (Authorization: Bearer ...)")
    if not principal.allows(op.role):
        raise ApiError(403, f"this operation needs the {op.role.value} role; this token has {principal.role.value}")


def _path_params(request: Request, patterns: Mapping[str, re.Pattern[str]]) -> dict[str, str]:
    values: dict[str, str] = dict(request.path_params)
    for name, pattern in patterns.items():
        if not pattern.fullmatch(values.get(name, "")):
            raise ApiError(404, f"no such {name}")
    return values


def _parse_query(op: Operation, request: Request) -> BaseModel | None:
    items = request.query_params.multi_items()
    names = [name for name, _ in items]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ApiError(422, "invalid query", [f"query.{n}: given more than once" for n in repeated])
    if op.query is None:
        if items:
            raise ApiError(422, "invalid query", [f"query.{n}: unknown parameter" for n in names][:20])
        return None
    try:
        return op.query.model_validate(dict(items))
    except ValidationError as exc:
        raise from_validation(exc, "query") from None


async def _read(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > JSON_BODY_MAX:
        raise ApiError(413, f"the request body is larger than {JSON_BODY_MAX} bytes")
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > JSON_BODY_MAX:
            raise ApiError(413, f"the request body is larger than {JSON_BODY_MAX} bytes")
    return bytes(data)


def _parse_body(model: type[BaseModel], content_type: str, data: bytes) -> BaseModel:
    media_type = content_type.partition(";")[0].strip().lower()
    if media_type != "application/json":
        raise ApiError(415, "send the request body as application/json")
    try:
        return model.model_validate_json(data)
    except ValidationError as exc:
        raise from_validation(exc, "body") from None


def _error_response(error: ApiError) -> Response:
    return error_response(error.status, error.message, error.details or None)
