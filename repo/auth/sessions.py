"""Staff sessions, kept in the catalog: a random id (only its SHA-256 is stored), whose user, a CSRF
token, and when it ends.

A visitor gets a session before signing in (it carries the sign-in form's CSRF token only); signing
in ends it and starts a new one under a new id, so an id planted or seen before sign-in is worth
nothing after. The cookie is the id with an HMAC of it under the secret key, so a forged or
truncated cookie is refused before the database is asked. Any worker on any machine reads the same
rows: web workers stay stateless.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from repo.catalog import Database, utc_now
from repo.catalog.models import format_datestamp
from repo.catalog.staff_rows import SessionRows


@dataclass(frozen=True)
class StaffSession:
    id: str  # the secret id (what the cookie carries, signed); never stored
    user_name: str  # '' before sign-in
    csrf: str
    expires: str

    @property
    def signed_in(self) -> bool:
        return bool(self.user_name)


class SessionStore:
    def __init__(self, db: Database, secret_key: str, *, hours: int = 12) -> None:
        self.db = db
        self._rows = SessionRows(db)
        self._key = hashlib.sha256(b"muniment staff session\0" + secret_key.encode()).digest()
        self.hours = hours

    def start(self, user_name: str = "", *, hours: float | None = None) -> StaffSession:
        """A new session (anonymous when ``user_name`` is ''); expired rows are cleared on the way."""
        now = datetime.now(UTC)
        lifetime = timedelta(hours=self.hours if hours is None else hours)
        session = StaffSession(
            secrets.token_urlsafe(32), user_name, secrets.token_urlsafe(32), format_datestamp(now + lifetime)
        )
        self._rows.insert(_digest(session.id), user_name, session.csrf, format_datestamp(now), session.expires)
        return session

    def find(self, cookie: str | None) -> StaffSession | None:
        """The live session a cookie names; None for a missing, forged, ended or expired one."""
        session_id = self._verify(cookie)
        if session_id is None:
            return None
        row = self._rows.live(_digest(session_id), utc_now())
        return StaffSession(session_id, row["user_name"], row["csrf"], row["expires"]) if row else None

    def end(self, session: StaffSession) -> None:
        self._rows.delete(_digest(session.id))

    def end_all(self, user_name: str) -> None:
        """Sign a user out everywhere (a disabled account, a changed password)."""
        self._rows.delete_of_user(user_name)

    def cookie(self, session: StaffSession) -> str:
        return f"{session.id}.{self._mac(session.id)}"

    def _verify(self, cookie: str | None) -> str | None:
        if not cookie or len(cookie) > 200:
            return None
        session_id, _, mac = cookie.partition(".")
        if not session_id or not hmac.compare_digest(mac, self._mac(session_id)):
            return None
        return session_id

    def _mac(self, session_id: str) -> str:
        return hmac.new(self._key, session_id.encode(), hashlib.sha256).hexdigest()


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()
