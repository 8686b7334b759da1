"""Forwarded headers, believed only from the proxies MUNIMENT_TRUSTED_PROXIES names.

Muniment applies them itself rather than through uvicorn's proxy-headers option, because that one
replaces the connecting address with the forwarded one and forgets which proxy spoke: the IIIF
`external` access service must believe a reader's name only from a trusted proxy, so the proxy's
address is kept in the scope (``PROXY_SCOPE_KEY``) beside the reader's."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from repo.auth.readers import PROXY_SCOPE_KEY, Network, reader_address, within


class ForwardedFrom:
    def __init__(self, app: ASGIApp, trusted: tuple[Network, ...]) -> None:
        self.app = app
        self.trusted = trusted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        peer = (scope.get("client") or ("", 0))[0]
        if scope["type"] in ("http", "websocket") and self.trusted and within(peer, self.trusted):
            scope = dict(scope)
            scope[PROXY_SCOPE_KEY] = peer
            for name, value in scope["headers"]:
                if name == b"x-forwarded-for":
                    scope["client"] = (reader_address(peer, value.decode("latin-1"), self.trusted), 0)
                elif name == b"x-forwarded-proto":
                    proto = value.decode("latin-1").strip().lower()
                    if proto in ("http", "https"):
                        scope["scheme"] = proto if scope["type"] == "http" else proto.replace("http", "ws")
        await self.app(scope, receive, send)
