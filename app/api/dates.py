"""Embargo ends: a day, or an RFC 3339 date and time, stored as a catalog datestamp (UTC seconds)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

EMBARGO_SCHEMA: dict[str, Any] = {
    "anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}],
    "description": "YYYY-MM-DD (its first second, UTC) or an RFC 3339 date-time; public from then on",
}
_LAST = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)


def normalize_embargo(text: str) -> str:
    """``2031-01-01`` -> ``2031-01-01T00:00:00Z``; a time with an offset goes to UTC, and a fraction of a
    second rounds up (an embargo never ends early). ValueError for anything else."""
    moment = _parse(text)
    if moment.microsecond:
        try:
            moment += timedelta(microseconds=1_000_000 - moment.microsecond)
        except OverflowError:
            moment = _LAST
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}Z"
    )


def _parse(text: str) -> datetime:
    if len(text) == 10:
        try:
            return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
        except ValueError:
            raise ValueError(f"{text!r} is not a real date (YYYY-MM-DD)") from None
    if len(text) < 20 or text[10] not in "Tt" or not text[:4].isdigit():
        raise ValueError(f"{text!r} is neither YYYY-MM-DD nor an RFC 3339 date-time")
    cleaned = text[:17] + "59" + text[19:] if text[17:19] == "60" else text  # a leap second: its second before
    try:
        moment = datetime.fromisoformat(cleaned.upper().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not a real RFC 3339 date-time") from None
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone: end it with Z or an offset")
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return _LAST if moment.year > 1 else datetime(1, 1, 1, tzinfo=UTC)
