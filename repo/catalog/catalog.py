"""Catalog operations on collections, items, files, metadata and events."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from repo.catalog.changes import announce_collection, announce_item
from repo.catalog.db import Database, DatabaseOptions
from repo.catalog.models import (
    Collection,
    Event,
    FixityRow,
    Item,
    ItemMetadata,
    PageFile,
    Replication,
    utc_now,
)
from repo.catalog.schema import migrate
from repo.errors import NotFoundError


class Catalog:
    def __init__(self, db: Database) -> None:
        self.db = db

    @classmethod
    def open(cls, url: str, options: DatabaseOptions | None = None) -> Catalog:
        catalog = cls(Database(url, options))
        migrate(catalog.db)
        return catalog

    def close(self) -> None:
        self.db.close()

    # -- collections --------------------------------------------------------------------------

    def ensure_collection(
        self, slug: str, title: str | None = None, description: str = "", rights: str = ""
    ) -> Collection:
        existing = self.get_collection(slug)
        if existing:
            return existing
        now = utc_now()
        self.insert_collection(Collection(slug, title or default_title(slug), description, rights, now, now))
        collection = self.get_collection(slug)
        assert collection is not None
        return collection

    def insert_collection(self, collection: Collection) -> bool:
        """Add the collection exactly as given (dates included); False when the slug is taken."""
        columns = list(Collection.__dataclass_fields__)
        with self.db.transaction():
            inserted = (
                self.db.execute(
                    f"INSERT INTO collections ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
                    " ON CONFLICT (slug) DO NOTHING",
                    [getattr(collection, c) for c in columns],
                )
                == 1
            )
            announce_collection(self.db, collection.slug)
        return inserted

    def update_collection(self, slug: str, **changes: str) -> Collection:
        allowed = {"title", "description", "rights", "thumbnail_item"}
        sets = {k: v for k, v in changes.items() if k in allowed}
        if sets:
            assignments = ", ".join(f"{k} = ?" for k in sets)
            with self.db.transaction():
                self.db.execute(
                    f"UPDATE collections SET {assignments}, modified = ? WHERE slug = ?",
                    (*sets.values(), utc_now(), slug),
                )
                announce_collection(self.db, slug)
        collection = self.get_collection(slug)
        if collection is None:
            raise NotFoundError(f"no collection {slug!r}")
        return collection

    def get_collection(self, slug: str) -> Collection | None:
        row = self.db.query_one("SELECT * FROM collections WHERE slug = ?", (slug,))
        return Collection(**row) if row else None

    def list_collections(self) -> list[Collection]:
        return [Collection(**row) for row in self.db.query("SELECT * FROM collections ORDER BY title, slug")]

    # -- items ----------------------------------------------------------------------------------

    def get_item(self, item_id: str) -> Item | None:
        row = self.db.query_one("SELECT * FROM items WHERE id = ?", (item_id,))
        return Item.from_row(row) if row else None

    def require_item(self, item_id: str) -> Item:
        item = self.get_item(item_id)
        if item is None:
            raise NotFoundError(f"no item {item_id!r}")
        return item

    def find_by_content(self, content_key: str) -> Item | None:
        row = self.db.query_one("SELECT * FROM items WHERE content_key = ?", (content_key,))
        return Item.from_row(row) if row else None

    def list_items(self, collection: str | None = None, *, limit: int = 100, offset: int = 0) -> list[Item]:
        where, params = ("WHERE collection = ?", [collection]) if collection else ("", [])
        rows = self.db.query(
            f"SELECT * FROM items {where} ORDER BY created, id LIMIT ? OFFSET ?", (*params, limit, offset)
        )
        return [Item.from_row(r) for r in rows]

    def count_items(self, collection: str | None = None) -> int:
        where, params = ("WHERE collection = ?", [collection]) if collection else ("", [])
        row = self.db.query_one(f"SELECT COUNT(*) AS n FROM items {where}", params)
        return int(row["n"]) if row else 0

    def stored_item_ids(self) -> list[str]:
        """Every item that still has an object (all but purged tombstones), in id order."""
        return [r["id"] for r in self.db.query("SELECT id FROM items WHERE status <> 'purged' ORDER BY id")]

    def files(self, item_id: str, first: int = 1, last: int | None = None) -> list[PageFile]:
        """The item's pages in order (``first`` to ``last``: a part of a long item's)."""
        rows = self.db.query(
            "SELECT seq, path, label, size, sha512, mime, width, height, derivative_key, thumbnail_key"
            " FROM files WHERE item_id = ? AND seq >= ? AND seq <= ? ORDER BY seq",
            (item_id, first, last if last is not None else 2**62),
        )
        return [PageFile(**row) for row in rows]

    def metadata(self, item_id: str) -> ItemMetadata | None:
        row = self.db.query_one("SELECT * FROM metadata WHERE item_id = ?", (item_id,))
        return ItemMetadata.from_row(row) if row else None

    def events(self, item_id: str) -> list[Event]:
        rows = self.db.query(
            "SELECT item_id, type, datetime, outcome, agent, detail FROM events"
            " WHERE item_id = ? ORDER BY datetime, id",
            (item_id,),
        )
        return [Event(**row) for row in rows]

    def register_item(
        self, item: Item, files: Sequence[PageFile], metadata: ItemMetadata | None, events: Sequence[Event]
    ) -> None:
        """Record a stored item in one transaction; called only after its OCFL inventory is written.

        ``metadata`` is None only for a tombstone (a purged item) recreated by rebuild-catalog.
        """
        with self.db.transaction():
            self.db.execute(
                "INSERT INTO items (id, collection, external_id, content_key, title, visibility, embargo_until,"
                " status, status_reason, version, page_count, created, datestamp) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    item.id,
                    item.collection,
                    item.external_id,
                    item.content_key,
                    item.title,
                    item.visibility,
                    item.embargo_until,
                    item.status,
                    item.status_reason,
                    item.version,
                    item.page_count,
                    item.created,
                    item.datestamp,
                ),
            )
            self.db.executemany(
                "INSERT INTO files (item_id, seq, path, label, size, sha512, mime, width, height, derivative_key,"
                " thumbnail_key) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        item.id,
                        f.seq,
                        f.path,
                        f.label,
                        f.size,
                        f.sha512,
                        f.mime,
                        f.width,
                        f.height,
                        f.derivative_key,
                        f.thumbnail_key,
                    )
                    for f in files
                ],
            )
            if metadata is not None:
                self._write_metadata(item.id, metadata)
            self.add_events(events)
            announce_item(self.db, item.id)

    def replace_metadata(
        self, item_id: str, title: str, metadata: ItemMetadata, version: int, events: Sequence[Event]
    ) -> None:
        """A new version's metadata; the datestamp moves so harvesters pick the change up."""
        with self.db.transaction():
            self.db.execute("DELETE FROM metadata WHERE item_id = ?", (item_id,))
            self._write_metadata(item_id, metadata)
            self.db.execute(
                "UPDATE items SET title = ?, version = ?, datestamp = ? WHERE id = ?",
                (title, version, utc_now(), item_id),
            )
            self.add_events(events)
            announce_item(self.db, item_id)

    def set_status(
        self,
        item_id: str,
        *,
        status: str | None = None,
        reason: str | None = None,
        visibility: str | None = None,
        embargo_until: str | None = None,
    ) -> Item:
        with self.db.transaction():
            item = self.require_item(item_id)
            self.db.execute(
                "UPDATE items SET status = ?, status_reason = ?, visibility = ?, embargo_until = ?, datestamp = ?"
                " WHERE id = ?",
                (
                    status or item.status,
                    reason if status else item.status_reason,
                    visibility or item.visibility,
                    embargo_until if visibility else item.embargo_until,
                    utc_now(),
                    item_id,
                ),
            )
            announce_item(self.db, item_id)
        return self.require_item(item_id)

    def _write_metadata(self, item_id: str, m: ItemMetadata) -> None:
        self.db.execute(
            "INSERT INTO metadata (item_id, dc_json, dc_xml, mods_xml, marc_xml, language, creators, subjects,"
            " description, date, date_start, date_end, type, rights, toc_json, full_text)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                item_id,
                json.dumps(m.dc, ensure_ascii=False),
                m.dc_xml,
                m.mods_xml,
                m.marc_xml,
                m.language,
                m.creators,
                m.subjects,
                m.description,
                m.date,
                m.date_start,
                m.date_end,
                m.type,
                m.rights,
                json.dumps(m.toc, ensure_ascii=False),
                m.full_text,
            ),
        )

    def add_events(self, events: Sequence[Event]) -> None:
        self.db.executemany(
            "INSERT INTO events (item_id, type, datetime, outcome, agent, detail) VALUES (?,?,?,?,?,?)",
            [(e.item_id, e.type, e.datetime, e.outcome, e.agent, e.detail) for e in events],
        )

    def set_version(self, item_id: str, version: int) -> None:
        """The head OCFL version after a write that changes no catalog field (e.g. OCR text, a withdrawal)."""
        with self.db.transaction():
            self.db.execute("UPDATE items SET version = ? WHERE id = ?", (version, item_id))
            announce_item(self.db, item_id)

    def purge_item(self, item_id: str, reason: str, datestamp: str, events: Sequence[Event]) -> Item:
        """Keep only a tombstone row (status 'purged', which OAI-PMH reports as deleted) and the events."""
        with self.db.transaction():
            for table in _ITEM_TABLES:
                self.db.execute(f"DELETE FROM {table} WHERE item_id = ?", (item_id,))
            self.db.execute(
                "UPDATE items SET status = 'purged', status_reason = ?, datestamp = ? WHERE id = ?",
                (reason, datestamp, item_id),
            )
            self.add_events(events)
            announce_item(self.db, item_id)
        return self.require_item(item_id)

    def clear(self) -> None:
        """Remove every row (rebuild-catalog refills the catalog from storage). The record of public
        changes stays: rebuild-catalog announces only what differs from it."""
        with self.db.transaction():
            # The index before the items: a cascade would take their facet counts one item at a time.
            for table in ("events", *_ITEM_TABLES, "search_subjects", "search_docs", "items", "collections"):
                self.db.execute(f"DELETE FROM {table}")

    # -- fixity -------------------------------------------------------------------------------

    def sync_fixity(self, item_id: str, copy: str, version: int, files: Sequence[tuple[str, str, int]]) -> None:
        """Make the copy's rows the content files ``(content path, sha512, size)`` of ``version``.

        Rows of files still there keep their last check; new files start unchecked.
        """
        with self.db.transaction():
            rows = self.db.query(
                "SELECT content_path, sha512 FROM fixity WHERE item_id = ? AND copy = ?", (item_id, copy)
            )
            existing = {r["content_path"]: r["sha512"] for r in rows}
            wanted = {path: (sha512, size) for path, sha512, size in files}
            for path, sha512 in existing.items():
                if wanted.get(path, ("",))[0] != sha512:
                    self.db.execute(
                        "DELETE FROM fixity WHERE item_id = ? AND copy = ? AND content_path = ?",
                        (item_id, copy, path),
                    )
            self.db.executemany(
                "INSERT INTO fixity (item_id, copy, content_path, sha512, size) VALUES (?,?,?,?,?)",
                [
                    (item_id, copy, path, sha512, size)
                    for path, (sha512, size) in wanted.items()
                    if existing.get(path) != sha512
                ],
            )
            self.db.execute("DELETE FROM fixity_versions WHERE item_id = ? AND copy = ?", (item_id, copy))
            self.db.execute(
                "INSERT INTO fixity_versions (item_id, copy, version) VALUES (?,?,?)",
                (item_id, copy, version),
            )

    def fixity_version(self, item_id: str, copy: str) -> int | None:
        """The object version the copy's fixity rows of the item were taken from; None before any."""
        row = self.db.query_one("SELECT version FROM fixity_versions WHERE item_id = ? AND copy = ?", (item_id, copy))
        return int(row["version"]) if row else None

    def fixity_unsynced(self, copy: str, *, replicated: bool) -> list[tuple[str, int]]:
        """(item id, version) whose rows for ``copy`` are missing or older than the version it holds:
        the head version for the preservation copy, the replicated version for the replica."""
        source = (
            "SELECT item_id AS id, version FROM replication"
            if replicated
            else "SELECT id, version FROM items WHERE status <> 'purged'"
        )
        rows = self.db.query(
            f"SELECT s.id, s.version FROM ({source}) s LEFT JOIN fixity_versions f"
            " ON f.item_id = s.id AND f.copy = ?"
            " WHERE f.version IS NULL OR f.version <> s.version ORDER BY s.id",
            (copy,),
        )
        return [(r["id"], int(r["version"])) for r in rows]

    def fixity_due(
        self, before: str, limit: int, item_id: str | None = None, copies: Sequence[str] = ()
    ) -> list[FixityRow]:
        """Rows (of ``copies``, when given) last checked before ``before``, never-checked first, then
        oldest check first."""
        where, params = "", list[object]()
        if item_id:
            where, params = " AND item_id = ?", [item_id]
        if copies:
            where += f" AND copy IN ({', '.join('?' for _ in copies)})"
            params += list(copies)
        rows = self.db.query(
            f"SELECT * FROM fixity WHERE last_checked < ? AND sha512 <> ''{where}"
            " ORDER BY last_checked, item_id, copy, content_path LIMIT ?",
            (before, *params, limit),
        )
        return [FixityRow(**r) for r in rows]

    def record_fixity(
        self,
        results: Sequence[FixityRow],
        events: Sequence[Event],
        findings: Mapping[tuple[str, str], Sequence[FixityRow]] | None = None,
    ) -> None:
        """Checked rows and their events; ``findings`` by (item, copy) replace that copy's findings
        (rows without a digest: a damaged inventory, a stray file, a missing derivative)."""
        with self.db.transaction():
            self.db.executemany(
                "UPDATE fixity SET last_checked = ?, last_result = ?, detail = ?"
                " WHERE item_id = ? AND copy = ? AND content_path = ?",
                [(r.last_checked, r.last_result, r.detail, r.item_id, r.copy, r.content_path) for r in results],
            )
            for (item_id, copy), rows in (findings or {}).items():
                self.db.execute("DELETE FROM fixity WHERE item_id = ? AND copy = ? AND sha512 = ''", (item_id, copy))
                self.db.executemany(
                    "INSERT INTO fixity (item_id, copy, content_path, sha512, size, last_checked, last_result,"
                    " detail) VALUES (?,?,?,'',0,?,?,?)",
                    [(r.item_id, r.copy, r.content_path, r.last_checked, r.last_result, r.detail) for r in rows],
                )
            self.add_events(events)

    def fixity_rows(self, kind: str, *, cutoff: str = "", limit: int | None = None) -> list[FixityRow]:
        """``failed`` (last check failed), ``never`` (never checked), ``overdue`` (checked before
        ``cutoff``) or ``all`` rows, in check order."""
        params: list[object] = [cutoff] if kind == "overdue" else []
        tail = ""
        if limit is not None:
            tail = " LIMIT ?"
            params.append(limit)
        rows = self.db.query(
            f"SELECT * FROM fixity WHERE {_FIXITY_KINDS[kind]}"
            f" ORDER BY last_checked, item_id, copy, content_path{tail}",
            params,
        )
        return [FixityRow(**r) for r in rows]

    def fixity_count(self, kind: str, *, cutoff: str = "") -> int:
        row = self.db.query_one(
            f"SELECT COUNT(*) AS n FROM fixity WHERE {_FIXITY_KINDS[kind]}", [cutoff] if kind == "overdue" else []
        )
        return int(row["n"]) if row else 0

    def fixity_bytes(self) -> int:
        row = self.db.query_one("SELECT COALESCE(SUM(size), 0) AS n FROM fixity WHERE sha512 <> ''")
        return int(row["n"]) if row else 0

    # -- replication --------------------------------------------------------------------------

    def record_replication(self, replication: Replication, events: Sequence[Event]) -> None:
        with self.db.transaction():
            self.db.execute("DELETE FROM replication WHERE item_id = ?", (replication.item_id,))
            self.db.execute(
                "INSERT INTO replication (item_id, version, inventory_sha512, replicated) VALUES (?,?,?,?)",
                (
                    replication.item_id,
                    replication.version,
                    replication.inventory_sha512,
                    replication.replicated,
                ),
            )
            self.add_events(events)

    def replication(self, item_id: str) -> Replication | None:
        row = self.db.query_one("SELECT * FROM replication WHERE item_id = ?", (item_id,))
        return Replication(**row) if row else None

    def unreplicated(self) -> list[Item]:
        """Items (not purged) whose head version is not yet verified on the replica."""
        rows = self.db.query(
            "SELECT i.* FROM items i LEFT JOIN replication r ON r.item_id = i.id"
            " WHERE i.status <> 'purged' AND (r.version IS NULL OR r.version <> i.version) ORDER BY i.id"
        )
        return [Item.from_row(r) for r in rows]


def default_title(slug: str) -> str:
    """The title of a collection made without one (by an ingest naming a new collection)."""
    return slug.replace("-", " ").title()


# Rows that belong to one item besides its ``items`` row and its events (kept for tombstones).
_ITEM_TABLES = (
    "files",
    "metadata",
    "fixity",
    "fixity_versions",
    "replication",
    "page_words",
    "page_terms",
    "page_pairs",
    "page_text",
)
# Findings (rows without a digest) are problems, not files to check: only ``failed`` holds them.
_FIXITY_KINDS = {
    "failed": "last_result IN ('failed', 'missing', 'stray')",
    "never": "last_checked = '' AND sha512 <> ''",
    "overdue": "last_checked <> '' AND last_checked < ? AND sha512 <> ''",
    "all": "sha512 <> ''",
}
