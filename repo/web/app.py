"""The one Starlette application: public pages, IIIF, OAI-PMH and the admin API."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from repo.services import Services
from repo.settings import Settings
from repo.web.errors import HANDLERS
from repo.web.providers import PROVIDERS, Provider


def create_app(settings: Settings, services: Services | None = None) -> Starlette:
    services = services or Services.open(settings)

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    routes: list[BaseRoute] = [Route("/healthz", health)]
    for mount in _route_providers():
        routes.extend(mount(services))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        services.close()

    app = Starlette(routes=routes, exception_handlers=HANDLERS, lifespan=lifespan)
    app.state.services = services
    return app


def _route_providers() -> list[Provider]:
    """Each part of the site contributes its routes, in the order providers.py lists them."""
    return list(PROVIDERS)
