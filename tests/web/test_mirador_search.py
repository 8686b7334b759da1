"""Mirador's search panel on a real item page (`muniment serve`, Debian's Chromium): it asks the
item's IIIF Content Search 1.0 service, lists the hit, turns to its page and highlights the word.

The item's text is ALTO supplied beside the scans, so the test needs no OCR. Screenshots go to
test-output/browser/ (the public text pages' axe screenshots beside the staff pages').
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from app.web.pages.site import MIRADOR
from tests.ocr.pages import DrawnWord, alto_for, draw_page, words_for
from tests.servers.muniment import MunimentServer
from tests.staff.test_browser import check  # axe-core, then a screenshot in test-output/staff/
from tests.web import test_browser
from tests.web.test_browser import OUTPUT, TIMEOUT_MS

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.slow
browser = test_browser.browser  # Debian's Chromium, one for this module

W, H = 1000, 700
WORD = "Quillfeather"
# Yellow overlay pixels: where Mirador draws a search hit on the canvas's annotation layer.
HIGHLIGHT = """() => {
  const layer = document.querySelector('#viewer .openseadragon-canvas > div[width] > canvas');
  if (!layer) return null;
  const d = layer.getContext('2d').getImageData(0, 0, layer.width, layer.height).data;
  let n = 0, x0 = 1e9, y0 = 1e9, x1 = -1, y1 = -1;
  for (let i = 0; i < d.length; i += 4) {
    if (d[i + 3] > 0 && d[i] > 200 && d[i + 1] > 200 && d[i + 2] < 80) {
      const k = i / 4, x = k % layer.width, y = Math.floor(k / layer.width);
      n++; x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y);
    }
  }
  return {n, w: x1 - x0 + 1, h: y1 - y0 + 1};
}"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[MunimentServer, DrawnWord]]:
    assert MIRADOR.is_file(), "Mirador is not installed: run `bash app/web/static/build.sh` (make test does)"
    root = tmp_path_factory.mktemp("mirador-search")
    folder = root / "scans"
    folder.mkdir()
    marked: DrawnWord | None = None
    for seq in (1, 2, 3):
        words = words_for(seq, 30)
        if seq == 2:
            words[12] = WORD
        drawn = draw_page(folder / f"p{seq}.png", words, width=W, height=H, margin=60, size=30)
        (folder / f"p{seq}.alto.xml").write_bytes(alto_for(drawn, W, H, per_line=7))
        marked = marked or next((d for d in drawn if d.text == WORD), None)
    (folder / "mods.xml").write_text(
        '<?xml version="1.0"?><mods xmlns="http://www.loc.gov/mods/v3" version="3.8">'
        "<titleInfo><title>Searchable letters</title></titleInfo></mods>"
    )
    # Parts of two pages: the three pages' text view comes in two parts.
    env = {"MUNIMENT_OCR": "false", "MUNIMENT_LOG_LEVEL": "WARNING", "MUNIMENT_TEXT_PAGES_PER_PART": "2"}
    server = MunimentServer(root / "data", env=env)
    command = [sys.executable, "-m", "app.cli.main", "ingest", str(folder), "--collection", "letters"]
    subprocess.run([*command, "--identifier", "searchable"], env=server.env, check=True, capture_output=True)
    server.start()
    assert marked is not None
    try:
        yield server, marked
    finally:
        server.stop()


def test_mirador_search_panel_finds_the_word_and_highlights_it(
    served: tuple[MunimentServer, DrawnWord], browser: Any
) -> None:
    server, word = served
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{server.base_url}/items/searchable")
    viewer = page.locator("#viewer")
    page.wait_for_selector("#viewer .openseadragon-canvas canvas", timeout=TIMEOUT_MS)
    viewer.get_by_text("1 of 3").wait_for(timeout=TIMEOUT_MS)
    assert (page.evaluate(HIGHLIGHT) or {"n": 0})["n"] == 0  # nothing highlighted before a search

    viewer.get_by_role("button", name="Toggle sidebar").click()
    viewer.get_by_role("tab", name="Search").click()
    box = viewer.get_by_role("combobox")
    with page.expect_response(lambda r: "/iiif/searchable/search/1" in r.url and r.ok, timeout=TIMEOUT_MS):
        box.fill(WORD.lower())
        box.press("Enter")
    hits = viewer.locator("aside[aria-label='Search'] li").filter(has_text=WORD)
    hits.first.wait_for(timeout=TIMEOUT_MS)
    assert hits.count() == 1  # the one place the word was drawn
    viewer.get_by_text("2 of 3").wait_for(timeout=TIMEOUT_MS)  # Mirador turned to the hit's page

    found: dict[str, int] = {}

    def highlighted() -> bool:
        found.update(page.evaluate(HIGHLIGHT) or {"n": 0})
        return found["n"] > 50

    deadline = page.evaluate("Date.now()") + TIMEOUT_MS
    while not highlighted() and page.evaluate("Date.now()") < deadline:
        page.wait_for_timeout(200)
    assert found["n"] > 50, found
    drawn_ratio = word.box[2] / word.box[3]  # the highlight has the shape of the word's box
    assert abs(found["w"] / found["h"] - drawn_ratio) / drawn_ratio < 0.3, (found, word.box)
    page.screenshot(path=str(OUTPUT / "mirador-search.png"))
    assert errors == []


def test_the_text_view_and_search_snippets_pass_axe_and_work_with_the_keyboard(
    served: tuple[MunimentServer, DrawnWord], browser: Any
) -> None:
    server, _ = served
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{server.base_url}/search?q={WORD.lower()}")
    assert page.locator(".snippet mark").all_inner_texts() == [WORD]
    check(page, "public-search-snippets")
    page.locator(".snippet a").click()
    assert page.url.endswith("/items/searchable?page=2#viewer")
    page.get_by_text("2 of 3").wait_for()  # the viewer opened at the snippet's page

    page.goto(f"{server.base_url}/items/searchable")
    page.get_by_role("link", name="Text of the pages").click()
    assert page.locator("h2[id^=page-]").all_inner_texts() == ["Page 1", "Page 2"]  # the first part
    check(page, "public-text-view")
    page.set_viewport_size({"width": 320, "height": 800})
    check(page, "public-text-view-320")
    for _ in range(60):  # the keyboard alone reaches page 2's text
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('href')") == "#page-2":
            break
    page.keyboard.press("Enter")
    assert page.url.endswith("#page-2")
    assert WORD in page.locator("#page-2 + .page-text__body").inner_text()
    # And to page 3, in the next part, by "Go to page".
    for _ in range(60):
        page.keyboard.press("Shift+Tab")
        if page.evaluate("document.activeElement.id") == "go-to-page":
            break
    page.keyboard.type("3")
    page.keyboard.press("Enter")
    page.wait_for_url("**/text?from=3#page-3")
    assert page.locator("h2[id^=page-]").all_inner_texts() == ["Page 3"]
    page.set_viewport_size({"width": 1280, "height": 900})
    check(page, "public-text-view-part-2")
