"""The text view of a long item comes in parts of MUNIMENT_TEXT_PAGES_PER_PART pages, each a stable
link by its first page: following the parts reads every page once, in order; "go to page" lands on
the part that holds the page, at its heading; a page that is not there is said so."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from app.web.app import create_app
from repo.ocr.page_text import PageText, Word
from repo.search import page_text
from repo.services import Services
from repo.settings import Settings
from tests.web.html_check import check_page

PAGES = 45  # parts of 20: 1-20, 21-40, 41-45
STAMP = "2024-01-01T00:00:00Z"


def _words(seq: int) -> tuple[Word, ...]:
    return tuple(Word(t, 10 + k * 80, 10, 70, 20, 0) for k, t in enumerate(["leaf", f"number{seq}", "ends"]))


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("parts") / "data", base_url="http://testserver", ocr=False)
    services = Services.open(settings)
    db = services.catalog.db
    services.catalog.ensure_collection("texts", "Texts")
    db.execute(
        "INSERT INTO items (id, collection, content_key, title, visibility, status, page_count, created, datestamp)"
        " VALUES ('long', 'texts', 'k', 'A long book', 'public', 'active', ?, ?, ?)",
        (PAGES, STAMP, STAMP),
    )
    db.executemany(
        "INSERT INTO files (item_id, seq, path, label, size, sha512, mime, width, height, derivative_key,"
        " thumbnail_key) VALUES ('long', ?, ?, ?, 1, '', 'image/png', 1000, 1000, '', '')",
        [(seq, f"data/p{seq}.png", str(seq)) for seq in range(1, PAGES + 1)],
    )
    # Page 30 has no text read yet; every other page has its own.
    page_text.add_pages(
        db,
        [
            page_text.NewPage("long", seq, PageText(1000, 1000, _words(seq)), b"<alto/>", "tesseract", version=1)
            for seq in range(1, PAGES + 1)
            if seq != 30
        ],
    )
    yield TestClient(create_app(settings, services))
    services.close()


def _headings(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<h2 id="page-(\d+)">', html)]


def test_following_the_parts_reads_every_page_once_in_order(client: TestClient) -> None:
    url: str | None = "/items/long/text"
    seen: list[int] = []
    parts = 0
    while url:
        page = client.get(url)
        assert page.status_code == 200 and check_page(page.text) == [], url
        headings = _headings(page.text)
        assert 1 <= len(headings) <= 20
        for seq in headings:
            section = page.text.split(f'<h2 id="page-{seq}">', 1)[1].split("</section>", 1)[0]
            assert (f"number{seq}" in section) == (seq != 30), seq
        assert "No text has been read from this page." in page.text or 30 not in headings
        current = re.findall(r'<a href="([^"]+)" aria-current="page">', page.text)
        assert current == [url if "?" in url else f"{url}?from=1"] * 2  # the part's own link, at top and bottom
        seen += headings
        parts += 1
        found = re.search(r'<a href="([^"]+)" rel="next">', page.text)
        url = found[1] if found else None
    assert seen == list(range(1, PAGES + 1)) and parts == 3
    last = client.get("/items/long/text?from=41").text
    assert re.search(r'<a href="/items/long/text\?from=21" rel="prev">', last)


def test_go_to_page_lands_on_its_part_at_its_heading(client: TestClient) -> None:
    form = client.get("/items/long/text").text
    assert re.search(r'<label for="go-to-page">Go to page</label>\s*<input id="go-to-page" name="page"', form)
    moved = client.get("/items/long/text", params={"page": "33"}, follow_redirects=False)
    assert moved.status_code == 303 and moved.headers["location"] == "/items/long/text?from=21#page-33"
    assert 33 in _headings(client.get(moved.headers["location"]).text)
    missing = client.get("/items/long/text", params={"page": "99"})
    assert missing.status_code == 200 and "There is no page 99: the pages are numbered 1 to 45." in missing.text
    assert _headings(missing.text) == list(range(1, 21))
    assert _headings(client.get("/items/long/text?from=bogus").text) == list(range(1, 21))  # a stale link: part 1
