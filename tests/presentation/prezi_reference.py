"""The same manifest built the way iiif-prezi3's documentation shows: the reference for tests and bench.

Too slow to serve large books (each ``make_canvas`` re-validates the growing list), but every
value passes through the library's models, so it is the yardstick the fast builder is held to.
"""

from __future__ import annotations

import json
from typing import Any

import iiif_prezi3 as prezi

from iiif.presentation.manifest import ranges
from iiif.presentation.parts import JsonDict, descriptive
from iiif.presentation.source import IMAGE_SERVICE_PROFILE, ManifestSource, Publisher


def build_with_prezi3(source: ManifestSource, publisher: Publisher) -> Any:
    """An ``iiif_prezi3.Manifest`` of ``source``."""
    urls, item_id = publisher.urls, source.item.id
    manifest = prezi.Manifest(**descriptive(source, publisher))
    for page in source.files:
        canvas = manifest.make_canvas(
            id=urls.canvas(item_id, page.seq),
            label=page.label.strip() or str(page.seq),
            height=page.height,
            width=page.width,
        )
        annotation_page = canvas.add_image(
            image_url=urls.image(item_id, page.seq),
            anno_id=urls.annotation(item_id, page.seq),
            anno_page_id=urls.annotation_page(item_id, page.seq),
            format="image/jpeg",
            height=page.height,
            width=page.width,
        )
        annotation_page.items[0].body.make_service(
            id=urls.image_service(item_id, page.seq), type="ImageService3", profile=IMAGE_SERVICE_PROFILE
        )
    if source.files:
        manifest.start = {"id": urls.canvas(item_id, source.files[0].seq), "type": "Canvas"}
    for entry in ranges(urls, source):
        manifest.make_range(
            id=entry["id"],
            label=entry["label"],
            items=[prezi.CanvasRef(id=c["id"], type="Canvas") for c in entry["items"]],
        )
    return manifest


def prezi3_json(source: ManifestSource, publisher: Publisher) -> JsonDict:
    result: JsonDict = json.loads(build_with_prezi3(source, publisher).json())
    return result
