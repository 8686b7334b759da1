"""The bulk metadata page in real Chromium against `muniment serve`: a CSV chosen as a file is
read into the form, compared (a diff table), applied as a job, and the job's page reports the
item; axe-core checks each page (no serious or critical violation), photographed under
test-output/staff/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.staff.test_browser import PASSWORD, TIMEOUT_MS, browser, check, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow


def test_a_curator_applies_an_edited_csv(server: tuple[str, str], browser: Any, tmp_path: Path) -> None:  # noqa: F811
    base_url, item_id = server
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{base_url}/staff/metadata")
    page.wait_for_url("**/staff/sign-in?next=**")
    page.fill("#name", "ada")
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url("**/staff/metadata")
    check(page, "metadata")

    edited = tmp_path / "letters.csv"
    edited.write_text(f'identifier,title\n{item_id},"Letter seven, revised"\nno-such-item,X\n')
    page.set_input_files("#csv-file", str(edited))
    page.wait_for_function("document.getElementById('csv').value.includes('revised')")
    page.click("button:has-text('Compare with the items')")
    page.locator("#changes").wait_for()
    table = page.locator("table.data").inner_text()
    assert "Letter letter-7" in table and "Letter seven, revised" in table
    assert (
        "letters.csv: row 3, column identifier: unknown item 'no-such-item'" in page.locator("#problems").inner_text()
    )
    check(page, "metadata-compared")

    page.click("button:has-text('Apply 1 change(s) as new versions')")
    page.wait_for_url("**/staff/metadata/jobs/metadata-*")
    for _ in range(100):
        if "succeeded" in page.locator(".facts").inner_text():
            break
        page.wait_for_timeout(300)
        page.reload()
    assert f"row 2 {item_id}" in page.locator("table.data").inner_text()
    assert "v2: title changed" in page.locator("table.data").inner_text()
    check(page, "metadata-job")
    assert errors == []
