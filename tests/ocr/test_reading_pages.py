"""What a reader sees of page text on the public pages: search snippets with the words marked and a
link to the page (record matches ranked first), and the text view of an item, one heading a page."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from app.web.app import create_app
from ingest.context import ItemSource
from ingest.runner import Ingester
from repo.lifecycle.visibility import set_visibility
from repo.search.snippets import snippets
from repo.services import Services
from repo.settings import Settings
from tests.ocr.pages import alto_for, draw_page, words_for
from tests.web.html_check import check_page

W, H = 700, 300
WORD = "Marchpane"


def _mods(title: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<mods xmlns="http://www.loc.gov/mods/v3" version="3.8">'
        f'<titleInfo><title>{title}</title></titleInfo><language><languageTerm type="code"'
        ' authority="iso639-2b">eng</languageTerm></language></mods>'
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Services, TestClient]]:
    root = tmp_path_factory.mktemp("items")
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"), base_url="http://muniment.test", ocr=False)
    services = Services.open(settings)
    ingester = Ingester(services, workers=2)
    for name, title, marked_page in (("record", f"The {WORD} receipt book", None), ("pages", "Kitchen book", 2)):
        folder = root / name
        folder.mkdir()
        for seq in (1, 2, 3):
            words = words_for(seq * 7, 16)
            if seq == marked_page:
                words[9] = WORD
            drawn = draw_page(folder / f"leaf{seq}.png", words, width=W, height=H, margin=30, size=24)
            if name == "pages":
                (folder / f"leaf{seq}.alto.xml").write_bytes(alto_for(drawn, W, H, per_line=6))
        (folder / "mods.xml").write_text(_mods(title))
        result = ingester.ingest(ItemSource(folder, "kitchen", identifier=name))
        assert result.status == "ingested", result.problems
    ingester.close()
    yield services, TestClient(create_app(settings, services))
    services.close()


def test_search_shows_page_snippets_with_the_word_marked_after_record_matches(
    site: tuple[Services, TestClient],
) -> None:
    _, client = site
    page = client.get("/search", params={"q": WORD.lower()})
    assert page.status_code == 200
    assert check_page(page.text) == []
    titles = re.findall(r'class="result__title"><a href="/items/([^"]+)"', page.text)
    assert titles == ["record", "pages"]  # the record's own match first, then the page's
    snippet = re.search(r'<li class="snippet">\s*<a href="([^"]+)">Page (\d+)</a>:\s*<q>(.*?)</q>', page.text, re.S)
    assert snippet is not None
    link, number, passage = snippet.groups()
    assert link == "/items/pages?page=2#viewer" and number == "2"
    assert f"<mark>{WORD}</mark>" in passage
    assert passage.count("<mark>") == 1  # only the word asked for is marked
    assert page.text.count('class="snippet"') == 1  # the record match has no page text with the word

    item = client.get(link.split("#")[0])
    assert 'data-canvas="http://muniment.test/iiif/pages/canvas/p2"' in item.text  # the viewer opens at page 2
    assert 'href="/items/pages/text"' in item.text
    assert 'href="/items/record/text"' not in client.get("/items/record").text  # no text, no link


def test_snippets_mark_prefixes_and_several_words(site: tuple[Services, TestClient]) -> None:
    services, _ = site
    found = snippets(services.catalog.db, "pages", "marchp zebracorn")
    assert [s.seq for s in found] == [2]
    assert [text for text, marked in found[0].parts if marked] == [WORD]
    assert len(found[0].parts) == 13  # six words either side, and room for the other word
    assert found[0].before and not found[0].after  # words before it on the page; it reaches the page's end
    assert snippets(services.catalog.db, "pages", "zebracorn") == []
    assert snippets(services.catalog.db, "record", WORD) == []


def test_the_text_view_has_a_heading_per_page_and_its_lines_in_order(site: tuple[Services, TestClient]) -> None:
    services, client = site
    page = client.get("/items/pages/text")
    assert page.status_code == 200
    assert check_page(page.text) == []
    headings = re.findall(r'<h2 id="page-(\d+)">Page (\d+)</h2>', page.text)
    assert headings == [("1", "1"), ("2", "2"), ("3", "3")]
    bodies = re.findall(r'<div class="page-text__body" lang="en">(.*?)</div>', page.text, re.S)
    assert len(bodies) == 3
    assert bodies[1].split("\n")[1].split()[3] == WORD  # the 10th word: line 2 (6 a line), 4th word
    assert all(len(line.split()) == 6 for line in bodies[0].split("\n")[:2])
    assert "No text has been read" in client.get("/items/record/text").text

    set_visibility(services, "pages", "restricted", None)
    try:
        refused = client.get("/items/pages/text")
        assert refused.status_code in (401, 403, 404) and WORD not in refused.text
        assert "pages" not in re.findall(r'href="/items/([^"?]+)"', client.get("/search", params={"q": WORD}).text)
    finally:
        set_visibility(services, "pages", "public", None)
