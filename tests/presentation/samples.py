"""Catalog records for tests, written straight into the catalog (no images needed)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from repo.catalog import Catalog, Event, Item, ItemMetadata, PageFile, utc_now
from repo.search import index_item


def pages(item_id: str, count: int, width: int = 3000, height: int = 4000) -> list[PageFile]:
    return [
        PageFile(
            seq=i,
            path=f"data/p{i:04d}.tif",
            label=f"p. {i}",
            size=1000 + i,
            sha512="a" * 128,
            mime="image/tiff",
            width=width,
            height=height,
            derivative_key=f"{item_id}/p{i}.tif",
            thumbnail_key=f"{item_id}/p{i}.jpg",
        )
        for i in range(1, count + 1)
    ]


def record(
    title: str = "Letter to Ada",
    *,
    creators: tuple[str, ...] = ("Babbage, Charles",),
    subjects: tuple[str, ...] = ("Mathematics", "Calculating machines"),
    language: str | None = "en",
    type: str | None = "Text",
    date: str | None = "1843",
    years: tuple[int, int] | None = (1843, 1843),
    description: str = "A letter about the analytical engine and its notes.",
    rights: str | None = "http://creativecommons.org/licenses/by/4.0/",
    toc: list[dict[str, Any]] | None = None,
    full_text: str = "",
) -> ItemMetadata:
    dc: dict[str, list[str]] = {
        "title": [title],
        "creator": list(creators),
        "subject": list(subjects),
        "description": [description] if description else [],
        "date": [date] if date else [],
        "type": [type] if type else [],
        "language": [language] if language else [],
        "rights": [rights] if rights else [],
    }
    return ItemMetadata(
        dc=dc,
        dc_xml=f"<oai_dc:dc><dc:title>{title}</dc:title></oai_dc:dc>",
        mods_xml=f"<mods><titleInfo><title>{title}</title></titleInfo></mods>",
        language=language,
        creators="\n".join(creators),
        subjects="\n".join(subjects),
        description=description,
        date=date,
        date_start=years[0] if years else None,
        date_end=years[1] if years else None,
        type=type,
        rights=rights,
        toc=toc or [],
        full_text=full_text or " ".join([title, *creators, *subjects, description]),
    )


def item(
    item_id: str = "i1",
    *,
    collection: str = "letters",
    title: str = "Letter to Ada",
    page_count: int = 3,
    created: str | None = None,
    **changes: Any,
) -> Item:
    now = created or utc_now()
    base = Item(
        id=item_id,
        collection=collection,
        title=title,
        content_key=f"content-{item_id}",
        page_count=page_count,
        created=now,
        datestamp=now,
    )
    return replace(base, **changes)


def add(catalog: Catalog, it: Item, meta: ItemMetadata | None = None, files: list[PageFile] | None = None) -> Item:
    """Register ``it`` (its collection made if new) and index it, as ingest does."""
    catalog.ensure_collection(it.collection)
    meta = meta or record(it.title)
    files = pages(it.id, it.page_count) if files is None else files
    catalog.register_item(it, files, meta, [Event(it.id, "ingestion", it.created, "success", "tests")])
    index_item(catalog.db, it.id)
    return it
