"""The one Starlette application: public pages, IIIF, OAI-PMH and the admin API."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from app.api import api_routes
from app.errors import HANDLERS
from app.web.forwarded import ForwardedFrom
from app.web.oai import oai_routes
from app.web.pages import public_pages
from app.web.staff import staff_routes
from iiif.auth.routes import auth_routes
from iiif.catalog_images import image_api_routes
from iiif.discovery.routes import discovery_routes
from iiif.presentation.routes import presentation_routes
from iiif.search.routes import search_routes
from repo.auth.readers import networks
from repo.services import Services
from repo.settings import Settings

Provider = Callable[[Services], list[BaseRoute]]

# Each part of the site contributes its routes, in this order; the public pages own "/": last.
PROVIDERS: list[Provider] = [
    image_api_routes,  # IIIF Image API at /iiif/3
    oai_routes,  # OAI-PMH at /oai
    presentation_routes,  # IIIF Presentation: /iiif/{item}/manifest, /iiif/collection/{slug}, .../top
    discovery_routes,  # IIIF Change Discovery: /iiif/discovery/, .../page-{n}, .../activity/{seq}
    auth_routes,  # IIIF Authorization Flow 2.0 and 1.0: /iiif/auth/...
    search_routes,  # IIIF Content Search and page text: /iiif/{item}/search/1|2, .../autocomplete/1|2, .../text
    api_routes,  # admin API at /api/v1 (tokens and roles)
    staff_routes,  # staff pages at /staff (accounts and sessions)
    public_pages,  # /, /search, /collections/..., /items/..., /static
]


def create_app(settings: Settings, services: Services | None = None) -> Starlette:
    """The application; it closes at shutdown only the services it opened. Services given by the
    caller are the caller's: a lifespan ending (a test client, a fuzzer's per-call client) must not
    close the catalog under a worker that shares it."""
    owned = services is None
    services = services or Services.open(settings)

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    routes: list[BaseRoute] = [Route("/healthz", health)]
    for mount in PROVIDERS:
        routes.extend(mount(services))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        if owned:
            services.close()

    forwarded = Middleware(ForwardedFrom, trusted=networks(services.settings.trusted_proxies))
    app = Starlette(routes=routes, exception_handlers=HANDLERS, lifespan=lifespan, middleware=[forwarded])
    app.state.services = services
    return app
