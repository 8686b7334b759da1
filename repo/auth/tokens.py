"""API tokens: shown once at creation, stored only as a SHA-256 of their secret part.

A token reads ``mnt_<id>_<secret>``. The id (public, 12 hex digits) finds the row; the secret
(256 random bits) is compared with the stored hash in constant time. A plain hash is enough:
the secret is random, so there is nothing for a slow password hash to protect.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any

from repo.auth.roles import Role
from repo.catalog import Database, utc_now
from repo.catalog.token_rows import TokenRows
from repo.errors import MunimentError, NotFoundError

PREFIX = "mnt"
_TOKEN = re.compile(r"mnt_([0-9a-f]{12})_([A-Za-z0-9_-]{43})", re.ASCII)
_NAME = re.compile(r"[^\x00-\x1f\x7f]{1,100}")


@dataclass(frozen=True)
class Principal:
    """Who a request acts as: the token's id, its name, and its role."""

    token_id: str
    name: str
    role: Role

    def allows(self, needed: Role) -> bool:
        return self.role.allows(needed)


@dataclass(frozen=True)
class TokenInfo:
    id: str
    name: str
    role: Role
    created: str
    revoked: str = ""  # when it was revoked; '' while it is valid

    @property
    def active(self) -> bool:
        return not self.revoked


class TokenStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._rows = TokenRows(db)

    def create(self, name: str, role: Role) -> tuple[str, TokenInfo]:
        """A new token: returns its text (never stored, so never shown again) and its record."""
        name = name.strip()
        if not _NAME.fullmatch(name):
            raise MunimentError("a token name is 1 to 100 printable characters")
        token_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        info = TokenInfo(token_id, name, role, utc_now())
        self._rows.insert(token_id, name, role.value, _digest(secret), info.created)
        return f"{PREFIX}_{token_id}_{secret}", info

    def list(self) -> list[TokenInfo]:
        rows = self._rows.all()
        return [_info(r) for r in rows]

    def revoke(self, key: str) -> TokenInfo:
        """Revoke the token with this id, or the one valid token with this name."""
        rows = self._rows.by_id_or_valid_name(key)
        by_id = [r for r in rows if r["id"] == key]
        matches = by_id or rows
        if not matches:
            raise NotFoundError(f"no token with id or name {key!r}")
        if len(matches) > 1:
            raise MunimentError(f"several valid tokens are named {key!r}: revoke one by its id")
        row = matches[0]
        if row["revoked"]:
            return _info(row)
        self._rows.revoke(row["id"], utc_now())
        return _info({**row, "revoked": utc_now()})

    def authenticate(self, token: str) -> Principal | None:
        """The principal of a valid, unrevoked token; None for anything else."""
        match = _TOKEN.fullmatch(token)
        if match is None:
            return None
        token_id, secret = match.groups()
        row = self._rows.valid(token_id)
        if row is None or not hmac.compare_digest(row["secret_sha256"], _digest(secret)):
            return None
        return Principal(token_id, row["name"], Role(row["role"]))


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def _info(row: dict[str, Any]) -> TokenInfo:
    return TokenInfo(row["id"], row["name"], Role(row["role"]), row["created"], row["revoked"])
