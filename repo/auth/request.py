"""Who is asking: the principal of a request's bearer token, looked up once per request.

Anonymous requests (no Authorization header) never touch the database. This is where another
way of proving who one is (the IIIF Authorization Flow's access tokens, say) would plug in.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping, MutableMapping
from typing import Any, Protocol

from repo.auth.tokens import Principal, TokenStore
from repo.catalog import Database

SCOPE_KEY = "muniment.principal"
_stores: weakref.WeakKeyDictionary[Database, TokenStore] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


class Connection(Protocol):
    """What is read of an HTTP request (a Starlette ``HTTPConnection`` is one): its ASGI scope
    (where the principal is remembered) and its headers. The domain does no HTTP itself."""

    @property
    def scope(self) -> MutableMapping[str, Any]: ...

    @property
    def headers(self) -> Mapping[str, str]: ...


def bearer_token(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header; None for any other header."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    return value if scheme.lower() == "bearer" and value else None


def token_store(db: Database) -> TokenStore:
    """One store per catalog database; its tables are made on first use."""
    with _lock:
        store = _stores.get(db)
        if store is None:
            store = _stores[db] = TokenStore(db)
        return store


def authenticate_header(db: Database, authorization: str | None) -> Principal | None:
    token = bearer_token(authorization)
    return token_store(db).authenticate(token) if token is not None else None


def request_principal(connection: Connection | None) -> Principal | None:
    """The principal of the request (None: anonymous or an invalid token), remembered in its scope."""
    if connection is None:
        return None
    scope = connection.scope
    if SCOPE_KEY in scope:
        cached: Principal | None = scope[SCOPE_KEY]
        return cached
    principal = None
    header = connection.headers.get("authorization")
    if header:
        db = _catalog_db(scope)
        principal = authenticate_header(db, header) if db is not None else None
    scope[SCOPE_KEY] = principal
    return principal


def _catalog_db(scope: Mapping[str, Any]) -> Database | None:
    # ``create_app`` keeps the services on the application's state; Starlette puts the app in the scope.
    app = scope.get("app")
    services = getattr(getattr(app, "state", None), "services", None)
    catalog = getattr(services, "catalog", None)
    db = getattr(catalog, "db", None)
    return db if isinstance(db, Database) else None
