"""IIIF collections: one per catalog collection, and a top collection listing them."""

from __future__ import annotations

from dataclasses import dataclass

from iiif.presentation.language import lang_map, ui
from iiif.presentation.manifest import CONTEXT
from iiif.presentation.parts import JsonDict, home_page, provider, rights, thumbnail
from iiif.presentation.source import Publisher
from repo.access import public_items_sql
from repo.catalog import Catalog, Collection, utc_now


@dataclass(frozen=True)
class Member:
    """What a collection says about one of its manifests."""

    item_id: str
    title: str
    language: str | None
    first_page: tuple[int, int, int] | None  # seq, width, height


def public_members(catalog: Catalog, slug: str) -> list[Member]:
    """The public items of a collection with their first page, in one query."""
    rows = catalog.db.query(
        "SELECT i.id, i.title, m.language, f.seq, f.width, f.height FROM items i"
        " LEFT JOIN metadata m ON m.item_id = i.id"
        " LEFT JOIN files f ON f.item_id = i.id AND f.seq = (SELECT MIN(seq) FROM files WHERE item_id = i.id)"
        f" WHERE i.collection = ? AND {public_items_sql('i')} ORDER BY i.title, i.id",
        (slug, utc_now()),
    )
    return [
        Member(
            r["id"],
            r["title"],
            r["language"],
            None if r["seq"] is None else (int(r["seq"]), int(r["width"]), int(r["height"])),
        )
        for r in rows
    ]


def build_collection(collection: Collection, members: list[Member], publisher: Publisher) -> JsonDict:
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
    document: JsonDict = {
        "@context": CONTEXT,
        "id": urls.collection(collection.slug),
        "type": "Collection",
        "label": lang_map(collection.title),
        "summary": lang_map(collection.description),
        "rights": rights(None, collection),
        "provider": provider(publisher),
        "homepage": home_page(urls.collection_page(collection.slug), lang_map(collection.title)),
        "partOf": [{"id": urls.top_collection, "type": "Collection", "label": ui(publisher.repository_name)}],
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
        "items": [
            {"id": urls.collection(c.slug), "type": "Collection", "label": lang_map(c.title)} for c in collections
        ],
    }
