"""The route providers mounted by ``create_app``, in order (the public pages come last: they own ``/``)."""

from __future__ import annotations

from collections.abc import Callable

from starlette.routing import BaseRoute

from repo.services import Services

Provider = Callable[[Services], list[BaseRoute]]

PROVIDERS: list[Provider] = []
PROVIDERS.append(__import__("iiif.catalog_images", fromlist=["x"]).image_api_routes)  # IIIF Image API at /iiif/3
PROVIDERS.append(__import__("repo.oai", fromlist=["oai_routes"]).oai_routes)  # OAI-PMH at /oai
# IIIF Presentation API: /iiif/{item}/manifest, /iiif/collection/{slug}, /iiif/collection/top
PROVIDERS.append(__import__("iiif.presentation.routes", fromlist=["x"]).presentation_routes)
PROVIDERS.append(__import__("repo.api", fromlist=["x"]).api_routes)  # admin API at /api/v1 (tokens and roles)
# Public pages (/, /search, /collections/..., /items/..., /static): keep LAST, they own /
PROVIDERS.append(__import__("repo.web.pages", fromlist=["x"]).public_pages)
