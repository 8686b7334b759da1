"""The Change Discovery documents as plain dicts: the ordered collection, its pages, one activity.

Page ``n`` (from 0) holds activities ``n * size + 1`` to ``(n + 1) * size``: its URL names a fixed
range of the stream, so a harvester resumes from the last page it read, and every page but the
last is final.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from iiif.presentation.ids import Urls
from repo.catalog.changes import COLLECTION, Activity

CONTEXT = "http://iiif.io/api/discovery/1/context.json"
JsonDict = dict[str, Any]


@dataclass(frozen=True)
class DiscoveryUrls:
    urls: Urls

    @property
    def collection(self) -> str:
        return self.urls.change_discovery

    def page(self, number: int) -> str:
        return f"{self.urls.base_url}/iiif/discovery/page-{number}"

    def activity(self, seq: int) -> str:
        return f"{self.urls.base_url}/iiif/discovery/activity/{seq}"

    def object(self, activity: Activity) -> str:
        if activity.object_type == COLLECTION:
            return self.urls.collection(activity.object_key)
        return self.urls.manifest(activity.object_key)


def last_page(total: int, size: int) -> int:
    """The number of the last page (0 for an empty stream: it has one page, empty)."""
    return max(0, (total - 1) // size)


def collection(du: DiscoveryUrls, total: int, size: int) -> JsonDict:
    return {
        "@context": CONTEXT,
        "id": du.collection,
        "type": "OrderedCollection",
        "totalItems": total,
        "first": {"id": du.page(0), "type": "OrderedCollectionPage"},
        "last": {"id": du.page(last_page(total, size)), "type": "OrderedCollectionPage"},
    }


def page(du: DiscoveryUrls, number: int, items: list[Activity], total: int, size: int) -> JsonDict:
    document: JsonDict = {
        "@context": CONTEXT,
        "id": du.page(number),
        "type": "OrderedCollectionPage",
        "startIndex": number * size,
        "partOf": {"id": du.collection, "type": "OrderedCollection"},
    }
    if number > 0:
        document["prev"] = {"id": du.page(number - 1), "type": "OrderedCollectionPage"}
    if number < last_page(total, size):
        document["next"] = {"id": du.page(number + 1), "type": "OrderedCollectionPage"}
    document["orderedItems"] = [activity(du, a) for a in items]
    return document


def activity(du: DiscoveryUrls, a: Activity) -> JsonDict:
    return {
        "id": du.activity(a.seq),
        "type": a.type,
        "object": {"id": du.object(a), "type": a.object_type},
        "endTime": a.end_time,
    }


def activity_document(du: DiscoveryUrls, a: Activity) -> JsonDict:
    return {"@context": CONTEXT, **activity(du, a)}
