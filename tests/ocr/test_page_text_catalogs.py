"""Page text on both catalogs (SQLite and a real PostgreSQL): search inside an item (Content Search
1.0 and 2.0) and the site search find OCR'd and supplied words alike, and ``rebuild-catalog``
restores every page's text and word boxes from the ALTO and hOCR files in storage."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from app.web.app import create_app
from ingest.context import ItemSource
from ingest.runner import Ingester
from repo.audit import Preservation
from repo.catalog import Catalog
from repo.lifecycle import rebuild_catalog
from repo.ocr.page_text import read_alto
from repo.ocr.service import ItemOcr
from repo.preservation import User
from repo.search import Search, SearchQuery, page_text
from repo.search.snippets import snippets
from repo.services import Services
from repo.settings import Settings
from tests.ocr.pages import DrawnWord, alto_for, draw_page, words_for
from tests.search import COUNTED

W, H = 800, 360
WORDS = {1: "Gallimaufry", 2: "Hornbook", 3: "Inkhorn"}  # one drawn on each page: supplied ALTO, hOCR, OCR
MODS = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<mods xmlns="http://www.loc.gov/mods/v3" version="3.8">'
    "<titleInfo><title>Commonplace book</title></titleInfo></mods>"
)


@pytest.fixture(params=["sqlite", "postgresql"], scope="module")
def repository(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Services, dict[int, list[DrawnWord]]]]:
    folder = tmp_path_factory.mktemp("book")
    drawn: dict[int, list[DrawnWord]] = {}
    for seq, word in WORDS.items():
        words = words_for(seq * 11, 24)
        words[8] = word
        drawn[seq] = draw_page(folder / f"f{seq}.png", words, width=W, height=H, margin=30, size=26)
    (folder / "f1.alto.xml").write_bytes(alto_for(drawn[1], W, H))
    subprocess.run(["tesseract", str(folder / "f2.png"), str(folder / "f2"), "hocr"], check=True, capture_output=True)
    (folder / "mods.xml").write_text(MODS)
    database = ""
    if request.param == "postgresql":
        database = request.getfixturevalue("postgres").create_database(f"t_{uuid.uuid4().hex[:12]}")
    data = tmp_path_factory.mktemp("data")
    services = Services.open(Settings(data_dir=data, database_url=database, base_url="http://muniment.test", ocr=False))
    ingester = Ingester(services, workers=2)
    result = ingester.ingest(ItemSource(folder, "books", identifier="commonplace"))
    ingester.close()
    assert result.status == "ingested", result.problems
    ocr = ItemOcr(services)
    assert ocr.plan("commonplace") == [3]
    ocr.read_page("commonplace", 3)
    assert ocr.commit("commonplace", User("tester", "")) == 2
    ocr.close()
    yield services, drawn
    services.close()


def _content_search(services: Services, word: str) -> tuple[list[str], list[str]]:
    """Canvases of the 1.0 hits and of the 2.0 hits for ``word``."""
    client = TestClient(create_app(services.settings, services))
    one = client.get("/iiif/commonplace/search/1", params={"q": word}).json()
    two = client.get("/iiif/commonplace/search/2", params={"q": word}).json()
    return [r["on"].split("#")[0] for r in one["resources"]], [a["target"].split("#")[0] for a in two["items"]]


def _snapshot(db: Any) -> tuple[list[Any], list[Any], list[Any]]:
    pages = db.query("SELECT seq, source, width, height, text, version IS NOT NULL AS kept FROM page_text ORDER BY seq")
    words = db.query("SELECT seq, n, word, text, line, x, y, w, h FROM page_words ORDER BY seq, n")
    terms = db.query("SELECT word, n FROM page_terms ORDER BY word")
    counted = db.query("SELECT word, COUNT(*) AS n FROM page_words GROUP BY word ORDER BY word")
    assert [dict(r) for r in terms] == [dict(r) for r in counted]  # autocomplete's counts follow the words
    pairs = db.query("SELECT word, next, n FROM page_pairs ORDER BY word, next")
    neighbours = db.query(
        "SELECT a.word, b.word AS next, COUNT(*) AS n FROM page_words a JOIN page_words b ON b.item_id = a.item_id"
        " AND b.seq = a.seq AND b.n = a.n + 1 GROUP BY a.word, b.word ORDER BY a.word, b.word"
    )
    assert pairs and [dict(r) for r in pairs] == [dict(r) for r in neighbours]  # and phrases' counts too
    return [dict(r) for r in pages], [dict(r) for r in words], [dict(r) for r in terms]


def test_search_inside_and_site_search_find_every_kind_of_page_text(
    repository: tuple[Services, dict[int, list[DrawnWord]]],
) -> None:
    services, _ = repository
    for seq, word in WORDS.items():
        canvas = f"http://muniment.test/iiif/commonplace/canvas/p{seq}"
        assert _content_search(services, word.lower()) == ([canvas], [canvas]), word
        found = Search(services.catalog.db, count_budget=COUNTED).search(SearchQuery(text=word))
        assert [hit.item_id for hit in found.hits] == ["commonplace"], word
        assert [s.seq for s in snippets(services.catalog.db, "commonplace", word)] == [seq]
    assert _content_search(services, "zebracorn") == ([], [])
    client = TestClient(create_app(services.settings, services))
    terms = client.get("/iiif/commonplace/autocomplete/2", params={"q": WORDS[2][:4].lower()}).json()
    assert [(t["value"], t["total"]) for t in terms["items"]] == [(WORDS[2].lower(), 1)]


def test_text_read_again_replaces_its_words_and_counts(
    repository: tuple[Services, dict[int, list[DrawnWord]]],
) -> None:
    services, _ = repository
    db = services.catalog.db
    before = _snapshot(db)
    stored = page_text.pages_with_text(db, "commonplace")[1]
    alto = page_text.page_alto(db, "commonplace", 1)
    assert alto is not None
    again = read_alto(alto, "p1", check_schema=False)
    page_text.save_page(db, "commonplace", 1, again, alto, source=stored.source, version=stored.version)
    assert _snapshot(db) == before  # the same words once, not twice


def test_rebuild_catalog_restores_page_text_from_storage(
    repository: tuple[Services, dict[int, list[DrawnWord]]], tmp_path: Path
) -> None:
    services, _ = repository
    before = _snapshot(services.catalog.db)
    assert [p["source"] for p in before[0]] == ["alto", "hocr", "tesseract"]
    assert all(p["kept"] for p in before[0])  # (the rebuilt rows name the head version, which holds them all)
    url = services.settings.database_url
    fresh_url = f"sqlite:///{tmp_path / 'rebuilt.sqlite3'}"
    if url:
        fresh_url = url.rsplit("/", 1)[0] + "/" + f"r_{uuid.uuid4().hex[:12]}"
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{fresh_url.rsplit("/", 1)[1]}"')
    rebuilt = Services(
        services.settings, services.preservation, services.access, services.replica, Catalog.open(fresh_url)
    )
    try:
        result = rebuild_catalog(Preservation(rebuilt))
        assert result.problems == [] and result.items == 1
        assert _snapshot(rebuilt.catalog.db) == before
        for seq, word in WORDS.items():
            canvas = f"http://muniment.test/iiif/commonplace/canvas/p{seq}"
            assert _content_search(rebuilt, word) == ([canvas], [canvas])
            assert Search(rebuilt.catalog.db, count_budget=COUNTED).search(SearchQuery(text=word)).total == 1
        ocr = ItemOcr(rebuilt)
        assert ocr.plan("commonplace") == []  # every page has its text again
        assert ocr.plan("commonplace", again=True) == [3]  # and the OCR'd page is still known as OCR
    finally:
        rebuilt.catalog.close()


def test_a_phrase_is_found_from_its_rarest_word_wherever_it_stands(
    repository: tuple[Services, dict[int, list[DrawnWord]]],
) -> None:
    services, drawn = repository
    words = [d.text for d in drawn[1]]
    db = services.catalog.db
    for start, end in ((7, 9), (8, 10), (7, 10)):  # the rare word (8) last, first, in the middle
        phrase = " ".join(words[start:end])
        total, hits = page_text.find_words(db, "commonplace", phrase)
        assert total == 1 and [(h.seq, h.n, h.exact) for h in hits] == [(1, start, phrase)], phrase
    assert page_text.find_words(db, "commonplace", f"{words[9]} {words[8]}")[0] == 0  # the words out of order
    assert page_text.find_words(db, "commonplace", f"{WORDS[1]} zebracorn") == (0, [])
