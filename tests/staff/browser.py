"""What the staff browser tests share: Debian's chromium under Playwright, axe-core run on a page
as it stands (no serious or critical violation), and its screenshot under test-output/staff/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from app.web.pages.site import STATIC
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS

AXE = STATIC / "vendor" / "axe" / "axe.min.js"
OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "staff"
TIMEOUT_MS = 30_000


def chromium(sync_api: Any) -> Iterator[Any]:
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: apt-get install chromium (make test does)"
    assert AXE.is_file(), "axe-core is not installed: run `bash app/web/static/build.sh` (make test does)"
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


def check(page: Any, name: str) -> None:
    """axe-core on the page as it stands (no serious or critical violation), then its screenshot."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]
    page.screenshot(path=str(OUTPUT / f"{name}.png"), full_page=True)
    assert bad == [], f"{name}: {bad}"


def sign_in(page: Any, base_url: str, name: str, password: str) -> None:
    page.goto(f"{base_url}/staff/sign-in")
    page.fill("#name", name)
    page.fill("#password", password)
    page.click("button:has-text('Sign in')")
    page.wait_for_url("**/staff/")
