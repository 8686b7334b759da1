"""The image server mounted in Muniment: identifiers resolved through the catalog to access pyramids."""

from __future__ import annotations

from datetime import datetime

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

from iiif.auth.aspects import AspectReader, aspects_of
from iiif.auth.services import AUTH2_CONTEXT, AuthServices
from iiif.image import ANONYMOUS, AccessDenied, Credentials, ImageMount, ImageServerConfig, ResolvedImage, image_mount
from iiif.presentation.ids import parse_image_identifier
from repo.access import Access, ImageAccess, Tier, decide_image_access
from repo.auth.readers import Readers
from repo.catalog import Item
from repo.catalog.reader_access import tier_of
from repo.services import Services


class CatalogImageResolver:
    """``{item_id}~{seq}`` -> the page's pyramidal TIFF, after the one access decision (and the
    item's access tier, for an item that is not public)."""

    def __init__(self, services: Services, readers: Readers | None = None) -> None:
        self.services = services
        self.readers = readers or readers_of(services)
        self.auth = AuthServices.from_settings(services.settings)

    def resolve(self, identifier: str, credentials: Credentials = ANONYMOUS) -> ResolvedImage:
        try:
            item_id, seq = parse_image_identifier(identifier)
        except ValueError:
            raise KeyError(identifier) from None
        catalog = self.services.catalog
        item = catalog.get_item(item_id)
        decision = image_access(self.services, item, self.readers, credentials)
        access = decision.access
        if access is Access.NOT_FOUND or item is None:
            raise KeyError(identifier)
        public = item.is_public()
        services = () if public else self.auth.image_services(identifier)
        contexts = () if public else (AUTH2_CONTEXT,)
        if access is not Access.VISIBLE:
            if access is Access.GONE:
                raise AccessDenied(access.status, "this image is withdrawn")
            raise AccessDenied(access.status, "this image is not public: sign in to see it", services, contexts)
        page = next((f for f in catalog.files(item_id) if f.seq == seq), None)
        if page is None:
            raise KeyError(identifier)
        metadata = catalog.metadata(item_id)
        modified = datetime.strptime(item.datestamp, "%Y-%m-%dT%H:%M:%S%z")
        rights = metadata.rights if metadata else None
        return ResolvedImage(
            self.services.access,
            page.derivative_key,
            modified,
            rights,
            public=public,
            max_size=decision.max_size,
            services=services,
            contexts=contexts,
        )


def readers_of(services: Services) -> Readers:
    s = services.settings
    return Readers(
        services.catalog.db,
        s.secret_key,
        token_seconds=s.iiif_auth_token_seconds,
        kiosk_ranges=s.iiif_auth_kiosk_ranges,
        session_hours=s.staff_session_hours,
        sign_in_failures=s.staff_sign_in_failures,
        sign_in_pause_minutes=s.staff_sign_in_pause_minutes,
    )


def image_access(services: Services, item: Item | None, readers: Readers, credentials: Credentials) -> ImageAccess:
    """What the caller with ``credentials`` may see of ``item``'s images (the probe asks it too)."""
    tier = Tier.RESTRICTED
    if item is not None and item.status == "active" and not item.is_public():
        tier = Tier(tier_of(services.catalog.db, item.id, item.collection) or Tier.RESTRICTED.value)
    asker = None if credentials == ANONYMOUS else (lambda: readers.principal(aspects_of(credentials)))
    return decide_image_access(item, tier, services.settings.iiif_auth_public_size, asker)


def image_config(services: Services) -> ImageServerConfig:
    return ImageServerConfig.from_settings(services.settings)


def image_api_routes(services: Services) -> list[BaseRoute]:
    credentials = AspectReader(services.settings).credentials
    return [image_mount("/iiif/3", CatalogImageResolver(services), image_config(services), credentials)]


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
