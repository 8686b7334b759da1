"""OCR with the real Tesseract on pages of printed words drawn at known places: the words come
back, the ALTO is valid and preserved in the bag with a PREMIS event naming Tesseract, and IIIF
Content Search 1.0 and 2.0 find a word on page 7 exactly where it was drawn."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import bagit
import pytest
from lxml import etree
from starlette.testclient import TestClient

from app.cli.main import main
from app.web.app import create_app
from ingest.context import ItemSource
from ingest.runner import Ingester
from repo.metadata.premis import parse_premis_events
from repo.metadata.schemas import alto_schema
from repo.ocr.page_text import read_alto
from repo.ocr.service import ItemOcr, alto_path
from repo.preservation import User
from repo.search import page_text
from repo.search.snippets import snippets as page_snippets
from repo.services import Services
from repo.settings import Settings
from tests.ocr.pages import FONTS, DrawnWord, draw_page, words_for
from tests.search import COUNTED

BASE = "http://muniment.test"
MODS = """<?xml version="1.0" encoding="UTF-8"?>
<mods xmlns="http://www.loc.gov/mods/v3" version="3.8">
  <titleInfo><title>Parish Register</title></titleInfo>
  <typeOfResource>text</typeOfResource>
  <language><languageTerm type="code" authority="iso639-2b">eng</languageTerm></language>
</mods>
"""
PAGES = 7
MARKER = "Quillfeather"  # drawn on page 7 only, twice


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[int, list[DrawnWord]]]:
    folder = tmp_path_factory.mktemp("book")
    drawn: dict[int, list[DrawnWord]] = {}
    for seq in range(1, PAGES + 1):
        words = words_for(seq, 45)
        if seq == PAGES:
            words[10], words[30] = MARKER, MARKER
        drawn[seq] = draw_page(
            folder / f"p{seq}.png",
            words,
            font_name=FONTS[seq % len(FONTS)],
            size=30,
            width=1000,
            height=760,
            margin=60,
            skew=1.2 if seq == 2 else 0.0,  # a page scanned slightly askew
        )
    (folder / "mods.xml").write_text(MODS)
    return folder, drawn


@pytest.fixture(scope="module")
def repository(
    tmp_path_factory: pytest.TempPathFactory, book: tuple[Path, dict[int, list[DrawnWord]]]
) -> Iterator[tuple[Services, str]]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"), base_url=BASE, ingest_workers=2)
    services = Services.open(settings)
    ingester = Ingester(services)
    result = ingester.ingest(ItemSource(book[0], "registers", identifier="register-1"))
    ingester.close()
    assert result.status == "ingested", result.problems
    assert result.item_id is not None
    ocr = ItemOcr(services)
    for seq in ocr.plan(result.item_id):
        ocr.read_page(result.item_id, seq)
    ocr.commit(result.item_id, User("tester", ""))
    ocr.close()
    yield services, result.item_id
    services.close()


def test_the_words_drawn_come_back_and_the_alto_is_preserved(
    repository: tuple[Services, str], book: tuple[Path, dict[int, list[DrawnWord]]], tmp_path: Path
) -> None:
    services, item_id = repository
    drawn = book[1]
    item = services.catalog.require_item(item_id)
    assert item.version == 2  # v1 the ingest, v2 the OCR text

    bag_root = services.object_store().export_version(f"urn:muniment:item:{item_id}", None, tmp_path / "export")
    bag = bagit.Bag(str(bag_root))
    bag.validate()  # every ALTO file is in the tag manifest, with its checksum
    for seq in range(1, PAGES + 1):
        assert alto_path(seq) in bag.tagfile_entries()
        data = (bag_root / alto_path(seq)).read_bytes()
        assert alto_schema().validate(etree.fromstring(data)), alto_schema().error_log
        read = [w.text for w in read_alto(data, alto_path(seq)).words]
        want = [w.text for w in drawn[seq]]
        found = sum(1 for word in want if word in read)
        assert found / len(want) >= 0.95, (seq, want, read)

    events = parse_premis_events((bag_root / "metadata/premis.xml").read_bytes())
    ocr_events = [e for e in events if "ALTO" in e.detail]
    assert len(ocr_events) == 1
    assert ocr_events[0].agent.startswith("Tesseract 5")
    assert "eng.traineddata, sha256 " in ocr_events[0].detail


def _marker_boxes(drawn: list[DrawnWord]) -> list[tuple[int, int, int, int]]:
    return [tuple(round(v) for v in w.box) for w in drawn if w.text == MARKER]  # type: ignore[misc]


def _close(got: tuple[int, ...], want: tuple[int, ...], pixels: int = 4) -> bool:
    return all(abs(a - b) <= pixels for a, b in zip(got, want, strict=True))


def test_content_search_2_finds_the_word_on_page_7_where_it_was_drawn(
    repository: tuple[Services, str], book: tuple[Path, dict[int, list[DrawnWord]]]
) -> None:
    services, item_id = repository
    client = TestClient(create_app(services.settings, services))
    manifest = client.get(f"/iiif/{item_id}/manifest").json()
    service = next(s for s in manifest["service"] if s["type"] == "SearchService2")
    assert service["service"][0]["type"] == "AutoCompleteService2"
    canvas = manifest["items"][PAGES - 1]
    assert canvas["rendering"][0]["format"] == "text/plain"
    assert canvas["seeAlso"][0]["id"].endswith(f"/alto/p{PAGES}.xml")

    answer = client.get(service["id"], params={"q": MARKER.lower()})
    assert answer.status_code == 200
    doc = answer.json()
    assert doc["@context"] == "http://iiif.io/api/search/2/context.json"
    assert doc["type"] == "AnnotationPage"
    assert len(doc["items"]) == 2
    want = _marker_boxes(book[1][PAGES])
    for annotation, box in zip(doc["items"], want, strict=True):
        assert annotation["type"] == "Annotation"
        assert annotation["motivation"] == "highlighting"
        target, _, fragment = annotation["target"].partition("#xywh=")
        assert target == canvas["id"]
        assert _close(tuple(int(v) for v in fragment.split(",")), box)
    selectors = [a["target"]["selector"][0] for a in doc["annotations"][0]["items"]]
    assert all(s["type"] == "TextQuoteSelector" and s["exact"] == MARKER for s in selectors)
    assert selectors[0]["prefix"].endswith(" ") and selectors[0]["suffix"].startswith(" ")
    assert doc["annotations"][0]["items"][0]["target"]["source"] == doc["items"][0]["id"]

    terms = client.get(service["service"][0]["id"], params={"q": "quill"}).json()
    assert terms["type"] == "TermPage"
    assert terms["items"][0]["value"] == MARKER.lower() and terms["items"][0]["total"] == 2


def test_content_search_1_phrase_and_paging(repository: tuple[Services, str]) -> None:
    services, item_id = repository
    client = TestClient(create_app(services.settings, services))
    manifest = client.get(f"/iiif/{item_id}/manifest").json()
    service = next(s for s in manifest["service"] if s["type"] == "SearchService1")
    assert service["profile"] == "http://iiif.io/api/search/1/search"

    doc = client.get(service["id"], params={"q": MARKER}).json()
    assert doc["@type"] == "sc:AnnotationList"
    assert doc["within"] == {"@type": "sc:Layer", "total": 2}
    assert [r["resource"]["chars"] for r in doc["resources"]] == [MARKER, MARKER]
    assert all(r["on"].split("#")[0].endswith(f"/canvas/p{PAGES}") for r in doc["resources"])
    assert doc["hits"][0]["annotations"] == [doc["resources"][0]["@id"]]
    assert doc["hits"][0]["match"] == MARKER

    # A phrase: two words standing together, as read from the page.
    words = page_text.page_lines(services.catalog.db, item_id, 3)[0][4].split()[:2]
    phrase = client.get(service["id"], params={"q": " ".join(words)}).json()
    assert phrase["within"]["total"] >= 1
    assert any(hit["match"] == " ".join(words) for hit in phrase["hits"])
    total_the = page_text.find_words(services.catalog.db, item_id, "the")[0]
    assert total_the > 0
    nothing = client.get(service["id"], params={"q": "zebracorn"}).json()
    assert nothing["within"]["total"] == 0 and nothing["resources"] == []


def test_page_text_for_screen_readers_and_viewers(repository: tuple[Services, str]) -> None:
    services, item_id = repository
    client = TestClient(create_app(services.settings, services))
    text = client.get(f"/iiif/{item_id}/text/p{PAGES}.txt")
    assert text.headers["content-type"].startswith("text/plain")
    assert MARKER in text.text
    lines = client.get(f"/iiif/{item_id}/lines/p{PAGES}").json()
    assert lines["type"] == "AnnotationPage"
    assert all(a["motivation"] == "supplementing" for a in lines["items"])
    assert any(MARKER in a["body"]["value"] for a in lines["items"])
    alto = client.get(f"/iiif/{item_id}/alto/p{PAGES}.xml")
    assert alto_schema().validate(etree.fromstring(alto.content))


def test_muniment_ocr_reads_the_item_again_as_a_new_version(
    tmp_path: Path,
    book: tuple[Path, dict[int, list[DrawnWord]]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("MUNIMENT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MUNIMENT_OCR", "false")  # the ingest queues nothing
    folder = tmp_path / "two"
    folder.mkdir()
    for name in ("p1.png", "p2.png", "mods.xml"):
        (folder / name).write_bytes((book[0] / name).read_bytes())
    assert main(["ingest", str(folder), "--collection", "registers", "--identifier", "two"]) == 0
    assert main(["ocr", "two"]) == 0
    out = capsys.readouterr().out
    assert "2 of 2 page(s) read" in out and "stored as v2" in out
    assert main(["ocr", "two"]) == 0  # read again: a new version
    assert "stored as v3" in capsys.readouterr().out
    assert main(["ocr", "no-such-item"]) == 2
    assert "no-such-item" in capsys.readouterr().err


def test_the_site_search_finds_page_text_after_record_matches(repository: tuple[Services, str]) -> None:
    from repo.search import Search, SearchQuery

    services, item_id = repository
    search = Search(services.catalog.db, count_budget=COUNTED)
    found = search.search(SearchQuery(text=MARKER.lower()))
    assert [hit.item_id for hit in found.hits] == [item_id]  # only its page 7 holds the word
    assert search.search(SearchQuery(text="zebracorn")).total == 0
    snippets = page_snippets(services.catalog.db, item_id, MARKER)
    assert {s.seq for s in snippets} == {PAGES}
    assert any(marked and text == MARKER for s in snippets for text, marked in s.parts)
