"""Proof in a real browser: `muniment serve` with the demo collection, driven by Debian's Chromium.

Playwright drives /usr/bin/chromium (it never downloads a browser of its own). Screenshots go to
test-output/browser/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.web.pages.site import MIRADOR
from tests.web.demo_server import DemoServer

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "browser"
TIMEOUT_MS = 60_000

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    assert MIRADOR.is_file(), "Mirador is not installed: run `bash app/web/static/build.sh` (make test does)"
    running = DemoServer.start(tmp_path_factory.mktemp("demo"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: apt-get install chromium (make test does)"
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


def _item(server: DemoServer, collection: str) -> Any:
    return next(item for item in server.items() if item.collection == collection)


def test_item_page_opens_the_manifest_in_mirador(server: DemoServer, browser: Any) -> None:
    book = _item(server, "books")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    # A tile of the first canvas: a region of page 1's image (thumbnails ask for "full").
    tile_of_first_canvas = re.compile(rf"/iiif/3/{re.escape(book.id)}~1/\d+,\d+,\d+,\d+/[^/]+/0/default\.jpg$")

    def first_canvas_tile(response: Any) -> bool:
        return bool(tile_of_first_canvas.search(response.url)) and response.ok

    with page.expect_response(first_canvas_tile, timeout=TIMEOUT_MS) as tile:
        page.goto(f"{server.base_url}/items/{book.id}")
    assert tile.value.status == 200 and tile.value.headers["content-type"] == "image/jpeg"
    page.wait_for_selector("#viewer .openseadragon-canvas canvas", timeout=TIMEOUT_MS)
    # Mirador's canvas counter: the first of the book's canvases is the one shown.
    page.locator("#viewer").get_by_text(f"1 of {book.page_count}").wait_for(timeout=TIMEOUT_MS)
    page.wait_for_load_state("networkidle", timeout=TIMEOUT_MS)
    page.screenshot(path=str(OUTPUT / "item.png"))
    page.screenshot(path=str(OUTPUT / "item-full-page.png"), full_page=True)
    assert page.title().startswith("The Harbour and the Hill")
    assert errors == []


def test_search_finds_by_description_and_narrows_by_facet(server: DemoServer, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{server.base_url}/")
    page.fill("#site-q", "lighthouse")  # in the book's MODS abstract and in the plates' DC description
    page.press("#site-q", "Enter")
    page.wait_for_url("**/search?q=lighthouse")
    results = page.locator(".results-list .result__title")
    titles = sorted(results.all_inner_texts())
    assert titles == ["Engraved Plates of the Parish", "The Harbour and the Hill: An Account of the Parish"]
    page.screenshot(path=str(OUTPUT / "search.png"), full_page=True)

    page.locator(".facets").get_by_role("link", name="StillImage").click()
    page.wait_for_url("**type=StillImage**")
    assert results.all_inner_texts() == ["Engraved Plates of the Parish"]
    assert page.locator("#results-heading").inner_text() == "1 item"
    page.screenshot(path=str(OUTPUT / "search-narrowed.png"), full_page=True)
    assert errors == []


def test_pages_fit_a_phone(server: DemoServer, browser: Any) -> None:
    context = browser.new_context(
        viewport={"width": 375, "height": 740}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    for name, path in (("home", "/"), ("search", "/search?q=parish")):
        page.goto(f"{server.base_url}{path}")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px on a phone"
        page.screenshot(path=str(OUTPUT / f"phone-{name}.png"), full_page=True)
    context.close()
