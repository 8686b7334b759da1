"""Figures for the staff dashboard and preservation page: what is held, and fixity checks per day."""

from __future__ import annotations

from dataclasses import dataclass

from repo.catalog.db import Database
from repo.catalog.models import Event


@dataclass(frozen=True)
class Holdings:
    items: int
    pages: int
    by_status: dict[str, int]  # active, withdrawn, purged
    by_visibility: dict[str, int]  # of active items


def holdings(db: Database) -> Holdings:
    rows = db.query(
        "SELECT status, visibility, COUNT(*) AS n, COALESCE(SUM(page_count), 0) AS pages"
        " FROM items GROUP BY status, visibility"
    )
    by_status: dict[str, int] = {}
    by_visibility: dict[str, int] = {}
    pages = 0
    for r in rows:
        by_status[r["status"]] = by_status.get(r["status"], 0) + int(r["n"])
        if r["status"] == "active":
            by_visibility[r["visibility"]] = by_visibility.get(r["visibility"], 0) + int(r["n"])
            pages += int(r["pages"])
    return Holdings(sum(by_status.values()), pages, by_status, by_visibility)


def checks_per_day(db: Database, since: str) -> dict[str, int]:
    """Stored files whose last check fell on each day since ``since`` (a datestamp), by day."""
    rows = db.query(
        "SELECT SUBSTR(last_checked, 1, 10) AS day, COUNT(*) AS n FROM fixity"
        " WHERE last_checked >= ? AND sha512 <> '' GROUP BY SUBSTR(last_checked, 1, 10) ORDER BY day",
        (since,),
    )
    return {r["day"]: int(r["n"]) for r in rows}


def recent_events(db: Database, types: tuple[str, ...], limit: int) -> list[Event]:
    """The newest events of these PREMIS types, of every item."""
    rows = db.query(
        "SELECT item_id, type, datetime, outcome, agent, detail FROM events"
        f" WHERE type IN ({', '.join('?' for _ in types)}) ORDER BY datetime DESC, id DESC LIMIT ?",
        (*types, limit),
    )
    return [Event(**r) for r in rows]
