"""The descriptive properties of a manifest (everything but its canvases and ranges).

Both builders start from these plain JSON values: the fast one writes them as they are, the
iiif-prezi3 one passes them through its models, so the two can be compared.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

from iiif.presentation.ids import Urls
from iiif.presentation.language import NO_LANGUAGE, LanguageMap, lang_map, ui, viewing_direction
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


def _half_up(value: Fraction) -> int:
    return int(value + Fraction(1, 2))


def thumbnail_size(width: int, height: int, box: int = THUMBNAIL_SIZE) -> tuple[int, int]:
    """The size the image server returns for :func:`thumbnail_request`: fitted, never enlarged.

    The same exact arithmetic as the server (round half up), so the declared size is the served one.
    """
    if max(width, height) <= box:
        return width, height
    if Fraction(box, width) <= Fraction(box, height):
        return box, min(box, max(1, _half_up(Fraction(height * box, width))))
    return min(box, max(1, _half_up(Fraction(width * box, height)))), box


def thumbnail_request(width: int, height: int, box: int = THUMBNAIL_SIZE) -> str:
    """``!box,box``, or ``max`` for a page that already fits the box.

    The server refuses ``!w,h`` that would enlarge the page (400, as the official validator's
    ``size_noup`` test demands), so a page under ``box`` pixels on both sides is asked for whole.
    """
    return "max" if max(width, height) <= box else f"!{box},{box}"


def thumbnail(urls: Urls, item_id: str, seq: int, width: int, height: int) -> list[JsonDict]:
    """A small image of a page, with the page's image service for viewers that want other sizes."""
    small_width, small_height = thumbnail_size(width, height)
    return [
        {
            "id": urls.image(item_id, seq, thumbnail_request(width, height)),
            "type": "Image",
            "format": "image/jpeg",
            "width": small_width,
            "height": small_height,
            "service": [image_service(urls, item_id, seq)],
        }
    ]


def metadata_list(meta: ItemMetadata | None, collection: Collection | None) -> list[JsonDict]:
    """The DC values as label/value pairs.

    They are names, dates, codes, identifiers and controlled terms, not text in the resource's
    language (a French book's "Babbage, Charles" or "1843" is not French): every value is ``none``.
    The resource's language goes on the label and summary, which are its own words.
    """
    entries = []
    if meta is not None:
        for element, label in DC_FIELDS:
            value = lang_map(meta.dc.get(element, ()), NO_LANGUAGE)
            if value:
                entries.append({"label": ui(label), "value": value})
    if collection is not None:
        entries.append({"label": ui("Collection"), "value": lang_map(collection.title)})
    return entries


def rights(meta: ItemMetadata | None, collection: Collection | None) -> str | None:
    """The record's CC / RightsStatements.org URI, else the collection default."""
    return (meta.rights if meta else None) or rights_uri(collection.rights if collection else None)


_CALENDAR_DATE = re.compile(r"^(\d{4})(?:-(0[1-9]|1[0-2])(?:-(0[1-9]|[12]\d|3[01]))?)?(?:$|[T /])")


def nav_date(meta: ItemMetadata | None) -> str | None:
    """The start of the item's date: the day (or month) when a DC date in W3CDTF gives it, else its year."""
    year = meta.date_start if meta else None
    # xsd:dateTime has no year 0 and viewers sort only AD dates reliably.
    if meta is None or year is None or not 1 <= year <= 9999:
        return None
    for value in meta.dc.get("date", ()):
        found = _CALENDAR_DATE.match(value)
        if found and int(found[1]) == year:
            return f"{year:04d}-{found[2] or '01'}-{found[3] or '01'}T00:00:00Z"
    return f"{year:04d}-01-01T00:00:00Z"


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


# The item's DC as RDF (app/web/pages/linked_data.py): URL suffix, name, media type.
LINKED_DATA = (("ttl", "Turtle", "text/turtle"), ("jsonld", "JSON-LD", "application/ld+json"))


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
        *(
            {
                "id": urls.linked_data(item_id, suffix),
                "type": "Dataset",
                "label": ui(f"Dublin Core as linked data ({name})"),
                "format": media_type,
                "profile": DC_PROFILE,
            }
            for suffix, name, media_type in (
                ("ttl", "Turtle", "text/turtle"),
                ("jsonld", "JSON-LD", "application/ld+json"),
            )
        ),
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
