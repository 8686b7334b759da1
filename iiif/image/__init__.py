"""The IIIF Image API 3.0 server: mount ``image_routes(resolver, config)`` at ``/iiif/3``."""

from iiif.image.config import ImageServerConfig
from iiif.image.errors import AccessDenied, IIIFError
from iiif.image.request import ImageRequest, ResolvedRequest, SizeLimits, parse_request, resolve
from iiif.image.resolver import ANONYMOUS, Credentials, ImageResolver, ResolvedImage
from iiif.image.routes import ImageEndpoint, ImageMount, image_mount, image_routes
from iiif.image.service import ImageService

__all__ = [
    "ANONYMOUS",
    "AccessDenied",
    "Credentials",
    "IIIFError",
    "ImageEndpoint",
    "ImageMount",
    "ImageRequest",
    "ImageResolver",
    "ImageServerConfig",
    "ImageService",
    "ResolvedImage",
    "ResolvedRequest",
    "SizeLimits",
    "image_mount",
    "image_routes",
    "parse_request",
    "resolve",
]
