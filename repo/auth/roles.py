"""Roles of API tokens, weakest first: each role may do everything the ones before it may."""

from __future__ import annotations

from enum import Enum


class Role(Enum):
    READER = "reader"  # sees restricted and embargoed items
    CURATOR = "curator"  # ingests, edits metadata, sets visibility, reads jobs and fixity
    ADMIN = "admin"  # withdraws items and reads the audit log

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def allows(self, needed: Role) -> bool:
        return self.rank >= needed.rank

    def weaker(self) -> Role | None:
        """The role just below this one (None for the weakest): what a 403 test uses."""
        below = [r for r in Role if r.rank == self.rank - 1]
        return below[0] if below else None

    @classmethod
    def parse(cls, text: str) -> Role:
        try:
            return cls(text.strip().lower())
        except ValueError:
            names = ", ".join(r.value for r in cls)
            raise ValueError(f"unknown role {text!r}: one of {names}") from None


_RANKS = {Role.READER: 1, Role.CURATOR: 2, Role.ADMIN: 3}
