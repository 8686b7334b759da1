"""The staff interface's acceptance scenarios in real Chromium (Debian's, under Playwright) against
one `muniment serve` with its task worker: a curator uploads a folder of scans with its MODS file
through the folder picker, sees the dry run name a truncated scan and a schema error at its line
before anything is stored, fixes both, starts the job and follows it live (pages done of total)
to done; the item is on the public site; embargoed from its staff page it leaves public search and
its IIIF manifest and images refuse; signed out, the staff pages ask for sign-in again and the
back button shows no staff data. An admin withdraws an item with a reason: its public page is a
tombstone and OAI-PMH shows it deleted. Without JavaScript the plain upload form still works.
axe-core checks each page (no serious or critical violation); screenshots in test-output/staff/."""

from __future__ import annotations

import csv
import io
import re
import time
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
from tests.ingest.conftest import MODS, write_page
from tests.servers.muniment import MunimentServer
from tests.staff.browser import OUTPUT, TIMEOUT_MS, check, chromium, sign_in

sync_api = pytest.importorskip("playwright.sync_api")

CURATOR, ADMIN, PASSWORD = "ada", "grace", "an archivist's password"
TITLE = "Letter to Mr Babbage on the engine"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    root = tmp_path_factory.mktemp("staff-scenarios")
    data = root / "data"
    services = Services.open(Settings(data_dir=data, ingest_workers=2))
    try:
        ensure_collection(services, "letters", "Letters")
        kept = ingest_item(services, root / "scans", "letter-7")
        users = UserStore(services.catalog.db)
        users.create(CURATOR, Role.CURATOR, PASSWORD)
        users.create(ADMIN, Role.ADMIN, PASSWORD)
    finally:
        services.close()
    # Two pages or more are spread over page tasks, so the job page has pages to count.
    env = {"MUNIMENT_LOG_LEVEL": "WARNING", "MUNIMENT_QUEUE_FANOUT_PAGES": "2", "MUNIMENT_OCR": "false"}
    muniment = MunimentServer(data, env=env).start()
    try:
        yield muniment.base_url, kept, root
    finally:
        muniment.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from chromium(sync_api)


def new_page(browser: Any, **options: Any) -> tuple[Any, list[str]]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True, **options)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page, errors


def scans(folder: Path, *, truncated: bool, schema_error: bool) -> Path:
    """A folder of three scans and its MODS file, the second scan cut short or not."""
    folder.mkdir(parents=True, exist_ok=True)
    for n in (1, 2, 3):
        page = write_page(folder / f"p{n}.tif", 320, 240, seed=40 + n)
        if truncated and n == 2:
            page.write_bytes(page.read_bytes()[: page.stat().st_size // 2])
    record = MODS.format(title=TITLE)
    if schema_error:
        record = record.replace("</typeOfResource>", "</typeOfResource><bogus/>")
    (folder / "mods.xml").write_text(record)
    return folder


def fits_320(page: Any, name: str) -> None:
    """The page at 320 pixels wide: nothing scrolls sideways (photographed as narrow-NAME)."""
    page.set_viewport_size({"width": 320, "height": 700})
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    page.screenshot(path=str(OUTPUT / f"narrow-{name}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at 320 pixels"


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def wait_public(url: str, present: bool, needle: str, timeout: float = 20) -> httpx.Response:
    """The public answer once it shows (or no longer shows) ``needle``: the search index follows."""
    deadline = time.monotonic() + timeout
    while True:
        answer = httpx.get(url, timeout=10)
        if (needle in answer.text) == present or time.monotonic() > deadline:
            return answer
        time.sleep(0.3)


def refused(url: str, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while httpx.get(url, timeout=10).status_code not in (401, 403):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.3)
    return True


def test_a_curator_uploads_fixes_ingests_embargoes_and_signs_out(server: tuple[str, str, Path], browser: Any) -> None:
    base_url, _, root = server
    page, errors = new_page(browser)
    sign_in(page, base_url, CURATOR, PASSWORD)

    # The folder as a curator's disk has it: a truncated scan and a MODS schema error.
    folder = scans(root / "upload" / "letter-42", truncated=True, schema_error=True)
    bad_line = line_of((folder / "mods.xml").read_text(), "<bogus/>")
    page.goto(f"{base_url}/staff/ingest")
    check(page, "ingest-form")
    page.select_option("#collection", "letters")
    page.set_input_files("#folder", str(folder))
    page.click("button:has-text('Upload and check')")
    page.wait_for_url("**/staff/ingest/uploads/*?collection=letters")
    problems = page.locator("#problems").inner_text()
    assert "nothing can be stored yet" in problems
    assert "letter-42/p2.tif" in problems  # the bad image, by its path as sent
    assert f"mods.xml:{bad_line}" in problems and "bogus" in problems  # the schema error at its line
    assert "p1.tif" not in problems and "p3.tif" not in problems
    assert page.locator("button:has-text('Start the ingest')").count() == 0
    check(page, "dry-run-problems")
    with page.expect_download() as download:
        page.click("a:has-text('CSV')")
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert {r["file"] for r in rows} >= {"letter-42/p2.tif", f"mods.xml:{bad_line}"}
    assert httpx.get(f"{base_url}/search?q=Babbage").text.count(TITLE) == 0  # nothing stored

    # Fixed, uploaded again, ingested, and followed live to done.
    scans(folder, truncated=False, schema_error=False)
    page.goto(f"{base_url}/staff/ingest")
    page.set_input_files("#folder", str(folder))
    page.click("button:has-text('Upload and check')")
    page.wait_for_url("**/staff/ingest/uploads/*?collection=letters")
    assert "No problems: 3 page(s) in 1 item(s)" in page.locator(".ok").inner_text()
    check(page, "dry-run-ready")
    fits_320(page, "dry-run-ready")
    page.click("button:has-text('Start the ingest')")
    page.wait_for_url("**/staff/jobs/*")
    # Followed live: the page as first served had not finished, and it is never loaded again.
    assert page.locator("#job").get_attribute("data-state") in ("queued", "running")
    page.evaluate("window.notReloaded = true")
    seen = set()
    deadline = time.monotonic() + 60
    while (state := page.locator("#job-state").inner_text()) != "succeeded":
        seen.add((state, page.locator("#pages-text").inner_text()))
        assert state != "failed", page.locator("#job-items").inner_text()
        assert time.monotonic() < deadline, seen
        time.sleep(0.1)
    assert page.locator("#pages-text").inner_text() == "3 of 3 done"
    assert page.locator("#items-text").inner_text() == "1 of 1 done"
    assert page.locator("#job-waiting").inner_text() == ""
    assert page.evaluate("window.notReloaded") is True
    check(page, "job-done")
    fits_320(page, "job-done")
    page.click("#job-items a")  # the new item's staff page
    page.wait_for_url("**/staff/items/*")
    item_id = page.url.rsplit("/", 1)[-1]
    assert page.locator("h1").inner_text() == TITLE
    check(page, "new-item")

    public = httpx.get(f"{base_url}/items/{item_id}")
    assert public.status_code == 200 and TITLE in public.text
    assert TITLE in wait_public(f"{base_url}/search?q=Babbage", True, TITLE).text
    assert httpx.get(f"{base_url}/iiif/{item_id}/manifest").status_code == 200

    # The new item's first page stands for its collection.
    page.goto(f"{base_url}/staff/collections/letters")
    page.select_option("#thumbnail_item", item_id)
    page.click("button:has-text('Save')")
    page.wait_for_url("**/staff/collections/letters?notice=**")
    page.wait_for_function("[...document.images].every(i => i.complete && i.naturalWidth > 0)")
    check(page, "collection-thumbnail")
    page.goto(f"{base_url}/collections/letters")
    assert page.locator(f".collection-cover img[src='/items/{item_id}/thumbnail']").is_visible()
    check(page, "public-collection")
    page.goto(f"{base_url}/staff/items/{item_id}")

    # Embargoed from its staff page: gone from public search, its manifest and images refuse.
    page.check("input[name=visibility][value=embargoed]")
    page.fill("#embargo_until", "2999-01-01")
    page.click("button:has-text('Save visibility')")
    page.wait_for_load_state()
    assert "embargoed until 2999-01-01" in page.locator("main").inner_text()
    assert TITLE not in wait_public(f"{base_url}/search?q=Babbage", False, TITLE).text
    assert httpx.get(f"{base_url}/items/{item_id}").status_code in (401, 403)
    assert httpx.get(f"{base_url}/iiif/{item_id}/manifest").status_code in (401, 403)
    # The image server reuses an access decision for 5 seconds (iiif/image/config.py resolve_ttl).
    assert refused(f"{base_url}/iiif/3/{item_id}~1/info.json")
    assert refused(f"{base_url}/iiif/3/{item_id}~1/full/max/0/default.jpg")

    # Signed out: the staff pages ask for sign-in, and going back shows nothing kept from them.
    page.goto(f"{base_url}/staff/items/{item_id}")
    page.click("button:has-text('Sign out')")
    page.wait_for_url("**/staff/sign-in**")
    page.go_back()
    page.wait_for_load_state()
    assert "/staff/sign-in" in page.url and TITLE not in page.content()
    page.goto(f"{base_url}/staff/items")
    page.wait_for_url("**/staff/sign-in?next=**")
    assert errors == []


def test_an_admin_withdraws_an_item_into_a_tombstone_and_oai_shows_it_deleted(
    server: tuple[str, str, Path], browser: Any
) -> None:
    base_url, item_id, _ = server
    page, errors = new_page(browser)
    sign_in(page, base_url, ADMIN, PASSWORD)
    page.goto(f"{base_url}/staff/items/{item_id}")
    page.fill("#reason", "Deposited twice: see the 1843 copy.")
    page.click("button:has-text('Withdraw this item')")
    page.wait_for_url(f"**/staff/items/{item_id}?notice=**")
    assert "withdrawn: Deposited twice" in page.locator("main").inner_text()
    check(page, "withdrawn-item")

    page.goto(f"{base_url}/items/{item_id}")
    assert page.locator("h1").inner_text() == "Withdrawn"
    assert "Deposited twice: see the 1843 copy." in page.locator("main").inner_text()
    check(page, "public-tombstone")
    oai = httpx.get(f"{base_url}/oai", params={"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"}).text
    header = next(h for h in re.findall(r"<header[^>]*>.*?</header>", oai, re.S) if item_id in h)
    assert 'status="deleted"' in header
    assert errors == []


def test_without_javascript_the_plain_form_uploads_a_folder(server: tuple[str, str, Path], browser: Any) -> None:
    base_url, _, root = server
    page, _ = new_page(browser, java_script_enabled=False)
    sign_in(page, base_url, CURATOR, PASSWORD)
    folder = scans(root / "plain" / "letter-43", truncated=True, schema_error=False)
    page.goto(f"{base_url}/staff/ingest")
    # Playwright's folder picker needs scripts in the page: here the files are given one by one.
    page.set_input_files("#files", sorted(str(p) for p in folder.iterdir()))
    page.click("button:has-text('Upload and check')")
    page.wait_for_url("**/staff/ingest/uploads/*?collection=letters")
    problems = page.locator("#problems").inner_text()
    assert "p2.tif" in problems and "mods.xml" not in problems
    page.screenshot(path=str(OUTPUT / "dry-run-without-javascript.png"), full_page=True)  # axe needs scripts


DROP = """([files, mods]) => {
  const moved = new DataTransfer();
  for (const [name, text] of files) moved.items.add(new File([text], name));
  moved.items.add(new File([mods], "mods.xml"));
  const drop = new DragEvent("drop", { dataTransfer: moved, bubbles: true, cancelable: true });
  document.getElementById("drop").dispatchEvent(drop);
}"""


def test_dropped_files_are_checked_and_a_name_sent_twice_is_refused(
    server: tuple[str, str, Path], browser: Any
) -> None:
    base_url, _, _ = server
    page, errors = new_page(browser)
    sign_in(page, base_url, CURATOR, PASSWORD)
    page.goto(f"{base_url}/staff/ingest")
    record = MODS.format(title="A dropped letter")
    page.evaluate(DROP, [[["p1.tif", "not a scan"], ["P1.tif", "nor this"]], record])
    assert page.locator("#drop").inner_text() == "3 file(s) chosen"
    page.click("button:has-text('Upload and check')")
    refusal = page.locator("#problems")
    refusal.wait_for()
    assert "nothing was uploaded" in refusal.inner_text()
    assert "P1.tif: sent twice (as p1.tif too)" in refusal.inner_text()
    assert page.locator("#drop").inner_text() == "Fix the files, then choose or drop them again"
    check(page, "upload-refused")

    page.goto(f"{base_url}/staff/ingest")
    page.evaluate(DROP, [[["p1.tif", "not a scan"]], record])
    page.click("button:has-text('Upload and check')")
    page.wait_for_url("**/staff/ingest/uploads/*?collection=letters")
    assert "p1.tif: content is not TIFF although the name says so" in page.locator("#problems").inner_text()
    assert errors == []
