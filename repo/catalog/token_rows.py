"""The catalog's rows of API tokens and of the instance's signing key: the SQL behind
``repo.auth.tokens`` and ``repo.auth.secret``."""

from __future__ import annotations

from repo.catalog.db import Database, Row

_INFO = "SELECT id, name, role, created, revoked FROM api_tokens"


class TokenRows:
    def __init__(self, db: Database) -> None:
        self.db = db

    def insert(self, token_id: str, name: str, role: str, secret_sha256: str, created: str) -> None:
        self.db.execute(
            "INSERT INTO api_tokens (id, name, role, secret_sha256, created) VALUES (?, ?, ?, ?, ?)",
            (token_id, name, role, secret_sha256, created),
        )

    def all(self) -> list[Row]:
        return self.db.query(f"{_INFO} ORDER BY created, id")

    def by_id_or_valid_name(self, key: str) -> list[Row]:
        return self.db.query(f"{_INFO} WHERE id = ? OR (name = ? AND revoked = '')", (key, key))

    def revoke(self, token_id: str, at: str) -> None:
        self.db.execute("UPDATE api_tokens SET revoked = ? WHERE id = ?", (at, token_id))

    def valid(self, token_id: str) -> Row | None:
        return self.db.query_one(
            "SELECT name, role, secret_sha256 FROM api_tokens WHERE id = ? AND revoked = ''", (token_id,)
        )


def stored_secret(db: Database, offered: str) -> tuple[str, bool]:
    """The instance's key, and whether ``offered`` became it (workers starting at once each offer
    one; the first stored is everyone's)."""
    made = db.execute("INSERT INTO instance_secret (id, key) VALUES (1, ?) ON CONFLICT (id) DO NOTHING", (offered,))
    row = db.query_one("SELECT key FROM instance_secret WHERE id = 1")
    assert row is not None
    return str(row["key"]), bool(made)
