"""Staff accounts: a name, a role (the API's roles) and a password hashed with scrypt.

scrypt (hashlib's, RFC 7914) is memory-hard: n=2**15, r=8 takes 32 MB and about a tenth of a
second per guess, which is what makes a stolen catalog slow to attack. The parameters are stored
with each hash, so stronger ones later still verify the old hashes. Failed sign-ins are recorded
and counted per account and per address: past the limit, sign-in is paused and the password is
not even checked, so guessing goes no faster by trying harder.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from repo.auth.roles import Role
from repo.catalog import Database, utc_now
from repo.catalog.models import format_datestamp
from repo.catalog.staff_rows import UserRows
from repo.errors import MunimentError, NotFoundError

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
_N, _R, _P = 2**15, 8, 1
_MAXMEM = 64 * 1024 * 1024
MIN_PASSWORD = 10


class SignInRefused(MunimentError):
    """A sign-in that did not succeed: the message never says whether the account exists."""

    status = 401


class SignInPaused(SignInRefused):
    status = 429

    def __init__(self, minutes: int) -> None:
        super().__init__(f"too many failed sign-ins: sign-in is paused; try again in {minutes} minutes")
        self.minutes = minutes


@dataclass(frozen=True)
class StaffUser:
    name: str
    role: Role
    created: str
    disabled: str = ""  # when the account was disabled; '' while it may sign in
    last_sign_in: str = ""

    def allows(self, needed: Role) -> bool:
        return self.role.allows(needed)


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, maxmem=_MAXMEM, dklen=32)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        found = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=_MAXMEM,
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(found, expected)


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise MunimentError(f"password: at least {MIN_PASSWORD} characters")
    if len(password) > 1024:
        raise MunimentError("password: at most 1024 characters")


class UserStore:
    def __init__(self, db: Database, *, failures: int = 5, pause_minutes: int = 15) -> None:
        self.db = db
        self._rows = UserRows(db)
        self.failures = failures
        self.pause_minutes = pause_minutes

    def create(self, name: str, role: Role, password: str) -> StaffUser:
        if not _NAME.fullmatch(name):
            raise MunimentError(
                f"user name {name!r}: 1 to 64 letters, digits and . _ @ -, starting with a letter or digit"
            )
        check_password(password)
        user = StaffUser(name, role, utc_now())
        if not self._rows.insert(name, role.value, hash_password(password), user.created):
            raise MunimentError(f"user {name!r} already exists")
        return user

    def get(self, name: str) -> StaffUser | None:
        row = self._rows.get(name)
        return _user(row) if row else None

    def list(self) -> list[StaffUser]:
        rows = self._rows.all()
        return [_user(r) for r in rows]

    def update(self, name: str, *, role: Role | None = None, disabled: bool | None = None) -> StaffUser:
        if self.get(name) is None:
            raise NotFoundError(f"no user {name!r}")
        if role is not None:
            self._rows.set_role(name, role.value)
        if disabled is not None:
            self._rows.set_disabled(name, utc_now() if disabled else "")
        found = self.get(name)
        assert found is not None
        return found

    def set_password(self, name: str, password: str) -> None:
        check_password(password)
        if not self._rows.set_password_hash(name, hash_password(password)):
            raise NotFoundError(f"no user {name!r}")

    def authenticate(self, name: str, password: str, remote: str) -> StaffUser:
        """The user, or ``SignInRefused`` (``SignInPaused`` after too many recent failures)."""
        name = name.strip()[:200]
        self._refuse_if_paused(name, remote)
        row = self._rows.with_hash(name)
        good = verify_password(password, row["password_hash"] if row else _unknown_account_hash())
        if row is None or not good or row["disabled"]:
            self._rows.record_failure(name, remote[:200], utc_now())
            raise SignInRefused("the name or the password is wrong (or the account is disabled)")
        now = utc_now()
        self._rows.signed_in(name, now)
        return _user({**row, "last_sign_in": now})

    def _refuse_if_paused(self, name: str, remote: str) -> None:
        since = format_datestamp(datetime.now(UTC) - timedelta(minutes=self.pause_minutes))
        by_account, by_remote = self._rows.failures_since(name, remote, since)
        if by_account >= self.failures or by_remote >= 4 * self.failures:
            raise SignInPaused(self.pause_minutes)


@functools.cache
def _unknown_account_hash() -> str:
    """Checked when an account is unknown, so that a wrong name costs as long as a wrong password."""
    return hash_password(secrets.token_urlsafe(16))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _user(row: dict[str, object]) -> StaffUser:
    return StaffUser(
        str(row["name"]), Role(str(row["role"])), str(row["created"]), str(row["disabled"]), str(row["last_sign_in"])
    )
