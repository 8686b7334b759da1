"""The staff pages in real Chromium (Debian's, driven by Playwright) against `muniment serve`: sign
in, edit a title into a schema error, see it at its line, fix it, save, see v2 and its diff, sign
out; axe-core checks every staff page visited (no serious or critical violation), and each is
photographed under test-output/staff/, at desktop width and at 320 pixels."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from repo.auth import Role
from repo.auth.users import UserStore
from repo.lifecycle.collections import ensure_collection
from repo.services import Services
from repo.settings import Settings
from tests.api.helpers import ingest_item
from tests.servers.ports import free_port
from tests.staff.browser import OUTPUT, TIMEOUT_MS, check, chromium

sync_api = pytest.importorskip("playwright.sync_api")

MUNIMENT = str(Path(sys.executable).parent / "muniment")
PASSWORD = "a curator's password"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    root = tmp_path_factory.mktemp("staff-browser")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "MUNIMENT_DATA_DIR": str(root / "data"),
        "MUNIMENT_BASE_URL": base_url,
        "MUNIMENT_PORT": str(port),
        "MUNIMENT_WORKERS": "1",
        "MUNIMENT_LOG_LEVEL": "WARNING",
    }
    services = Services.open(Settings(data_dir=root / "data", ingest_workers=2, base_url=base_url))
    try:
        ensure_collection(services, "letters", "Letters")
        item_id = ingest_item(services, root / "scans", "letter-7", pages=2)
        UserStore(services.catalog.db).create("ada", Role.CURATOR, PASSWORD)
    finally:
        services.close()
    log = (root / "serve.log").open("wb")
    process = subprocess.Popen([MUNIMENT, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, (root / "serve.log").read_text()
            import time

            time.sleep(0.2)
        yield base_url, item_id
    finally:
        process.terminate()
        process.wait(timeout=15)
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from chromium(sync_api)


def test_a_curator_edits_a_title_through_a_schema_error_to_v2(server: tuple[str, str], browser: Any) -> None:
    base_url, item_id = server
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_default_timeout(TIMEOUT_MS)

    page.goto(f"{base_url}/staff/items/{item_id}")
    page.wait_for_url("**/staff/sign-in?next=**")
    check(page, "sign-in")
    page.fill("#name", "ada")
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(f"**/staff/items/{item_id}")
    page.wait_for_function("[...document.images].every(i => i.complete && i.naturalWidth > 0)")
    check(page, "item")

    page.click("text=Edit metadata")
    page.click("text=MODS or DC XML")
    page.wait_for_url("**mode=xml")
    check(page, "edit-xml")
    original = page.input_value("#xml")
    assert "<title>Letter letter-7</title>" in original
    broken = original.replace("<title>Letter letter-7</title>", "<title>Letter to Mr Babbage</title><mistake/>")
    bad_line = broken.split("\n").index(next(line for line in broken.split("\n") if "<mistake/>" in line)) + 1
    page.fill("#xml", broken)
    page.click("button:has-text('Save as version 2')")
    problems = page.locator("#problems")
    problems.wait_for()
    assert f"Line {bad_line}" in problems.inner_text()
    assert "mistake" in page.locator(".excerpt__line--bad").inner_text()
    assert page.locator(".excerpt__line--bad .excerpt__no").inner_text() == str(bad_line)
    check(page, "edit-schema-error")
    page.click(f"a.line-link[data-line='{bad_line}']")  # the editor selects the line at fault
    selected = page.evaluate(
        "(() => { const t = document.getElementById('xml');"
        " return t.value.slice(t.selectionStart, t.selectionEnd); })()"
    )
    assert "<mistake/>" in selected

    page.fill("#xml", page.input_value("#xml").replace("<mistake/>", ""))
    page.click("button:has-text('Save as version 2')")
    page.wait_for_url("**/history?a=1&b=2**")
    assert "Saved as version 2" in page.locator(".notice").inner_text()
    diff = page.locator("table.diff")
    assert diff.locator("del").inner_text() == "Letter letter-7"
    assert diff.locator("ins").inner_text() == "Letter to Mr Babbage"
    assert page.locator("ol.versions li").first.inner_text().startswith("v2")
    check(page, "history-diff")

    for name, path in (
        ("dashboard", "/staff/"),
        ("items", "/staff/items"),
        ("collections", "/staff/collections"),
        ("ingest", "/staff/ingest"),
        ("preservation", "/staff/preservation"),
    ):
        page.goto(f"{base_url}{path}")
        check(page, name)

    page.click("button:has-text('Sign out')")
    page.wait_for_url("**/staff/sign-in**")
    assert "You have signed out." in page.locator(".notice").inner_text()
    page.goto(f"{base_url}/staff/")
    page.wait_for_url("**/staff/sign-in?next=**")
    assert errors == []


def test_staff_pages_fit_320_pixels(server: tuple[str, str], browser: Any) -> None:
    base_url, item_id = server
    context = browser.new_context(viewport={"width": 320, "height": 700})
    page = context.new_page()
    page.goto(f"{base_url}/staff/sign-in")
    page.fill("#name", "ada")
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url("**/staff/")
    for name, path in (
        ("dashboard", "/staff/"),
        ("items", "/staff/items"),
        ("item", f"/staff/items/{item_id}"),
        ("edit", f"/staff/items/{item_id}/edit"),
        ("history", f"/staff/items/{item_id}/history"),
        ("ingest", "/staff/ingest"),
        ("preservation", "/staff/preservation"),
    ):
        page.goto(f"{base_url}{path}")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        page.screenshot(path=str(OUTPUT / f"narrow-{name}.png"), full_page=True)
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at 320 pixels"
    context.close()


def test_two_curators_saving_one_collection_in_their_browsers(server: tuple[str, str], browser: Any) -> None:
    """The later curator sees the refusal and what the other saved, keeps their own typing, and
    saves knowingly with the keyboard."""
    base_url, _ = server
    pages = []
    for _ in range(2):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(f"{base_url}/staff/collections/letters")
        page.fill("#name", "ada")
        page.fill("#password", PASSWORD)
        page.click("button:has-text('Sign in')")
        page.wait_for_url("**/staff/collections/letters")
        pages.append(page)
    first, later = pages
    first.fill("#title", "Letters, first curator")
    with first.expect_navigation():
        first.click("button:has-text('Save')")
    assert "Collection saved." in first.content()
    later.fill("#title", "Letters, later curator")
    with later.expect_navigation():
        later.click("button:has-text('Save')")
    problems = later.locator("#problems")
    problems.wait_for()
    assert "saved by someone else" in problems.inner_text() and "Letters, first curator" in problems.inner_text()
    assert later.input_value("#title") == "Letters, later curator"
    check(later, "collection-changed-meanwhile")
    later.focus("#title")
    with later.expect_navigation():
        later.keyboard.press("Enter")  # the form's submit, from the keyboard
    assert "later curator" in later.inner_text("h1") and later.locator("#problems").count() == 0
    later.fill("#title", "Letters")
    with later.expect_navigation():
        later.click("button:has-text('Save')")
    for page in pages:
        page.context.close()
