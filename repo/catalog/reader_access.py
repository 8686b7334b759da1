"""The SQL of who may see restricted images: access tiers of items and collections, and the IIIF
Authorization Flow's access tokens (the rules are ``repo.access`` and ``repo.auth.readers``)."""

from __future__ import annotations

from dataclasses import dataclass

from repo.catalog.db import Database
from repo.catalog.models import utc_now

SCOPES = ("item", "collection")


def tier_of(db: Database, item_id: str, collection: str) -> str | None:
    """The item's own tier, else its collection's; None when neither has one."""
    rows = db.query(
        "SELECT scope, tier FROM access_tiers WHERE (scope = 'item' AND key = ?) OR (scope = 'collection' AND key = ?)",
        (item_id, collection),
    )
    by_scope = {r["scope"]: r["tier"] for r in rows}
    tier = by_scope.get("item") or by_scope.get("collection")
    return str(tier) if tier else None


def own_tier(db: Database, scope: str, key: str) -> str | None:
    """The tier set on this item or collection itself."""
    row = db.query_one("SELECT tier FROM access_tiers WHERE scope = ? AND key = ?", (scope, key))
    return str(row["tier"]) if row else None


def set_tier(db: Database, scope: str, key: str, tier: str | None) -> None:
    """Set (or with None, clear) the tier of an item or a collection."""
    if scope not in SCOPES:
        raise ValueError(f"scope {scope!r}: one of {', '.join(SCOPES)}")
    if tier is None:
        db.execute("DELETE FROM access_tiers WHERE scope = ? AND key = ?", (scope, key))
        return
    db.execute(
        "INSERT INTO access_tiers (scope, key, tier, updated) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (scope, key) DO UPDATE SET tier = excluded.tier, updated = excluded.updated",
        (scope, key, tier, utc_now()),
    )


@dataclass(frozen=True)
class StoredToken:
    aspect: str  # session | kiosk | external
    origin: str
    reader: str  # the external reader's name, or the session's account
    role: str  # the session account's role; '' when the session has ended (or for other aspects)
    disabled: bool


def store_token(
    db: Database, token_sha256: str, aspect: str, session_sha256: str, reader: str, origin: str, expires: str
) -> None:
    db.execute("DELETE FROM iiif_access_tokens WHERE expires < ?", (utc_now(),))
    db.execute(
        "INSERT INTO iiif_access_tokens (token_sha256, aspect, session_sha256, reader, origin, expires)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (token_sha256, aspect, session_sha256, reader, origin, expires),
    )


def find_token(db: Database, token_sha256: str) -> StoredToken | None:
    """An unexpired token, with the account of its session if that session is still live."""
    now = utc_now()
    row = db.query_one(
        "SELECT t.aspect, t.origin, t.reader, s.user_name, u.role, u.disabled FROM iiif_access_tokens t"
        " LEFT JOIN staff_sessions s ON t.aspect = 'session' AND s.id_sha256 = t.session_sha256 AND s.expires >= ?"
        " LEFT JOIN staff_users u ON u.name = s.user_name"
        " WHERE t.token_sha256 = ? AND t.expires >= ?",
        (now, token_sha256, now),
    )
    if row is None:
        return None
    reader = row["user_name"] or row["reader"] or ""
    return StoredToken(row["aspect"], row["origin"], reader, row["role"] or "", bool(row["disabled"]))
