"""Readers of restricted images (the IIIF Authorization Flow's side of the domain): who the aspects
of a request name, and the access tokens that stand for them.

A reader is known by one of: a signed-in session (the staff accounts and sessions: any role reads), an
address in a reading-room range (kiosk), a name a trusted proxy's header gives (external), or a
bearer token: an API token, or an access token of this module. An access token is random and stored
only as its SHA-256, with what it stands for (the session's SHA-256, as the session table keeps it;
the kiosk; the proxy's reader), the origin it was handed to, and when it expires: signing out ends the
session and with it every token of that session at once; a token shown from another origin, or
expired, names no one.
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from repo.auth.request import token_store
from repo.auth.roles import Role
from repo.auth.secret import instance_secret
from repo.auth.sessions import SessionStore, StaffSession
from repo.auth.tokens import Principal
from repo.auth.users import UserStore
from repo.catalog import Database
from repo.catalog.models import format_datestamp
from repo.catalog.reader_access import find_token, store_token

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# The one session cookie (the staff pages set it too), for the whole site: image requests carry it.
SESSION_COOKIE = "muniment_staff"
SESSION_COOKIE_PATH = "/"
# Where the ASGI scope keeps the trusted proxy a request came through (app/web/forwarded.py), so
# that a proxy's word (the external header) is believed from it even after its X-Forwarded-For is applied.
PROXY_SCOPE_KEY = "muniment.proxy"


@dataclass(frozen=True)
class Aspects:
    """What of a request may say who the reader is (see the module doc); '' or None when absent."""

    token: str | None = None  # a bearer token
    origin: str = ""  # where the request came from: its Origin header, else this site's own origin
    cookie: str | None = None  # the session cookie
    address: str = ""  # the reader's address (trusted proxies' X-Forwarded-For applied)
    remote_user: str = ""  # the external header's reader, from a trusted proxy only


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_in: int


def normal_origin(text: str | None) -> str | None:
    """``scheme://host[:port]`` of an origin (as postMessage takes it), lower case; None if it is not one."""
    if not text or len(text) > 300 or any(c in text for c in " \t\r\n\\\"'<>"):
        return None
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        return None
    if parts.query or parts.fragment or "@" in parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc.lower()}"


def networks(ranges: Iterable[str]) -> tuple[Network, ...]:
    """Parsed CIDR ranges; a bad one raises ``ValueError`` naming it."""
    parsed = []
    for text in ranges:
        try:
            parsed.append(ipaddress.ip_network(text.strip(), strict=False))
        except ValueError:
            raise ValueError(f"not an address range: {text!r} (write it as CIDR, e.g. 10.1.2.0/24)") from None
    return tuple(parsed)


def within(address: str, ranges: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in ranges)


def reader_address(peer: str, forwarded_for: str, trusted: tuple[Network, ...]) -> str:
    """The reader's address: the connecting one, or, when that is a trusted proxy, the last address of
    X-Forwarded-For that is not one (the hops before it could be anything a client wrote)."""
    if not forwarded_for or not within(peer, trusted):
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if not within(hop, trusted):
            return hop
    return hops[0] if hops else peer


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class Readers:
    def __init__(
        self,
        db: Database,
        secret_key: str,
        *,
        token_seconds: int = 300,
        kiosk_ranges: Iterable[str] = (),
        session_hours: int = 12,
        sign_in_failures: int = 5,
        sign_in_pause_minutes: int = 15,
    ) -> None:
        self.db = db
        self.sessions = SessionStore(db, instance_secret(secret_key, db), hours=session_hours)
        self.users = UserStore(db, failures=sign_in_failures, pause_minutes=sign_in_pause_minutes)
        self.token_seconds = max(1, token_seconds)
        self.kiosk = networks(kiosk_ranges)

    def signed_in(self, cookie: str | None) -> StaffSession | None:
        """The signed-in session a cookie names (of an account that is not disabled)."""
        session = self.sessions.find(cookie) if cookie else None
        if session is None or not session.signed_in:
            return None
        user = self.users.get(session.user_name)
        return session if user is not None and not user.disabled else None

    def in_kiosk(self, address: str) -> bool:
        return bool(self.kiosk) and within(address, self.kiosk)

    def principal(self, aspects: Aspects) -> Principal | None:
        """Who the request is, by its cookie, reading-room address, proxy's word or bearer token."""
        session = self.signed_in(aspects.cookie)
        if session is not None:
            user = self.users.get(session.user_name)
            assert user is not None
            return Principal("session", user.name, user.role)
        if aspects.address and self.in_kiosk(aspects.address):
            return Principal("kiosk", aspects.address, Role.READER)
        if aspects.remote_user:
            return Principal("external", aspects.remote_user, Role.READER)
        if aspects.token:
            return self.token_principal(aspects.token, aspects.origin)
        return None

    def token_principal(self, token: str, origin: str) -> Principal | None:
        if token.startswith("mnt_"):  # an API token (scripts, the admin API's readers)
            return token_store(self.db).authenticate(token)
        if len(token) > 100:
            return None
        stored = find_token(self.db, _sha256(token))
        if stored is None or stored.origin != normal_origin(origin):
            return None  # unknown, expired, or shown by another origin than it was given to
        if stored.aspect == "session":
            if not stored.role or stored.disabled:
                return None  # signed out (or the account disabled) since
            return Principal("access-token", stored.reader, Role(stored.role))
        return Principal("access-token", stored.reader, Role.READER)

    def issue(self, aspects: Aspects, origin: str) -> IssuedToken | None:
        """A token for ``origin`` standing for the request's session, kiosk or proxy's reader; None
        when the request has none of them (the access token error ``missingAspect``)."""
        session = self.signed_in(aspects.cookie)
        if session is not None:
            aspect, session_sha256, reader = "session", _sha256(session.id), session.user_name
        elif aspects.address and self.in_kiosk(aspects.address):
            aspect, session_sha256, reader = "kiosk", "", aspects.address
        elif aspects.remote_user:
            aspect, session_sha256, reader = "external", "", aspects.remote_user[:200]
        else:
            return None
        token = secrets.token_urlsafe(32)
        expires = format_datestamp(datetime.now(UTC) + timedelta(seconds=self.token_seconds))
        store_token(self.db, _sha256(token), aspect, session_sha256, reader, origin, expires)
        return IssuedToken(token, self.token_seconds)
