"""ALTO and hOCR supplied beside the scans: kept in the bag as supplied (with a PREMIS event that
says so), indexed for Content Search, and the pages not read by OCR; a bad file is the item's
problem, naming the file and line, and nothing is stored."""

from __future__ import annotations

import signal
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import bagit
import pytest
from starlette.testclient import TestClient

from app.web.app import create_app
from ingest.bag_input import bag_source
from ingest.context import ItemSource
from ingest.runner import Ingester, ItemResult
from repo.metadata.premis import parse_premis_events
from repo.ocr.service import ItemOcr
from repo.search import page_text
from repo.services import Services
from repo.settings import Settings
from tests.ocr.pages import DrawnWord, alto_for, draw_page, words_for

MODS = """<?xml version="1.0" encoding="UTF-8"?>
<mods xmlns="http://www.loc.gov/mods/v3" version="3.8"><titleInfo><title>Ledger</title></titleInfo></mods>
"""
W, H = 900, 420


def _alto_of(drawn: list[DrawnWord], width: int = W, height: int = H) -> bytes:
    return alto_for(drawn, width, height)


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"), base_url="http://muniment.test", ocr=False)
    opened = Services.open(settings)
    yield opened
    opened.close()


def _folder(root: Path, name: str) -> tuple[Path, dict[int, list[DrawnWord]]]:
    folder = root / name
    folder.mkdir()
    drawn = {
        seq: draw_page(folder / f"p{seq}.png", words_for(seq + len(name), 24), width=W, height=H, margin=40, size=28)
        for seq in (1, 2, 3)
    }
    (folder / "mods.xml").write_text(MODS)
    return folder, drawn


def _ingest(services: Services, folder: Path, identifier: str) -> ItemResult:
    ingester = Ingester(services, workers=2)
    try:
        return ingester.ingest(ItemSource(folder, "ledgers", identifier=identifier))
    finally:
        ingester.close()


def test_supplied_alto_and_hocr_are_kept_indexed_and_not_read_again(services: Services, tmp_path: Path) -> None:
    folder, drawn = _folder(tmp_path, "good")
    alto = _alto_of(drawn[1])
    (folder / "p1.alto.xml").write_bytes(alto)
    # Page 2's hOCR as the tesseract command writes it (XHTML with its DOCTYPE).
    subprocess.run(["tesseract", str(folder / "p2.png"), str(tmp_path / "p2"), "hocr"], check=True, capture_output=True)
    hocr = (tmp_path / "p2.hocr").read_bytes()
    (folder / "p2.hocr").write_bytes(hocr)

    result = _ingest(services, folder, "good")
    assert result.status == "ingested", result.problems
    item_id = result.item_id
    assert item_id is not None

    bag_root = services.object_store().export_version(f"urn:muniment:item:{item_id}", None, tmp_path / "export")
    bagit.Bag(str(bag_root)).validate()
    assert (bag_root / "ocr/0001.alto.xml").read_bytes() == alto  # kept byte for byte
    assert (bag_root / "ocr/0002.hocr").read_bytes() == hocr
    assert not (bag_root / "ocr/0003.alto.xml").exists()
    events = parse_premis_events((bag_root / "metadata/premis.xml").read_bytes())
    supplied = [e for e in events if "supplied with the scans" in e.detail]
    assert len(supplied) == 1 and "p1.alto.xml" in supplied[0].detail and "p2.hocr" in supplied[0].detail

    stored = page_text.pages_with_text(services.catalog.db, item_id)
    assert {seq: p.source for seq, p in stored.items()} == {1: "alto", 2: "hocr"}
    assert stored[1].text.split() == [d.text for d in drawn[1]]
    ocr = ItemOcr(services)
    assert ocr.plan(item_id) == [3]  # only the page without text is read
    assert ocr.plan(item_id, again=True) == [3]
    assert ocr.index_stored(item_id) == 0  # nothing the index lacks

    client = TestClient(create_app(services.settings, services))
    word = drawn[2][5]
    found = client.get(f"/iiif/{item_id}/search/1", params={"q": word.text}).json()
    on_page_2 = [r for r in found["resources"] if r["on"].split("#")[0].endswith("/canvas/p2")]
    assert on_page_2, found
    boxes = [tuple(int(v) for v in r["on"].split("#xywh=")[1].split(",")) for r in on_page_2]
    assert any(all(abs(a - round(b)) <= 6 for a, b in zip(box[:2], word.box[:2], strict=True)) for box in boxes)
    served = client.get(f"/iiif/{item_id}/alto/p2.xml")  # hOCR served to viewers as ALTO
    assert served.status_code == 200 and b"alto/ns-v4#" in served.content and word.text.encode() in served.content


@pytest.mark.parametrize(
    ("name", "content", "reason", "line"),
    [
        ("p1.alto.xml", lambda d: _alto_of(d).replace(b"<Layout>", b"<Layout><Bogus/>"), "Bogus", 4),
        ("p1.xml", lambda d: _alto_of(d, width=W + 10), f"{W + 10}x{H} page; the scan is {W}x{H}", 4),
        (
            "p1.hocr",
            lambda d: (
                b"<html><body>\n<div class='ocr_page' title='bbox 0 0 900 420'>\n"
                b"<span class='ocrx_word' title='bbox 10 10 60 40'>one</span>\n"
                b"<span class='ocrx_word' title='bbox 880 10 960 40'>two</span>\n</div></body></html>"
            ),
            "outside the 900x420 scan",
            4,
        ),
        ("p1.html", lambda d: b"<html><body><p>no hOCR here</p></body></html>", "no element of class ocr_page", None),
    ],
)
def test_a_bad_supplied_file_fails_the_item_naming_file_and_line(
    services: Services, tmp_path: Path, name: str, content: object, reason: str, line: int | None
) -> None:
    folder, drawn = _folder(tmp_path, "bad")
    (folder / name).write_bytes(content(drawn[1]))  # type: ignore[operator]
    result = _ingest(services, folder, f"bad-{name.replace('.', '-')}")
    assert result.status == "failed"
    problem = next(p for p in result.problems if p.file.endswith(name))
    assert reason in problem.reason
    if line is not None:
        assert problem.line == line
    assert services.catalog.get_item(f"bad-{name.replace('.', '-')}") is None
    assert not services.object_store().exists(f"urn:muniment:item:bad-{name.replace('.', '-')}")


def test_text_for_no_page_and_two_texts_for_one_page(services: Services, tmp_path: Path) -> None:
    folder, drawn = _folder(tmp_path, "odd")
    (folder / "p9.alto.xml").write_bytes(_alto_of(drawn[1]))
    (folder / "p1.alto.xml").write_bytes(_alto_of(drawn[1]))
    (folder / "p1.hocr").write_bytes(b"<html/>")
    result = _ingest(services, folder, "odd")
    assert result.status == "failed"
    reasons = {Path(p.file).name: p.reason for p in result.problems}
    assert "no page image named p9" in reasons["p9.alto.xml"]
    assert "a second page text for p1.png" in reasons["p1.hocr"]


def test_hocr_entities_are_neither_expanded_nor_fetched() -> None:
    from repo.ocr.page_text import read_hocr

    hostile = (
        b'<!DOCTYPE html [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY f SYSTEM "file:///etc/passwd">]>\n<html><body><div class="ocr_page" title="bbox 0 0 90 40">'
        b'<span class="ocrx_word" title="bbox 1 1 20 20">&b;</span><span class="ocrx_word" title="bbox 30 1 50 20">'
        b"&f;</span></div></body></html>"
    )
    assert [w.text for w in read_hocr(hostile, "hostile.hocr", scan=(90, 40)).words] == ["&b;", "&f;"]


def _zip_bag(bag_dir: Path, archive: Path) -> Path:
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(bag_dir.rglob("*")):
            if path.is_file():
                zf.write(path, f"bag/{path.relative_to(bag_dir)}")
    return archive


def _ingest_bag(services: Services, archive: Path, staging: Path) -> ItemResult:
    ingester = Ingester(services, workers=2)
    try:
        return ingester.ingest(bag_source(archive, staging, services.settings, collection="ledgers", profile_path=None))
    finally:
        ingester.close()


def test_text_in_an_incoming_bag_is_checked_kept_and_indexed(services: Services, tmp_path: Path) -> None:
    # A bag made by another tool: ALTO beside its first scan in data/, hOCR for page 2 as the tag
    # file ocr/0002.hocr (Muniment's own layout); page 3 has none.
    folder, drawn = _folder(tmp_path, "bagged")
    (folder / "p1.alto.xml").write_bytes(_alto_of(drawn[1]))
    (folder / "mods.xml").unlink()
    bag = bagit.make_bag(str(folder), {"Bag-Group-Identifier": "ledgers", "External-Identifier": "bagged"})
    (folder / "metadata").mkdir()
    (folder / "metadata/mods.xml").write_text(MODS)
    subprocess.run(
        ["tesseract", str(folder / "data/p2.png"), str(tmp_path / "p2"), "hocr"], check=True, capture_output=True
    )
    (folder / "ocr").mkdir()
    (folder / "ocr/0002.hocr").write_bytes((tmp_path / "p2.hocr").read_bytes())
    bag.save(manifests=True)
    archive = _zip_bag(folder, tmp_path / "bagged.zip")

    result = _ingest_bag(services, archive, tmp_path / "staging")
    assert result.status == "ingested", result.problems
    stored = page_text.pages_with_text(services.catalog.db, "bagged")
    assert {seq: p.source for seq, p in stored.items()} == {1: "alto", 2: "hocr"}
    assert ItemOcr(services).plan("bagged") == [3]
    kept = services.object_store().export_version("urn:muniment:item:bagged", None, tmp_path / "kept")
    bagit.Bag(str(kept)).validate()
    assert (kept / "ocr/0001.alto.xml").read_bytes() == (folder / "data/p1.alto.xml").read_bytes()
    assert (kept / "ocr/0002.hocr").read_bytes() == (folder / "ocr/0002.hocr").read_bytes()
    events = parse_premis_events((kept / "metadata/premis.xml").read_bytes())
    assert any("p1.alto.xml" in e.detail and "0002.hocr" in e.detail for e in events)
    client = TestClient(create_app(services.settings, services))
    word = drawn[2][5].text
    hits = client.get("/iiif/bagged/search/2", params={"q": word}).json()["items"]
    assert any(h["target"].split("#")[0].endswith("/canvas/p2") for h in hits)

    # Muniment's own bag of that item, exported and ingested elsewhere, brings its text along.
    elsewhere = Services.open(Settings(data_dir=tmp_path / "elsewhere", base_url="http://muniment.test", ocr=False))
    try:
        again = _ingest_bag(elsewhere, _zip_bag(kept, tmp_path / "kept.zip"), tmp_path / "staging2")
        assert again.status == "ingested", again.problems
        texts = page_text.pages_with_text(elsewhere.catalog.db, "bagged")
        assert {seq: (p.source, p.text) for seq, p in texts.items()} == {
            seq: (p.source, p.text) for seq, p in stored.items()
        }
    finally:
        elsewhere.close()


def test_bad_text_in_an_incoming_bag_fails_the_item_naming_the_file(services: Services, tmp_path: Path) -> None:
    folder, drawn = _folder(tmp_path, "bad-bag")
    (folder / "mods.xml").unlink()
    bag = bagit.make_bag(str(folder), {"Bag-Group-Identifier": "ledgers", "External-Identifier": "badbag"})
    (folder / "metadata").mkdir()
    (folder / "metadata/mods.xml").write_text(MODS)
    (folder / "ocr").mkdir()
    (folder / "ocr/0001.alto.xml").write_bytes(_alto_of(drawn[1], width=W + 10))
    (folder / "ocr/0007.alto.xml").write_bytes(_alto_of(drawn[1]))
    (folder / "ocr/notes.txt").write_text("read by hand")
    bag.save(manifests=True)
    result = _ingest_bag(services, _zip_bag(folder, tmp_path / "badbag.zip"), tmp_path / "staging")
    assert result.status == "failed"
    reasons = {Path(p.file).name: (p.reason, p.line) for p in result.problems}
    assert f"{W + 10}x{H} page; the scan is {W}x{H}" in reasons["0001.alto.xml"][0]
    assert reasons["0001.alto.xml"][1] == 4
    assert "page 7, but the bag has 3 page(s)" in reasons["0007.alto.xml"][0]
    assert "not page text" in reasons["notes.txt"][0]
    assert services.catalog.get_item("badbag") is None
    assert not services.object_store().exists("urn:muniment:item:badbag")


# kill -9 at the first word of supplied text written to the catalog, after the item's rows.
_KILLED_WHILE_INDEXING = """
import os, signal, sys
from pathlib import Path
from repo.catalog import db
from ingest.context import ItemSource
from ingest.runner import Ingester
from repo.services import Services
from repo.settings import Settings

connect = db.Database._connect_sqlite

def connect_and_die_at_page_words(self):
    conn = connect(self)
    die = lambda sql: sql.startswith("INSERT INTO page_words") and os.kill(os.getpid(), signal.SIGKILL)
    conn.set_trace_callback(die)
    return conn

db.Database._connect_sqlite = connect_and_die_at_page_words
services = Services.open(Settings(data_dir=Path(sys.argv[1]), base_url="http://muniment.test", ocr=False))
Ingester(services, workers=1).ingest(ItemSource(Path(sys.argv[2]), "ledgers", identifier="cut"))
"""


def test_a_crash_while_supplied_text_is_indexed_leaves_no_item_until_the_ingest_runs_again(tmp_path: Path) -> None:
    folder, drawn = _folder(tmp_path, "cut")
    (folder / "p1.alto.xml").write_bytes(_alto_of(drawn[1]))
    data = tmp_path / "data"
    run = subprocess.run(
        [sys.executable, "-c", _KILLED_WHILE_INDEXING, str(data), str(folder)], capture_output=True, text=True
    )
    assert run.returncode == -signal.SIGKILL, run.stderr
    services = Services.open(Settings(data_dir=data, base_url="http://muniment.test", ocr=False))
    try:
        assert services.catalog.get_item("cut") is None  # not an item without its text
        assert services.object_store().exists("urn:muniment:item:cut")  # stored: the run again registers it
        result = _ingest(services, folder, "cut")
        assert result.status == "ingested", result.problems
        assert page_text.pages_with_text(services.catalog.db, "cut")[1].text.split() == [d.text for d in drawn[1]]
    finally:
        services.close()


@pytest.mark.parametrize("version", ["2", "3"])
def test_alto_2_and_3_from_older_ocr_are_read_for_their_words(services: Services, tmp_path: Path, version: str) -> None:
    # No ALTO 2 or 3 schema is shipped: such a file is checked for its page size and word boxes only.
    folder, drawn = _folder(tmp_path, {"2": "older-alto2", "3": "older-alto-3"}[version])  # other words each
    older = _alto_of(drawn[1]).replace(b"alto/ns-v4#", f"alto/ns-v{version}#".encode())
    (folder / "p1.alto.xml").write_bytes(older.replace(b"alto/v4/alto-4-4.xsd", b""))
    result = _ingest(services, folder, f"older-v{version}")
    assert result.status == "ingested", result.problems
    stored = page_text.pages_with_text(services.catalog.db, f"older-v{version}")
    assert stored[1].source == "alto" and stored[1].text.split() == [d.text for d in drawn[1]]
    outside = _alto_of(drawn[1], width=W + 10).replace(b"alto/ns-v4#", f"alto/ns-v{version}#".encode())
    (folder / "p1.alto.xml").write_bytes(outside)
    refused = _ingest(services, folder, f"older-v{version}-wrong-size")
    assert refused.status == "failed"
    assert any(p.file.endswith("p1.alto.xml") and "the scan is" in p.reason for p in refused.problems)
