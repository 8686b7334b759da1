"""Content Search over a word on every page of a long item: the next links of 1.0 and 2.0 walk
every hit once in page order, each page numbered by ``startIndex``, and the prev, first and last
links name the pages a reader reaches by walking."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from app.web.app import create_app
from repo.ocr.page_text import PageText, Word
from repo.search import page_text
from repo.services import Services
from repo.settings import Settings

PAGES = 130  # "ink" once a page, "quill" four times: more than one page of 100 hits each
BASE = "http://testserver"


def _page(seq: int) -> PageText:
    texts = ["quill", "and", "ink", "quill"] + [f"word{seq}x{k}" for k in range(6)] + ["quill", "quill"]
    return PageText(1000, 1000, tuple(Word(t, 10 + k * 70, 10 + seq % 5, 60, 20, 0) for k, t in enumerate(texts)))


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("paging") / "data", base_url=BASE, ocr=False)
    services = Services.open(settings)
    services.catalog.ensure_collection("texts", "Texts")
    services.catalog.db.execute(
        "INSERT INTO items (id, collection, content_key, title, visibility, status, page_count, created, datestamp)"
        " VALUES ('long', 'texts', 'k', 'A long book', 'public', 'active', ?, '2024-01-01T00:00:00Z',"
        " '2024-01-01T00:00:00Z')",
        (PAGES,),
    )
    page_text.add_pages(
        services.catalog.db,
        [page_text.NewPage("long", seq, _page(seq), b"<alto/>", "tesseract", version=1) for seq in range(1, PAGES + 1)],
    )
    yield TestClient(create_app(settings, services))
    services.catalog.close()


def _get(client: TestClient, url: str) -> dict[str, Any]:
    answer = client.get(url.removeprefix(BASE))
    assert answer.status_code == 200, url
    return dict(answer.json())


@pytest.mark.parametrize("word, per_page", [("ink", 1), ("quill", 4)])
def test_content_search_2_next_links_walk_every_hit_once(client: TestClient, word: str, per_page: int) -> None:
    first = _get(client, f"/iiif/long/search/2?q={word}")
    total = PAGES * per_page
    assert first["partOf"]["total"] == total and "prev" not in first
    pages, url = [], first["id"]
    while url:
        doc = _get(client, url)
        assert doc["startIndex"] == sum(len(p["items"]) for p in pages)
        assert doc["partOf"]["last"]["id"] == first["partOf"]["last"]["id"]
        if pages:
            assert _get(client, doc["prev"]["id"])["items"] == pages[-1]["items"]
        pages.append(doc)
        url = doc.get("next", {}).get("id")
    targets = [item["target"].removeprefix(f"{BASE}/iiif/long/canvas/p") for p in pages for item in p["items"]]
    pages_hit = [int(t.split("#")[0]) for t in targets]
    assert len(targets) == len(set(targets)) == total  # every hit once
    assert pages_hit == sorted(pages_hit) and set(pages_hit) == set(range(1, PAGES + 1))
    assert all(item["body"]["value"] == word for p in pages for item in p["items"])
    assert _get(client, first["partOf"]["last"]["id"])["items"] == pages[-1]["items"]
    assert _get(client, first["partOf"]["first"]["id"])["items"] == first["items"]
    # The 2.0 selectors carry the words around each hit.
    selector = pages[-1]["annotations"][0]["items"][-1]["target"]["selector"][0]
    assert selector["exact"] == word and selector["prefix"].strip()


def test_content_search_1_pages_by_link_and_by_number_agree(client: TestClient) -> None:
    first = _get(client, "/iiif/long/search/1?q=quill")
    assert first["within"]["total"] == PAGES * 4
    second = _get(client, first["next"])
    assert "from=" in first["next"] and second["startIndex"] == 100
    assert _get(client, "/iiif/long/search/1?q=quill&page=1")["resources"] == second["resources"]
    last = _get(client, first["within"]["last"])
    assert last["startIndex"] == (PAGES * 4 - 1) // 100 * 100 and "next" not in last
    assert len(last["resources"]) == PAGES * 4 - last["startIndex"]
    assert _get(client, last["prev"])["startIndex"] == last["startIndex"] - 100
    # A key that is no hit's key starts at the first hit after it; one that is not a key is ignored.
    assert _get(client, "/iiif/long/search/1?q=quill&page=1&from=p2w1")["hits"][0]["before"].strip() == "quill and ink"
    assert _get(client, "/iiif/long/search/1?q=quill&page=1&from=bogus")["resources"] == second["resources"]
