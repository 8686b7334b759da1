"""The manifest as plain dicts: the same JSON iiif-prezi3 makes, but fast enough for 2,000 pages.

Validating every canvas through pydantic models costs seconds for a large book (see
``bench/manifest.py``); ``tests/presentation`` proves both builders write the same document.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from typing import Any

import orjson

from iiif.presentation.ids import Urls
from iiif.presentation.language import NO_LANGUAGE, lang_map
from iiif.presentation.parts import JsonDict, descriptive
from iiif.presentation.source import IMAGE_SERVICE_PROFILE, ManifestSource, Page, Publisher

CONTEXT = "http://iiif.io/api/presentation/3/context.json"


def canvases(urls: Urls, item_id: str, pages: Sequence[Page]) -> list[JsonDict]:
    # URLs are the Urls methods' results, formatted from prefixes made once: quoting the item id
    # for every page of a 2,000-page book costs more than the rest of the canvas.
    canvas_prefix = urls.canvas(item_id, 0)[:-1]
    page_prefix = urls.annotation_page(item_id, 0)[:-1]
    annotation_prefix, annotation_suffix = urls.annotation(item_id, 0).rsplit("/p0", 1)
    service_prefix = urls.image_service(item_id, 0)[:-1]
    result = []
    for page in pages:
        seq, width, height = page.seq, page.width, page.height
        canvas_id = f"{canvas_prefix}{seq}"
        service = f"{service_prefix}{seq}"
        image = {
            "id": f"{service}/full/max/0/default.jpg",
            "type": "Image",
            "format": "image/jpeg",
            "height": height,
            "width": width,
            "service": [{"id": service, "type": "ImageService3", "profile": IMAGE_SERVICE_PROFILE}],
        }
        annotation = {
            "id": f"{annotation_prefix}/p{seq}{annotation_suffix}",
            "type": "Annotation",
            "motivation": "painting",
            "body": image,
            "target": canvas_id,
        }
        result.append(
            {
                "id": canvas_id,
                "type": "Canvas",
                "label": {NO_LANGUAGE: [page.label.strip() or str(seq)]},
                "height": height,
                "width": width,
                "items": [{"id": f"{page_prefix}{seq}", "type": "AnnotationPage", "items": [annotation]}],
            }
        )
    return result


def ranges(urls: Urls, source: ManifestSource) -> list[JsonDict]:
    """One range per table-of-contents entry, over the pages it names that the item has."""
    if source.metadata is None:
        return []
    seqs = sorted(page.seq for page in source.files)
    canvas_prefix = urls.canvas(source.item.id, 0)[:-1]
    result = []
    for index, entry in enumerate(source.metadata.toc, start=1):
        start, end = int(entry["start_page"]), int(entry["end_page"])
        inside = seqs[bisect_left(seqs, start) : bisect_right(seqs, end)]
        label = lang_map(str(entry.get("title", "")), source.language)
        if inside and label:
            items = [{"id": f"{canvas_prefix}{seq}", "type": "Canvas"} for seq in inside]
            result.append({"id": urls.range(source.item.id, index), "type": "Range", "label": label, "items": items})
    return result


def build_manifest(source: ManifestSource, publisher: Publisher) -> JsonDict:
    urls, item_id = publisher.urls, source.item.id
    manifest: JsonDict = {"@context": CONTEXT, **descriptive(source, publisher)}
    if source.files:
        manifest["start"] = {"id": urls.canvas(item_id, source.files[0].seq), "type": "Canvas"}
    manifest["items"] = canvases(urls, item_id, source.files)
    structures = ranges(urls, source)
    if structures:
        manifest["structures"] = structures
    return manifest


def to_json_bytes(document: Any) -> bytes:
    """Compact UTF-8 JSON, byte for byte what ``json.dumps(..., ensure_ascii=False,
    separators=(",", ":"))`` writes, about ten times faster: most of a large manifest's cold time."""
    return orjson.dumps(document)
