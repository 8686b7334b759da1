"""The document cache, the JSON writer, and the one access decision."""

from __future__ import annotations

import json

import pytest

from iiif.presentation.cache import Document, DocumentCache
from iiif.presentation.manifest import to_json_bytes
from repo.access import Access, decide_access
from tests.presentation import samples


def test_cache_misses_on_a_new_etag_and_evicts_the_least_recently_used() -> None:
    cache = DocumentCache(max_bytes=10)
    cache.put("a", Document('"1"', b"aaaa"))
    cache.put("b", Document('"1"', b"bbbb"))
    assert cache.get("a", '"1"') is not None and cache.get("a", '"2"') is None
    cache.put("c", Document('"1"', b"cccc"))  # over 10 bytes: "b" was used least recently
    assert cache.get("b", '"1"') is None and cache.get("a", '"1"') is not None and len(cache) == 2
    cache.put("a", Document('"2"', b"AAAA"))  # a new version replaces the old one
    assert cache.get("a", '"1"') is None and cache.get("a", '"2"').body == b"AAAA"  # type: ignore[union-attr]
    cache.put("huge", Document('"1"', b"x" * 11))
    assert cache.get("huge", '"1"') is None


def test_gzip_is_made_once() -> None:
    document = Document('"1"', b"{}" * 1000)
    assert document.gzipped() is document.gzipped()


def test_json_writer_matches_the_standard_library() -> None:
    value = {"label": {"fr": ["Lettre à Ada — « brouillon »"]}, "n": [1, 2.5, None, True], "emoji": "📜"}
    assert to_json_bytes(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, Access.VISIBLE),
        ({"status": "withdrawn"}, Access.GONE),
        ({"status": "withdrawn", "visibility": "restricted"}, Access.GONE),
        ({"visibility": "restricted"}, Access.UNAUTHORIZED),
        ({"visibility": "embargoed", "embargo_until": "2999-01-01T00:00:00Z"}, Access.UNAUTHORIZED),
        ({"visibility": "embargoed", "embargo_until": "2001-01-01T00:00:00Z"}, Access.VISIBLE),
    ],
)
def test_access_decision(changes: dict[str, str], expected: Access) -> None:
    assert decide_access(samples.item(**changes)) is expected  # type: ignore[arg-type]
    assert decide_access(None) is Access.NOT_FOUND
