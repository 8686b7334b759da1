"""What of an HTTP request (an ASGI scope) may say who the reader is: ``repo.auth.readers.Aspects``,
and the image server's ``Credentials`` made of the same."""

from __future__ import annotations

from starlette.requests import cookie_parser
from starlette.types import Scope

from iiif.image import ANONYMOUS, Credentials
from repo.auth import bearer_token
from repo.auth.readers import PROXY_SCOPE_KEY, SESSION_COOKIE, Aspects, Network, networks, reader_address, within
from repo.settings import Settings


class AspectReader:
    def __init__(self, settings: Settings) -> None:
        self.trusted: tuple[Network, ...] = networks(settings.trusted_proxies)
        self.kiosk = bool(settings.iiif_auth_kiosk_ranges)
        self.external = settings.iiif_auth_external_header.strip().lower().encode("latin-1")

    def credentials(self, scope: Scope) -> Credentials:
        """The image server's credentials of a request: only what may matter is read, so that
        anonymous requests all share one credentials value (and one resolver answer)."""
        authorization = cookie = origin = forwarded = remote_user = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value.decode("latin-1")
            elif name == b"cookie" and SESSION_COOKIE.encode() in value:
                cookie = cookie_parser(value.decode("latin-1")).get(SESSION_COOKIE)
            elif name == b"origin":
                origin = value.decode("latin-1")
            elif name == b"x-forwarded-for":
                forwarded = value.decode("latin-1")
            elif self.external and name == self.external:
                remote_user = value.decode("latin-1").strip()
        peer = (scope.get("client") or ("", 0))[0]
        address = reader_address(peer, forwarded or "", self.trusted) if self.kiosk else ""
        if remote_user and not within(scope.get(PROXY_SCOPE_KEY) or peer, self.trusted):
            remote_user = None  # only a trusted proxy's word counts
        if not (authorization or cookie or address or remote_user):
            return ANONYMOUS
        return Credentials(
            authorization, cookie, (origin or _own_origin(scope)) if authorization else "", address, remote_user or ""
        )

    def aspects(self, scope: Scope) -> Aspects:
        return aspects_of(self.credentials(scope))


def aspects_of(credentials: Credentials) -> Aspects:
    return Aspects(
        bearer_token(credentials.authorization),
        credentials.origin,
        credentials.cookie,
        credentials.address,
        credentials.remote_user,
    )


def _own_origin(scope: Scope) -> str:
    """This site's origin as the request reached it (same-origin requests send no Origin header)."""
    host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), "")
    return f"{scope.get('scheme', 'http')}://{host.lower()}"
