"""Listings by key, not by offset: a page starts after (or ends before) the key of a row already
shown, so page 5,000 costs what page 1 does when an index serves the order.

An order is a list of (SQL expression, descending?) pairs ending in a unique column. A cursor is
the key of the row a page continues from, the direction, and the position of the page's first row
(for "21–40 of 1,234"; positions drift when items are added meanwhile, the keys never do). Cursors
travel in URLs as opaque text; a malformed one is ignored (the first page is shown), never an error.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

Order = Sequence[tuple[str, bool]]  # (expression, descending)
Key = tuple[Any, ...]


@dataclass(frozen=True)
class Cursor:
    key: Key
    before: bool = False  # the page ends just before ``key`` ("previous"); else starts just after it
    position: int = 0  # 0-based position of the page's first row

    def encode(self) -> str:
        text = json.dumps([int(self.before), self.position, *self.key], separators=(",", ":"), ensure_ascii=False)
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str, width: int) -> Cursor | None:
        """The cursor ``token`` holds when it has a key of ``width`` plain values; else None."""
        try:
            values = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        except (ValueError, binascii.Error, UnicodeDecodeError):
            return None
        if not isinstance(values, list) or len(values) != width + 2:
            return None
        before, position, *key = values
        plain = (str, int, float, type(None))
        if before not in (0, 1) or not isinstance(position, int) or position < 0:
            return None
        if not all(isinstance(v, plain) and not isinstance(v, bool) for v in key):
            return None
        return cls(tuple(key), bool(before), position)


def order_by(order: Order, *, reverse: bool = False) -> str:
    return ", ".join(f"{expr} {'ASC' if desc == reverse else 'DESC'}" for expr, desc in order)


def beyond(order: Order, key: Key, *, reverse: bool = False) -> tuple[str, list[Any]]:
    """The condition that a row comes after ``key`` in ``order`` (before it with ``reverse``).

    Written as ``a >= k1 AND (a > k1 OR (a = k1 AND ...))``: the leading range lets an index on
    the first column start at the key instead of reading from the beginning. Keys hold no NULLs
    (orders put them behind COALESCE), so ``=`` and ``>`` mean what they say.
    """
    if len(key) != len(order):
        raise ValueError("a keyset cursor must have one value per ordering column")
    ors: list[str] = []
    params: list[Any] = []
    for n, (expr, desc) in enumerate(order):
        later = ">" if desc == reverse else "<"
        ties = [f"{e} = ?" for e, _ in order[:n]]
        ors.append("(" + " AND ".join([*ties, f"{expr} {later} ?"]) + ")")
        params += [*key[:n], key[n]]
    first, first_desc = order[0]
    lead = f"{first} {'>=' if first_desc == reverse else '<='} ?"
    return f"({lead} AND ({' OR '.join(ors)}))", [key[0], *params]


@dataclass(frozen=True)
class KeysetPage:
    """One page of rows with the cursors of its neighbours (None where there is none)."""

    rows: list[dict[str, Any]]
    position: int
    next: Cursor | None
    previous: Cursor | None


def page_of(
    rows: list[dict[str, Any]], key_of: Any, cursor: Cursor | None, size: int, *, start: int | None = None
) -> KeysetPage:
    """Make a page from ``rows`` fetched with ``size + 1`` as the limit, in the cursor's direction
    (reversed for "previous"); ``key_of(row)`` is a row's key; ``start`` the position of a page
    reached without a cursor (an offset)."""
    more = len(rows) > size
    rows = rows[:size]
    if cursor is not None and cursor.before:
        rows.reverse()
        position = max(0, cursor.position)
        has_previous, has_next = more, True
    else:
        position = cursor.position if cursor is not None else (start or 0)
        has_previous, has_next = cursor is not None or position > 0, more
    if not rows:
        return KeysetPage([], position, None, None)
    following = Cursor(key_of(rows[-1]), False, position + len(rows)) if has_next else None
    preceding = Cursor(key_of(rows[0]), True, max(0, position - size)) if has_previous else None
    return KeysetPage(rows, position, following, preceding)
