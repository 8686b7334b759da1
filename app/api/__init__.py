"""The admin API at ``/api/v1`` (JSON), described by the OpenAPI 3.1 document at ``/api/v1/openapi.json``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Mount, Route

from app.api import collections, items, reports
from app.api.ingests import Ingests
from app.api.jobs import Jobs
from app.api.openapi import openapi_document
from app.api.operations import Dispatcher, Operation
from repo.services import Services

PREFIX = "/api/v1"


def api_operations(jobs: Jobs) -> list[Operation]:
    return [
        *collections.OPERATIONS,
        *items.OPERATIONS,
        *Ingests(jobs).operations(),
        *jobs.operations(),
        *reports.OPERATIONS,
    ]


def api_routes(services: Services) -> list[BaseRoute]:
    """The route provider listed in ``app.web.app.PROVIDERS``."""
    dispatcher = Dispatcher(services)
    jobs = Jobs(services)
    operations = api_operations(jobs)
    document = openapi_document(operations)

    async def openapi(request: Request) -> JSONResponse:
        return JSONResponse(document, headers={"Access-Control-Allow-Origin": "*"})

    routes: list[BaseRoute] = [dispatcher.route(op) for op in operations]
    routes.append(Route("/openapi.json", openapi, methods=["GET"], name="openapi"))
    mount = Mount(PREFIX, routes=routes, name="api")
    mount.jobs = jobs  # type: ignore[attr-defined]  # tests wait on it
    return [mount]
