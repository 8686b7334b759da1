"""The record of public changes that IIIF Change Discovery publishes: an append-only list of
``Create``, ``Update`` and ``Delete`` activities on manifests (items) and collections.

What a public harvester may learn is what the access decision shows the public (``Item.is_public``,
the twin of ``repo.access.public_items_sql``): an item appears (``Create``) when it becomes public,
at ingest, when made public or when its embargo ends; a new version of a public item is an
``Update``; it disappears (``Delete``) when it stops being public: withdrawn, purged, restricted or
embargoed again. Restricted and still-embargoed items are never mentioned, as in OAI-PMH.

Right after crashes and across processes: the catalog's write methods call ``announce_item`` or
``announce_collection`` inside their own transaction, so an activity commits with its change or
not at all, whoever writes. Each compares what the public sees now with what the stream last said
(``discovery_objects``), so a call repeated, or made after a change that a harvester cannot see,
appends nothing. Activities are numbered from 1 without gaps (``discovery_head`` holds the last
number, and its row lock serializes writers), so numbers follow commit order and a page of the
stream, a fixed range of numbers, never changes once a later page exists.

An embargo end is a time passing, not a write. The stream materializes the ends that are due
before each append and before each read (``catch_up``), dated at the end itself as OAI-PMH dates
it: so an end is never listed after an activity that happened later, and no reader ever sees a
stream that lacks an end already passed. (A periodic scan could not promise either: an activity
recorded between the end and the scan would come before it.) Times never go backwards along the
stream: an activity is dated no earlier than the one before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from repo.catalog.db import Database, Row
from repo.catalog.models import Item, utc_now
from repo.catalog.schema import EMBARGO_END

CREATE, UPDATE, DELETE = "Create", "Update", "Delete"
MANIFEST, COLLECTION = "Manifest", "Collection"

# Embargo ends this long before the last catch-up are looked at again: a process whose clock lags
# another's must not skip an end the other's clock had already passed.
_CLOCK_MARGIN = timedelta(days=1)


@dataclass(frozen=True)
class Activity:
    seq: int  # from 1; the activity's place in the stream and its stable identifier
    type: str
    object_type: str
    object_key: str  # an item id or a collection slug
    end_time: str


def total(db: Database) -> int:
    row = db.query_one("SELECT seq FROM discovery_head WHERE id = 1")
    return int(row["seq"]) if row else 0


def activities(db: Database, first: int, last: int) -> list[Activity]:
    """The activities numbered ``first`` to ``last``, inclusive, in order."""
    rows = db.query(
        "SELECT seq, type, object_type, object_key, end_time FROM discovery_activities"
        " WHERE seq >= ? AND seq <= ? ORDER BY seq",
        (first, last),
    )
    return [Activity(**row) for row in rows]


def announce_item(db: Database, item_id: str, now: str | None = None) -> None:
    """Append what a public harvester should learn of ``item_id``'s current state, if anything."""
    now = now or utc_now()
    with db.transaction():
        _lock(db, now)
        row = db.query_one("SELECT * FROM items WHERE id = ?", (item_id,))
        item = Item.from_row(row) if row else None
        live = item is not None and item.is_public(now)
        _settle(db, MANIFEST, item_id, live, str(item.version) if item else "", now)


def announce_collection(db: Database, slug: str, now: str | None = None) -> None:
    """The same for a collection: there while it exists (collections are always public); its own
    record's changes (title, description, rights) are ``Update``s. Its member list is announced by
    its members' activities: each manifest names its collection (``partOf``)."""
    now = now or utc_now()
    with db.transaction():
        _lock(db, now)
        row = db.query_one("SELECT modified FROM collections WHERE slug = ?", (slug,))
        _settle(db, COLLECTION, slug, row is not None, str(row["modified"]) if row else "", now)


def announce_missing(db: Database, now: str | None = None) -> None:
    """Delete what the stream holds live but the catalog no longer has at all: after rebuild-catalog,
    whose writes announce what they restore, for what storage no longer holds."""
    now = now or utc_now()
    with db.transaction():
        _lock(db, now)
        gone = db.query(
            "SELECT object_type, object_key FROM discovery_objects o WHERE o.live = 1 AND NOT EXISTS"
            " (SELECT 1 FROM items i WHERE o.object_type = ? AND i.id = o.object_key) AND NOT EXISTS"
            " (SELECT 1 FROM collections c WHERE o.object_type = ? AND c.slug = o.object_key)"
            " ORDER BY object_type, object_key",
            (MANIFEST, COLLECTION),
        )
        for row in gone:
            _settle(db, row["object_type"], row["object_key"], False, "", now)


def catch_up(db: Database, now: str | None = None) -> None:
    """Append the embargo ends due by ``now`` that the stream lacks (before a read); a read-only
    look-up when there are none, as there almost always are."""
    now = now or utc_now()
    if _due_embargoes(db, now):
        with db.transaction():
            _lock(db, now)


def _lock(db: Database, now: str) -> None:
    """Take the stream's write lock (the head row, until the transaction ends), then append the
    embargo ends due by ``now``, in the order they ended."""
    db.execute("UPDATE discovery_head SET seq = seq WHERE id = 1")
    for row in _due_embargoes(db, now):
        _settle(db, MANIFEST, row["id"], True, str(row["version"]), now, at=row["ended"])
    db.execute("UPDATE discovery_head SET embargoes_to = ? WHERE id = 1 AND embargoes_to < ?", (now, now))


def _due_embargoes(db: Database, now: str) -> list[Row]:
    head = db.query_one("SELECT embargoes_to FROM discovery_head WHERE id = 1")
    since = _earlier(str(head["embargoes_to"]) if head else "")
    return db.query(
        f"SELECT i.id, i.version, {EMBARGO_END} AS ended FROM items i"
        " LEFT JOIN discovery_objects o ON o.object_type = ? AND o.object_key = i.id"
        " WHERE i.visibility = 'embargoed' AND i.embargo_until <= ? AND i.embargo_until >= ?"
        " AND i.status = 'active' AND (o.live IS NULL OR o.live = 0)"
        f" ORDER BY {EMBARGO_END}, i.id",
        (MANIFEST, now, since),
    )


def _earlier(moment: str) -> str:
    """``moment`` less the clock margin, as a day (which compares below every time of that day)."""
    if not moment:
        return ""
    when = datetime.strptime(moment, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) - _CLOCK_MARGIN
    return when.strftime("%Y-%m-%d")


def _settle(db: Database, kind: str, key: str, live: bool, state: str, now: str, at: str | None = None) -> None:
    """Append the activity that takes the stream from what it said of the object to ``live``
    (``state``: its version, or a collection's modified time); nothing when they agree."""
    said = db.query_one(
        "SELECT live, state FROM discovery_objects WHERE object_type = ? AND object_key = ?", (kind, key)
    )
    was_live = bool(said and said["live"])
    if live and not was_live:
        kind_of_change = CREATE
    elif was_live and not live:
        kind_of_change = DELETE
    elif live and said is not None and said["state"] != state:
        kind_of_change = UPDATE
    else:
        return
    head = db.query_one("SELECT seq, end_time FROM discovery_head WHERE id = 1")
    assert head is not None  # migration 8 made it
    seq, end_time = int(head["seq"]) + 1, max(at or now, str(head["end_time"]))
    db.execute(
        "INSERT INTO discovery_activities (seq, type, object_type, object_key, end_time) VALUES (?,?,?,?,?)",
        (seq, kind_of_change, kind, key, end_time),
    )
    db.execute("UPDATE discovery_head SET seq = ?, end_time = ? WHERE id = 1", (seq, end_time))
    if said is None:
        db.execute(
            "INSERT INTO discovery_objects (object_type, object_key, live, state) VALUES (?,?,?,?)",
            (kind, key, int(live), state),
        )
    else:
        db.execute(
            "UPDATE discovery_objects SET live = ?, state = ? WHERE object_type = ? AND object_key = ?",
            (int(live), state, kind, key),
        )
