"""The descriptive properties of a manifest (everything but its canvases and ranges).

Both builders start from these plain JSON values: the fast one writes them as they are, the
iiif-prezi3 one passes them through its models, so the two can be compared.
"""

from __future__ import annotations

from typing import Any

from iiif.presentation.ids import Urls
from iiif.presentation.language import LanguageMap, lang_map, ui, viewing_direction
from iiif.presentation.source import IMAGE_SERVICE_PROFILE, ManifestSource, Publisher
from repo.catalog import Collection, ItemMetadata
from repo.metadata.rights import rights_uri

JsonDict = dict[str, Any]

THUMBNAIL_SIZE = 200
MODS_PROFILE = "http://www.loc.gov/mods/v3"
DC_PROFILE = "http://purl.org/dc/elements/1.1/"
# DC elements shown in the metadata list, in this order, with their labels (title is the label).
DC_FIELDS = (
    ("creator", "Creator"),
    ("contributor", "Contributor"),
    ("date", "Date"),
    ("publisher", "Publisher"),
    ("type", "Type"),
    ("format", "Format"),
    ("subject", "Subject"),
    ("language", "Language"),
    ("identifier", "Identifier"),
    ("source", "Source"),
    ("relation", "Relation"),
    ("coverage", "Coverage"),
    ("rights", "Rights"),
)


def image_service(urls: Urls, item_id: str, seq: int) -> JsonDict:
    return {"id": urls.image_service(item_id, seq), "type": "ImageService3", "profile": IMAGE_SERVICE_PROFILE}


def thumbnail_size(width: int, height: int, box: int = THUMBNAIL_SIZE) -> tuple[int, int]:
    """The size the Image API returns for ``!box,box``: fit inside, never enlarged."""
    scale = min(box / width, box / height, 1.0)
    return max(1, round(width * scale)), max(1, round(height * scale))


def thumbnail(urls: Urls, item_id: str, seq: int, width: int, height: int) -> list[JsonDict]:
    """A small image of a page, with the page's image service for viewers that want other sizes."""
    small_width, small_height = thumbnail_size(width, height)
    return [
        {
            "id": urls.image(item_id, seq, f"!{THUMBNAIL_SIZE},{THUMBNAIL_SIZE}"),
            "type": "Image",
            "format": "image/jpeg",
            "width": small_width,
            "height": small_height,
            "service": [image_service(urls, item_id, seq)],
        }
    ]


def metadata_list(meta: ItemMetadata | None, collection: Collection | None) -> list[JsonDict]:
    entries = []
    if meta is not None:
        for element, label in DC_FIELDS:
            value = lang_map(meta.dc.get(element, ()), meta.language)
            if value:
                entries.append({"label": ui(label), "value": value})
    if collection is not None:
        entries.append({"label": ui("Collection"), "value": lang_map(collection.title)})
    return entries


def rights(meta: ItemMetadata | None, collection: Collection | None) -> str | None:
    """The record's CC / RightsStatements.org URI, else the collection default."""
    return (meta.rights if meta else None) or rights_uri(collection.rights if collection else None)


def nav_date(meta: ItemMetadata | None) -> str | None:
    year = meta.date_start if meta else None
    # xsd:dateTime has no year 0 and viewers sort only AD dates reliably.
    return f"{year:04d}-01-01T00:00:00Z" if year is not None and 1 <= year <= 9999 else None


def behavior(source: ManifestSource) -> list[str] | None:
    if source.record_type == "Text" and len(source.files) > 1:
        return ["paged"]  # a book: two-up openings in viewers
    return ["individuals"] if len(source.files) > 1 else None


def home_page(url: str, label: LanguageMap) -> list[JsonDict]:
    return [{"id": url, "type": "Text", "label": label, "format": "text/html"}]


def provider(publisher: Publisher) -> list[JsonDict]:
    urls = publisher.urls
    return [
        {
            "id": urls.home + "#provider",
            "type": "Agent",
            "label": ui(publisher.organization),
            "homepage": home_page(urls.home, ui(publisher.repository_name)),
        }
    ]


def see_also(urls: Urls, item_id: str) -> list[JsonDict]:
    return [
        {
            "id": urls.mods(item_id),
            "type": "Dataset",
            "label": ui("MODS record"),
            "format": "application/mods+xml",
            "profile": MODS_PROFILE,
        },
        {
            "id": urls.dc(item_id),
            "type": "Dataset",
            "label": ui("Dublin Core record"),
            "format": "application/xml",
            "profile": DC_PROFILE,
        },
    ]


def descriptive(source: ManifestSource, publisher: Publisher) -> JsonDict:
    """Manifest properties in the order the specification lists them; absent ones left out."""
    item, meta, urls = source.item, source.metadata, publisher.urls
    lang = source.language
    first = source.files[0] if source.files else None
    label = lang_map(item.title, lang) or lang_map(item.id)
    parts: JsonDict = {
        "id": urls.manifest(item.id),
        "type": "Manifest",
        "label": label,
        "summary": lang_map(meta.description, lang) if meta else {},
        "metadata": metadata_list(meta, source.collection),
        "requiredStatement": {
            "label": ui("Attribution"),
            "value": ui(f"Provided by {publisher.organization}"),
        },
        "rights": rights(meta, source.collection),
        "provider": provider(publisher),
        "homepage": home_page(urls.item_page(item.id), label),
        "seeAlso": see_also(urls, item.id),
        "partOf": (
            [
                {
                    "id": urls.collection(source.collection.slug),
                    "type": "Collection",
                    "label": lang_map(source.collection.title),
                }
            ]
            if source.collection
            else None
        ),
        "thumbnail": thumbnail(urls, item.id, first.seq, first.width, first.height) if first else None,
        "navDate": nav_date(meta),
        "behavior": behavior(source),
        "viewingDirection": viewing_direction(lang),
    }
    return {key: value for key, value in parts.items() if value}
