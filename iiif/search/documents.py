"""IIIF Content Search 1.0 and 2.0 answers (search and autocomplete), the service declarations a
manifest carries, and each canvas's text resources; plain JSON, from the page-text index.

Both versions answer from the same hits: a hit is the query's words standing together on a
page, its box the union of theirs, in canvas pixels (the master scan's, which the canvas has).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote, urlencode

from iiif.presentation.ids import Urls
from repo.search.page_text import HitKey, HitPage, WordHit

JsonDict = dict[str, Any]

SEARCH_1_CONTEXT = "http://iiif.io/api/search/1/context.json"
SEARCH_2_CONTEXT = "http://iiif.io/api/search/2/context.json"
PRESENTATION_2_CONTEXT = "http://iiif.io/api/presentation/2/context.json"
SEARCH_1_PROFILE = "http://iiif.io/api/search/1/search"
AUTOCOMPLETE_1_PROFILE = "http://iiif.io/api/search/1/autocomplete"
PAGE_SIZE = 100  # hits per answer; more come by ``page``


def format_key(key: HitKey) -> str:
    return f"p{key[0]}w{key[1]}"


def parse_key(text: str) -> HitKey | None:
    """A hit's key from a link's ``from`` (None when it is not one: the page number then counts)."""
    found = _KEY.fullmatch(text)
    return (int(found[1]), int(found[2])) if found else None


_KEY = re.compile(r"p(\d{1,9})w(\d{1,9})")


class SearchUrls:
    """Where an item's search services and text resources live."""

    def __init__(self, urls: Urls) -> None:
        self.urls = urls
        self.base = urls.base_url

    def _item(self, item_id: str) -> str:
        return f"{self.base}/iiif/{quote(item_id, safe='~')}"

    def search(
        self, item_id: str, version: int, query: str = "", page: int | None = None, start: HitKey | None = None
    ) -> str:
        """A page of hits: ``page`` numbers it (``startIndex``), ``start`` is its first hit's key,
        from which it is read (a page asked for by number alone is counted to)."""
        url = f"{self._item(item_id)}/search/{version}"
        params = {"q": query} if query else {}
        if page:
            params["page"] = str(page)
            if start is not None:
                params["from"] = format_key(start)
        return f"{url}?{urlencode(params)}" if params else url

    def autocomplete(self, item_id: str, version: int, query: str = "") -> str:
        url = f"{self._item(item_id)}/autocomplete/{version}"
        return f"{url}?{urlencode({'q': query})}" if query else url

    def hits(self, item_id: str, hits: Sequence[WordHit]) -> list[tuple[WordHit, str, str]]:
        """Each hit with its annotation's id and its target (the canvas and the box), the
        item's part of the URLs made once for a page of them."""
        annotations = f"{self._item(item_id)}/search/annotation/p"
        canvases = self.urls.canvas(item_id, 0)[:-1]
        return [
            (
                hit,
                f"{annotations}{hit.seq}-w{hit.n}-{hit.count}",
                f"{canvases}{hit.seq}#xywh={hit.x},{hit.y},{hit.w},{hit.h}",
            )
            for hit in hits
        ]

    def text(self, item_id: str, seq: int) -> str:
        return f"{self._item(item_id)}/text/p{seq}.txt"

    def alto(self, item_id: str, seq: int) -> str:
        return f"{self._item(item_id)}/alto/p{seq}.xml"

    def lines(self, item_id: str, seq: int) -> str:
        return f"{self._item(item_id)}/lines/p{seq}"


# -- what the manifest declares -------------------------------------------------------------


def search_services(su: SearchUrls, item_id: str) -> list[JsonDict]:
    """Content Search 2.0 and 1.0 with their autocomplete services, for ``manifest["service"]``."""
    return [
        {
            "id": su.search(item_id, 2),
            "type": "SearchService2",
            "service": [{"id": su.autocomplete(item_id, 2), "type": "AutoCompleteService2"}],
        },
        {
            "@context": SEARCH_1_CONTEXT,
            "id": su.search(item_id, 1),
            "type": "SearchService1",
            "profile": SEARCH_1_PROFILE,
            "service": [
                {"id": su.autocomplete(item_id, 1), "type": "AutoCompleteService1", "profile": AUTOCOMPLETE_1_PROFILE}
            ],
        },
    ]


def declare_text(manifest: JsonDict, su: SearchUrls, item_id: str, seqs_with_text: set[int]) -> None:
    """Add the search services and, to each canvas with text, its plain text (``rendering``), its
    ALTO (``seeAlso``) and its lines as a ``supplementing`` annotation page."""
    if not seqs_with_text:
        return
    manifest.setdefault("service", []).extend(search_services(su, item_id))
    canvas_prefix = su.urls.canvas(item_id, 0)[:-1]
    for canvas in manifest.get("items", []):
        seq = int(canvas["id"][len(canvas_prefix) :])
        if seq not in seqs_with_text:
            continue
        label = {"en": [f"Text of page {canvas['label'].get('none', [seq])[0]}"]}
        canvas["rendering"] = [{"id": su.text(item_id, seq), "type": "Text", "label": label, "format": "text/plain"}]
        canvas["seeAlso"] = [
            {
                "id": su.alto(item_id, seq),
                "type": "Dataset",
                "label": {"en": ["ALTO XML"]},
                "format": "application/xml",
                "profile": "http://www.loc.gov/standards/alto/v4/alto-4-4.xsd",
            }
        ]
        canvas["annotations"] = [{"id": su.lines(item_id, seq), "type": "AnnotationPage"}]


def line_annotations(
    su: SearchUrls, item_id: str, seq: int, lines: Sequence[tuple[int, int, int, int, str]], language: str | None
) -> JsonDict:
    canvas = su.urls.canvas(item_id, seq)
    page_id = su.lines(item_id, seq)
    items = []
    for index, (x, y, w, h, text) in enumerate(lines, start=1):
        body: JsonDict = {"type": "TextualBody", "value": text, "format": "text/plain"}
        if language:
            body["language"] = language
        items.append(
            {
                "id": f"{page_id}/l{index}",
                "type": "Annotation",
                "motivation": "supplementing",
                "body": body,
                "target": f"{canvas}#xywh={x},{y},{w},{h}",
            }
        )
    return {
        "@context": "http://iiif.io/api/presentation/3/context.json",
        "id": page_id,
        "type": "AnnotationPage",
        "items": items,
    }


# -- Content Search 2.0 ---------------------------------------------------------------------


class _Links:
    """The URLs of a page of hits and of the pages it links to, each with its first hit's key."""

    def __init__(self, su: SearchUrls, item_id: str, version: int, query: str, found: HitPage) -> None:
        page = found.page
        self.here = su.search(item_id, version, query, page, found.hits[0].key if found.hits else None)
        self.all = su.search(item_id, version, query)
        self.first = su.search(item_id, version, query, 0)
        self.last = su.search(item_id, version, query, found.last_page, found.last)
        self.next = su.search(item_id, version, query, page + 1, found.next) if found.next else None
        self.prev = su.search(item_id, version, query, page - 1, found.prev) if page > 0 else None


def search_2(su: SearchUrls, item_id: str, query: str, found: HitPage) -> JsonDict:
    links = _Links(su, item_id, 2, query, found)
    doc: JsonDict = {"@context": SEARCH_2_CONTEXT, "id": links.here, "type": "AnnotationPage"}
    if found.total > found.size:
        doc["partOf"] = {
            "id": links.all,
            "type": "AnnotationCollection",
            "total": found.total,
            "first": {"id": links.first, "type": "AnnotationPage"},
            "last": {"id": links.last, "type": "AnnotationPage"},
        }
        if links.next:
            doc["next"] = {"id": links.next, "type": "AnnotationPage"}
        if links.prev:
            doc["prev"] = {"id": links.prev, "type": "AnnotationPage"}
        doc["startIndex"] = found.page * found.size
    hits = su.hits(item_id, found.hits)
    doc["items"] = [
        {
            "id": hit_id,
            "type": "Annotation",
            "motivation": "highlighting",
            "body": {"type": "TextualBody", "value": hit.exact, "format": "text/plain"},
            "target": target,
        }
        for hit, hit_id, target in hits
    ]
    if hits:
        doc["annotations"] = [
            {
                "type": "AnnotationPage",
                "items": [
                    {
                        "id": f"{hit_id}/match",
                        "type": "Annotation",
                        "motivation": "contextualizing",
                        "target": {
                            "type": "SpecificResource",
                            "source": hit_id,
                            "selector": [
                                {
                                    "type": "TextQuoteSelector",
                                    "prefix": f"{hit.before} " if hit.before else "",
                                    "exact": hit.exact,
                                    "suffix": f" {hit.after}" if hit.after else "",
                                }
                            ],
                        },
                    }
                    for hit, hit_id, _ in hits
                ],
            }
        ]
    return doc


def autocomplete_2(su: SearchUrls, item_id: str, query: str, terms: Sequence[tuple[str, int]]) -> JsonDict:
    return {
        "@context": SEARCH_2_CONTEXT,
        "id": su.autocomplete(item_id, 2, query),
        "type": "TermPage",
        "items": [
            {
                "value": word,
                "total": count,
                "service": [{"id": su.search(item_id, 2, word), "type": "SearchService2"}],
            }
            for word, count in terms
        ],
    }


# -- Content Search 1.0 ---------------------------------------------------------------------


def search_1(su: SearchUrls, item_id: str, query: str, found: HitPage) -> JsonDict:
    links = _Links(su, item_id, 1, query, found)
    hits = su.hits(item_id, found.hits)
    doc: JsonDict = {
        "@context": [PRESENTATION_2_CONTEXT, SEARCH_1_CONTEXT],
        "@id": links.here,
        "@type": "sc:AnnotationList",
        "within": {"@type": "sc:Layer", "total": found.total},
    }
    if found.total > found.size:
        doc["within"]["first"] = links.first
        doc["within"]["last"] = links.last
        if links.next:
            doc["next"] = links.next
        if links.prev:
            doc["prev"] = links.prev
        doc["startIndex"] = found.page * found.size
    doc["resources"] = [
        {
            "@id": hit_id,
            "@type": "oa:Annotation",
            "motivation": "sc:painting",
            "resource": {"@type": "cnt:ContentAsText", "chars": hit.exact},
            "on": target,
        }
        for hit, hit_id, target in hits
    ]
    doc["hits"] = [
        {
            "@type": "search:Hit",
            "annotations": [hit_id],
            "match": hit.exact,
            "before": f"{hit.before} " if hit.before else "",
            "after": f" {hit.after}" if hit.after else "",
        }
        for hit, hit_id, _ in hits
    ]
    return doc


def autocomplete_1(su: SearchUrls, item_id: str, query: str, terms: Sequence[tuple[str, int]]) -> JsonDict:
    return {
        "@context": SEARCH_1_CONTEXT,
        "@id": su.autocomplete(item_id, 1, query),
        "@type": "search:TermList",
        "terms": [{"match": word, "url": su.search(item_id, 1, word), "count": count} for word, count in terms],
    }
