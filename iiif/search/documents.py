"""IIIF Content Search 1.0 and 2.0 answers (search and autocomplete), the service declarations a
manifest carries, and each canvas's text resources; plain JSON, from the page-text index.

Both versions answer from the same hits: a hit is the query's words standing together on a
page, its box the union of theirs, in canvas pixels (the master scan's, which the canvas has).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote, urlencode

from iiif.presentation.ids import Urls
from repo.search.page_text import WordHit

JsonDict = dict[str, Any]

SEARCH_1_CONTEXT = "http://iiif.io/api/search/1/context.json"
SEARCH_2_CONTEXT = "http://iiif.io/api/search/2/context.json"
PRESENTATION_2_CONTEXT = "http://iiif.io/api/presentation/2/context.json"
SEARCH_1_PROFILE = "http://iiif.io/api/search/1/search"
AUTOCOMPLETE_1_PROFILE = "http://iiif.io/api/search/1/autocomplete"
PAGE_SIZE = 100  # hits per answer; more come by ``page``


class SearchUrls:
    """Where an item's search services and text resources live."""

    def __init__(self, urls: Urls) -> None:
        self.urls = urls
        self.base = urls.base_url

    def _item(self, item_id: str) -> str:
        return f"{self.base}/iiif/{quote(item_id, safe='~')}"

    def search(self, item_id: str, version: int, query: str = "", page: int | None = None) -> str:
        url = f"{self._item(item_id)}/search/{version}"
        params = {"q": query} if query else {}
        if page:
            params["page"] = str(page)
        return f"{url}?{urlencode(params)}" if params else url

    def autocomplete(self, item_id: str, version: int, query: str = "") -> str:
        url = f"{self._item(item_id)}/autocomplete/{version}"
        return f"{url}?{urlencode({'q': query})}" if query else url

    def hit(self, item_id: str, hit: WordHit) -> str:
        return f"{self._item(item_id)}/search/annotation/p{hit.seq}-w{hit.n}-{hit.count}"

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


def _target(su: SearchUrls, item_id: str, hit: WordHit) -> str:
    return f"{su.urls.canvas(item_id, hit.seq)}#xywh={hit.x},{hit.y},{hit.w},{hit.h}"


def _paging(total: int, page: int) -> tuple[int, int]:
    last = max(0, (total - 1) // PAGE_SIZE)
    return last, page * PAGE_SIZE


def search_2(su: SearchUrls, item_id: str, query: str, page: int, total: int, hits: Sequence[WordHit]) -> JsonDict:
    last, start = _paging(total, page)
    doc: JsonDict = {"@context": SEARCH_2_CONTEXT, "id": su.search(item_id, 2, query, page), "type": "AnnotationPage"}
    if total > PAGE_SIZE:
        doc["partOf"] = {
            "id": su.search(item_id, 2, query),
            "type": "AnnotationCollection",
            "total": total,
            "first": {"id": su.search(item_id, 2, query, 0), "type": "AnnotationPage"},
            "last": {"id": su.search(item_id, 2, query, last), "type": "AnnotationPage"},
        }
        if page < last:
            doc["next"] = {"id": su.search(item_id, 2, query, page + 1), "type": "AnnotationPage"}
        if page > 0:
            doc["prev"] = {"id": su.search(item_id, 2, query, page - 1), "type": "AnnotationPage"}
        doc["startIndex"] = start
    doc["items"] = [
        {
            "id": su.hit(item_id, hit),
            "type": "Annotation",
            "motivation": "highlighting",
            "body": {"type": "TextualBody", "value": hit.exact, "format": "text/plain"},
            "target": _target(su, item_id, hit),
        }
        for hit in hits
    ]
    if hits:
        doc["annotations"] = [
            {
                "type": "AnnotationPage",
                "items": [
                    {
                        "id": f"{su.hit(item_id, hit)}/match",
                        "type": "Annotation",
                        "motivation": "contextualizing",
                        "target": {
                            "type": "SpecificResource",
                            "source": su.hit(item_id, hit),
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
                    for hit in hits
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


def search_1(su: SearchUrls, item_id: str, query: str, page: int, total: int, hits: Sequence[WordHit]) -> JsonDict:
    last, start = _paging(total, page)
    doc: JsonDict = {
        "@context": [PRESENTATION_2_CONTEXT, SEARCH_1_CONTEXT],
        "@id": su.search(item_id, 1, query, page),
        "@type": "sc:AnnotationList",
        "within": {"@type": "sc:Layer", "total": total},
    }
    if total > PAGE_SIZE:
        doc["within"]["first"] = su.search(item_id, 1, query, 0)
        doc["within"]["last"] = su.search(item_id, 1, query, last)
        if page < last:
            doc["next"] = su.search(item_id, 1, query, page + 1)
        if page > 0:
            doc["prev"] = su.search(item_id, 1, query, page - 1)
        doc["startIndex"] = start
    doc["resources"] = [
        {
            "@id": su.hit(item_id, hit),
            "@type": "oa:Annotation",
            "motivation": "sc:painting",
            "resource": {"@type": "cnt:ContentAsText", "chars": hit.exact},
            "on": _target(su, item_id, hit),
        }
        for hit in hits
    ]
    doc["hits"] = [
        {
            "@type": "search:Hit",
            "annotations": [su.hit(item_id, hit)],
            "match": hit.exact,
            "before": f"{hit.before} " if hit.before else "",
            "after": f" {hit.after}" if hit.after else "",
        }
        for hit in hits
    ]
    return doc


def autocomplete_1(su: SearchUrls, item_id: str, query: str, terms: Sequence[tuple[str, int]]) -> JsonDict:
    return {
        "@context": SEARCH_1_CONTEXT,
        "@id": su.autocomplete(item_id, 1, query),
        "@type": "search:TermList",
        "terms": [{"match": word, "url": su.search(item_id, 1, word), "count": count} for word, count in terms],
    }
