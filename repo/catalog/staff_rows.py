"""The catalog's rows of staff accounts, failed sign-ins and staff sessions: the SQL behind
``repo.auth.users`` and ``repo.auth.sessions``, which keep the rules (hashing, pauses, cookies)."""

from __future__ import annotations

from repo.catalog.db import Database, Row

_USER = "SELECT name, role, created, disabled, last_sign_in FROM staff_users"


class UserRows:
    def __init__(self, db: Database) -> None:
        self.db = db

    def insert(self, name: str, role: str, password_hash: str, created: str) -> bool:
        """False when the name is taken."""
        return (
            self.db.execute(
                "INSERT INTO staff_users (name, role, password_hash, created) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (name) DO NOTHING",
                (name, role, password_hash, created),
            )
            == 1
        )

    def get(self, name: str) -> Row | None:
        return self.db.query_one(f"{_USER} WHERE name = ?", (name,))

    def all(self) -> list[Row]:
        return self.db.query(f"{_USER} ORDER BY name")

    def with_hash(self, name: str) -> Row | None:
        return self.db.query_one("SELECT * FROM staff_users WHERE name = ?", (name,))

    def set_role(self, name: str, role: str) -> None:
        self.db.execute("UPDATE staff_users SET role = ? WHERE name = ?", (role, name))

    def set_disabled(self, name: str, disabled: str) -> None:
        self.db.execute("UPDATE staff_users SET disabled = ? WHERE name = ?", (disabled, name))

    def set_password_hash(self, name: str, password_hash: str) -> bool:
        """False when there is no such user."""
        return self.db.execute("UPDATE staff_users SET password_hash = ? WHERE name = ?", (password_hash, name)) == 1

    def signed_in(self, name: str, at: str) -> None:
        """A good sign-in: its time kept, the account's failures forgotten."""
        self.db.execute("DELETE FROM staff_sign_in_failures WHERE account = ?", (name,))
        self.db.execute("UPDATE staff_users SET last_sign_in = ? WHERE name = ?", (at, name))

    def record_failure(self, account: str, remote: str, at: str) -> None:
        self.db.execute(
            "INSERT INTO staff_sign_in_failures (account, remote, at) VALUES (?, ?, ?)", (account, remote, at)
        )

    def failures_since(self, account: str, remote: str, since: str) -> tuple[int, int]:
        """Failed sign-ins since ``since``: of the account, and from the address."""
        counts = []
        for column, value in (("account", account), ("remote", remote)):
            row = self.db.query_one(
                f"SELECT COUNT(*) AS n FROM staff_sign_in_failures WHERE {column} = ? AND at >= ?", (value, since)
            )
            counts.append(int(row["n"]) if row else 0)
        return counts[0], counts[1]


class SessionRows:
    def __init__(self, db: Database) -> None:
        self.db = db

    def insert(self, id_sha256: str, user_name: str, csrf: str, created: str, expires: str) -> None:
        """A new session; sessions expired by ``created`` are cleared on the way."""
        self.db.execute("DELETE FROM staff_sessions WHERE expires < ?", (created,))
        self.db.execute(
            "INSERT INTO staff_sessions (id_sha256, user_name, csrf, created, expires) VALUES (?, ?, ?, ?, ?)",
            (id_sha256, user_name, csrf, created, expires),
        )

    def live(self, id_sha256: str, now: str) -> Row | None:
        return self.db.query_one(
            "SELECT user_name, csrf, expires FROM staff_sessions WHERE id_sha256 = ? AND expires >= ?",
            (id_sha256, now),
        )

    def delete(self, id_sha256: str) -> None:
        self.db.execute("DELETE FROM staff_sessions WHERE id_sha256 = ?", (id_sha256,))

    def delete_of_user(self, user_name: str) -> None:
        self.db.execute("DELETE FROM staff_sessions WHERE user_name = ?", (user_name,))
