"""The IIIF Image API 3.0 server: ``image_mount("/iiif/3", resolver, config)`` in a Starlette app."""

from iiif.image.config import ImageServerConfig
from iiif.image.errors import AccessDenied, IIIFError
from iiif.image.request import ImageRequest, ResolvedRequest, SizeLimits, parse_request, resolve
from iiif.image.resolver import ANONYMOUS, Credentials, ImageResolver, ResolvedImage
from iiif.image.routes import ImageEndpoint, ImageMount, image_mount
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
    "parse_request",
    "resolve",
]
