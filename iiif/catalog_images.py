"""The image server mounted in Muniment: identifiers resolved through the catalog to access pyramids."""

from __future__ import annotations

from datetime import datetime

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

from iiif.image import ANONYMOUS, AccessDenied, Credentials, ImageMount, ImageServerConfig, ResolvedImage, image_mount
from iiif.presentation.ids import parse_image_identifier
from repo.access import Access, decide_access
from repo.auth import authenticate_header
from repo.services import Services


class CatalogImageResolver:
    """``{item_id}~{seq}`` -> the page's pyramidal TIFF, after the one access decision."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def resolve(self, identifier: str, credentials: Credentials = ANONYMOUS) -> ResolvedImage:
        try:
            item_id, seq = parse_image_identifier(identifier)
        except ValueError:
            raise KeyError(identifier) from None
        catalog = self.services.catalog
        item = catalog.get_item(item_id)
        access = decide_access(item)
        if access is Access.UNAUTHORIZED and credentials.authorization:  # a token is looked up only when it matters
            access = decide_access(item, lambda: authenticate_header(catalog.db, credentials.authorization))
        if access is Access.NOT_FOUND or item is None:
            raise KeyError(identifier)
        if access is not Access.VISIBLE:
            raise AccessDenied(
                access.status, "this image is withdrawn" if access is Access.GONE else "this image is not public"
            )
        page = next((f for f in catalog.files(item_id) if f.seq == seq), None)
        if page is None:
            raise KeyError(identifier)
        metadata = catalog.metadata(item_id)
        modified = datetime.strptime(item.datestamp, "%Y-%m-%dT%H:%M:%S%z")
        rights = metadata.rights if metadata else None
        return ResolvedImage(self.services.access, page.derivative_key, modified, rights, public=item.is_public())


def image_config(services: Services) -> ImageServerConfig:
    return ImageServerConfig.from_settings(services.settings)


def image_api_routes(services: Services) -> list[BaseRoute]:
    return [image_mount("/iiif/3", CatalogImageResolver(services), image_config(services))]


def image_fast_lane(app: ASGIApp) -> ASGIApp:
    """``app`` (the Starlette application) with requests below ``/iiif/3`` handed straight to the
    image server, before Starlette's middleware and router: they cost about 20 us of the 150 to
    250 us a cached tile or info.json takes, and the image endpoint answers every error itself.
    For the ASGI entry point: ``image_fast_lane(create_app(settings))``. Without an image mount
    in ``app.routes``, ``app`` itself."""
    mount = next((r for r in getattr(app, "routes", ()) if isinstance(r, ImageMount)), None)
    if mount is None:
        return app
    endpoint, matches = mount.endpoint, mount.matches

    async def fast_lane(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            match, child = matches(scope)
            if match is Match.FULL:
                scope.update(child)
                await endpoint(scope, receive, send)
                return
        await app(scope, receive, send)

    return fast_lane
