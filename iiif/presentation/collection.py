"""IIIF collections: one per catalog collection, and a top collection listing them."""

from __future__ import annotations

from dataclasses import dataclass

from iiif.presentation.language import lang_map, ui
from iiif.presentation.manifest import CONTEXT
from iiif.presentation.parts import JsonDict, home_page, provider, rights, thumbnail
from iiif.presentation.source import Publisher
from repo.catalog import Catalog, Collection
from repo.catalog.presentation_rows import count_public_members, public_cover_row, public_member_rows


@dataclass(frozen=True)
class Member:
    """What a collection says about one of its manifests."""

    item_id: str
    title: str
    language: str | None
    first_page: tuple[int, int, int] | None  # seq, width, height


def count_public(catalog: Catalog, slug: str, now: str) -> int:
    return count_public_members(catalog.db, slug, now)


def public_members(catalog: Catalog, slug: str, *, limit: int = -1, offset: int = 0) -> list[Member]:
    """The public items of a collection (``limit`` of them from ``offset``, in title order) with
    their first page, in one query."""
    rows = public_member_rows(catalog.db, slug, limit=limit, offset=offset)
    return [
        Member(
            r["id"],
            r["title"],
            r["language"],
            None if r["seq"] is None else (int(r["seq"]), int(r["width"]), int(r["height"])),
        )
        for r in rows
    ]


def cover(catalog: Catalog, collection: Collection) -> Member | None:
    """The item chosen to stand for the collection, with its first page, while it is public."""
    if not collection.thumbnail_item:
        return None
    row = public_cover_row(catalog.db, collection.slug, collection.thumbnail_item)
    if row is None:
        return None
    return Member(row["id"], row["title"], None, (int(row["seq"]), int(row["width"]), int(row["height"])))


def build_collection(
    collection: Collection,
    members: list[Member],
    publisher: Publisher,
    part: tuple[int, int] | None = None,
    cover: Member | None = None,
) -> JsonDict:
    """The collection's document; with ``part`` (number, first position), one part of it."""
    urls = publisher.urls
    items = []
    for member in members:
        ref: JsonDict = {
            "id": urls.manifest(member.item_id),
            "type": "Manifest",
            "label": lang_map(member.title, member.language) or lang_map(member.item_id),
        }
        if member.first_page is not None:
            ref["thumbnail"] = thumbnail(urls, member.item_id, *member.first_page)
        items.append(ref)
    return _collection_document(collection, publisher, items, None if part is None else (*part, len(members)), cover)


def build_parts(
    collection: Collection, count: int, size: int, publisher: Publisher, cover: Member | None = None
) -> JsonDict:
    """A collection too large for one document: it lists its parts, each ``size`` manifests."""
    urls = publisher.urls
    parts = []
    for number, first in enumerate(range(0, count, size), 1):
        parts.append(
            {
                "id": urls.collection(collection.slug, number),
                "type": "Collection",
                "label": _part_label(collection, first, min(first + size, count)),
            }
        )
    return _collection_document(collection, publisher, parts, cover=cover)


def _part_label(collection: Collection, first: int, end: int) -> dict[str, list[str]]:
    return lang_map(f"{collection.title}: items {first + 1:,}–{end:,}")


def _collection_document(
    collection: Collection,
    publisher: Publisher,
    items: list[JsonDict],
    part: tuple[int, int, int] | None = None,
    cover: Member | None = None,
) -> JsonDict:
    urls = publisher.urls
    whole = urls.collection(collection.slug)
    label = lang_map(collection.title)
    parent = {"id": urls.top_collection, "type": "Collection", "label": ui(publisher.repository_name)}
    if part is not None:
        _, first, size = part
        label = _part_label(collection, first, first + size)
        parent = {"id": whole, "type": "Collection", "label": lang_map(collection.title)}
    document: JsonDict = {
        "@context": CONTEXT,
        "id": whole if part is None else urls.collection(collection.slug, part[0]),
        "type": "Collection",
        "label": label,
        "summary": lang_map(collection.description),
        "thumbnail": thumbnail(urls, cover.item_id, *cover.first_page) if cover and cover.first_page else None,
        "rights": rights(None, collection),
        "provider": provider(publisher),
        "homepage": home_page(urls.collection_page(collection.slug), lang_map(collection.title)),
        "partOf": [parent],
        "items": items,
    }
    return {key: value for key, value in document.items() if value or key == "items"}


def build_top_collection(collections: list[Collection], publisher: Publisher) -> JsonDict:
    urls = publisher.urls
    return {
        "@context": CONTEXT,
        "id": urls.top_collection,
        "type": "Collection",
        "label": ui(publisher.repository_name),
        "provider": provider(publisher),
        "homepage": home_page(urls.home, ui(publisher.repository_name)),
        # Where a harvester finds what changed (IIIF Change Discovery 1.0), beside what is here.
        "seeAlso": [
            {
                "id": urls.change_discovery,
                "type": "Dataset",
                "format": "application/ld+json",
                "profile": "http://iiif.io/api/discovery/1/context.json",
                "label": ui("Change Discovery"),
            }
        ],
        "items": [
            {"id": urls.collection(c.slug), "type": "Collection", "label": lang_map(c.title)} for c in collections
        ],
    }
