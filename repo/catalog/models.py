"""The catalog's records, as plain typed values."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


def utc_now() -> str:
    """Now as an OAI-PMH datestamp (seconds granularity, UTC)."""
    return format_datestamp(datetime.now(UTC))


def format_datestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Collection:
    slug: str
    title: str
    description: str = ""
    rights: str = ""
    created: str = ""
    modified: str = ""
    thumbnail_item: str = ""  # the item whose first page stands for the collection ('' : none chosen)


@dataclass(frozen=True)
class PageFile:
    seq: int
    path: str  # logical path in the bag, e.g. data/p001.tif
    label: str
    size: int
    sha512: str
    mime: str
    width: int
    height: int
    derivative_key: str  # key of the pyramidal TIFF in access storage
    thumbnail_key: str


@dataclass(frozen=True)
class ItemMetadata:
    dc: dict[str, list[str]]
    dc_xml: str
    mods_xml: str
    language: str | None = None
    marc_xml: str = ""  # the MARC record as submitted, else MARCXML made from the MODS
    creators: str = ""
    subjects: str = ""
    description: str = ""
    date: str | None = None
    date_start: int | None = None
    date_end: int | None = None
    type: str | None = None
    rights: str | None = None
    toc: list[dict[str, Any]] = field(default_factory=list)
    full_text: str = ""

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ItemMetadata:
        return cls(
            dc=json.loads(row["dc_json"]),
            dc_xml=row["dc_xml"],
            mods_xml=row["mods_xml"],
            marc_xml=row.get("marc_xml") or "",
            language=row["language"],
            creators=row["creators"],
            subjects=row["subjects"],
            description=row["description"],
            date=row["date"],
            date_start=row["date_start"],
            date_end=row["date_end"],
            type=row["type"],
            rights=row["rights"],
            toc=json.loads(row["toc_json"]),
            full_text=row["full_text"],
        )


@dataclass(frozen=True)
class Item:
    id: str
    collection: str
    title: str
    content_key: str
    page_count: int
    created: str
    datestamp: str
    external_id: str | None = None
    visibility: str = "public"  # public | restricted | embargoed
    embargo_until: str | None = None
    status: str = "active"  # active | withdrawn | purged (a tombstone: the object is gone)
    status_reason: str | None = None
    version: int = 1

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Item:
        return cls(**{k: row[k] for k in cls.__dataclass_fields__})

    def is_public(self, now: str | None = None) -> bool:
        """Visible to anyone without a token: active and public, or past its embargo."""
        if self.status != "active":
            return False
        if self.visibility == "public":
            return True
        if self.visibility == "embargoed" and self.embargo_until:
            return (now or utc_now()) >= self.embargo_until
        return False


@dataclass(frozen=True)
class Event:
    item_id: str
    type: str
    datetime: str
    outcome: str
    agent: str
    detail: str = ""


@dataclass(frozen=True)
class FixityRow:
    """One stored content file of one copy, and its last fixity check ('' when never checked)."""

    item_id: str
    copy: str  # "preservation" or "replica"
    content_path: str  # relative to the OCFL object root, e.g. v1/content/data/p1.tif
    sha512: str
    size: int
    last_checked: str = ""
    last_result: str = ""  # ok | failed | missing | repaired | stray
    detail: str = ""

    @property
    def finding(self) -> bool:
        """A problem fixity found beside the content files (an inventory, a stray file, an access
        derivative): a row without a digest to check."""
        return self.sha512 == ""


@dataclass(frozen=True)
class Replication:
    """The last object version copied to the replica and verified there."""

    item_id: str
    version: int
    inventory_sha512: str
    replicated: str
