"""Uploads from the staff pages over HTTP: paths declared first and refused when unsafe or sent
twice (naming the file), folders kept as sent, a CSV batch with its folders checked row by row and
ingested as one job, the plain form without JavaScript, the dry-run report as CSV; and a job page
that says why a job waits and counts a large item's pages as they are made."""

from __future__ import annotations

import csv
import io
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import bagit
from starlette.testclient import TestClient

from app.web.staff.job_view import job_view, waiting_reason
from repo.auth import Role
from repo.catalog.jobs import JobStore, TaskResult
from repo.ocr.page_text import PageText, Software, Word, alto_xml
from repo.search import page_text
from repo.services import Services
from repo.settings import Settings
from tests.ingest.conftest import MODS, write_page
from tests.staff.conftest import Staff


def declare(client: TestClient, csrf: str, files: dict[str, bytes]) -> tuple[int, dict]:
    body = {"csrf_token": csrf, "path": list(files), "size": [str(len(b)) for b in files.values()]}
    answer = client.post("/staff/ingest/uploads", data=body)
    return answer.status_code, answer.json()


def send(client: TestClient, csrf: str, files: dict[str, bytes]) -> str:
    status, answer = declare(client, csrf, files)
    assert status == 200, answer
    for name, data in files.items():
        put = client.put(
            f"/staff/ingest/uploads/{answer['id']}/file",
            params={"name": name, "offset": "0"},
            content=data,
            headers={"X-CSRF-Token": csrf},
        )
        assert put.status_code == 200, put.text
    return str(answer["id"])


def scans(tmp: Path, title: str, seed: int, pages: int = 2, *, truncated: int = 0) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for n in range(1, pages + 1):
        data = write_page(tmp / f"s{seed}-{n}.tif", 200, 150, seed=seed * 10 + n).read_bytes()
        out[f"p{n}.tif"] = data[: len(data) // 2] if n == truncated else data
    out["mods.xml"] = MODS.format(title=title).encode()
    return out


def wait_done(client: TestClient, job_url: str) -> dict:
    deadline = time.monotonic() + 60
    while (job := client.get(f"{job_url}?format=json").json())["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, job
        time.sleep(0.1)
    return dict(job)


def test_unsafe_or_repeated_paths_are_refused_before_a_byte_is_sent(staff: Staff) -> None:
    client = staff.signed_in(Role.CURATOR)
    csrf = staff.csrf(client)
    for files, named, why in (
        ({"box/../../etc/cron.d/x": b"x"}, "box/../../etc/cron.d/x", "may not leave the chosen folder"),
        ({"/etc/passwd": b"x"}, "/etc/passwd", "an absolute path"),
        ({"C:\\scans\\p1.tif": b"x"}, "C:\\scans\\p1.tif", "an absolute path"),
        ({"box/p1.tif": b"x", "box/P1.tif": b"y"}, "box/P1.tif", "sent twice (as box/p1.tif too)"),
        ({"box/p1.tif": b"x", "box/p1.tif/p2.tif": b"y"}, "box/p1.tif", "is a file and also the folder"),
        ({"box/.hidden": b"x"}, "box/.hidden", "is not a usable name"),
    ):
        status, answer = declare(client, csrf, files)
        assert status == 422, (files, answer)
        assert any(p["file"] == named and why in p["reason"] for p in answer["problems"]), answer
        assert answer["error"].startswith(named)
    assert list((staff.services.settings.staging_path / "staff-uploads").glob("*/files/**/*.tif")) == []
    # A file that was not declared, or more bytes than declared, is refused too.
    upload = send(client, csrf, {"box/p1.tif": b""})
    url = f"/staff/ingest/uploads/{upload}/file"
    other = client.put(url, params={"name": "box/p2.tif", "offset": "0"}, content=b"x", headers={"X-CSRF-Token": csrf})
    assert other.status_code == 422 and "box/p2.tif" in other.json()["error"]
    more = client.put(url, params={"name": "box/p1.tif", "offset": "0"}, content=b"x", headers={"X-CSRF-Token": csrf})
    assert more.status_code == 413 and "more bytes than the 0 declared" in more.json()["error"]
    # An upload stopped before its end is not ingested: the dry run and the start name what is missing.
    status, half = declare(client, csrf, {"box/p1.tif": b"", "box/p2.tif": b"12345"})
    dry = client.get(f"/staff/ingest/uploads/{half['id']}?collection=letters")
    assert "box/p2.tif" in dry.text and "only 0 of its 5 bytes arrived" in dry.text
    start = client.post(f"/staff/ingest/uploads/{half['id']}/start", data={"csrf_token": csrf, "collection": "letters"})
    assert "box/p2.tif: only 0 of its 5 bytes arrived" in start.text and "/staff/jobs/" not in str(start.url)


def test_a_csv_batch_with_its_folders_is_checked_by_row_then_ingested_as_one_job(staff: Staff, tmp: Path) -> None:
    client = staff.signed_in(Role.CURATOR)
    csrf = staff.csrf(client)
    files = {f"batch/a/{k}": v for k, v in scans(tmp, "Batch letter A", 71).items()}
    files |= {f"batch/b/{k}": v for k, v in scans(tmp, "Batch letter B", 72, truncated=2).items()}
    files["batch/items.csv"] = b"folder,identifier\na,batch-a\nb,batch-b\n,batch-c\n"
    upload = send(client, csrf, files)
    kept = staff.services.settings.staging_path / "staff-uploads" / upload / "files"
    assert (kept / "batch" / "a" / "p1.tif").is_file() and (kept / "batch" / "b" / "mods.xml").is_file()

    rows = client.get(f"/staff/ingest/uploads/{upload}?collection=letters")
    assert "items.csv row 4" in rows.text and "empty folder" in rows.text  # the batch's own rows first
    files["batch/items.csv"] = b"folder,identifier\na,batch-a\nb,batch-b\n"
    upload = send(client, csrf, files)
    dry = client.get(f"/staff/ingest/uploads/{upload}?collection=letters")
    assert "as a CSV batch of 2 row(s)" in dry.text
    assert "items.csv row 3 (b)" in dry.text and "batch/b/p2.tif" in dry.text
    assert "batch/a/" not in dry.text.split('id="problems"')[1].split("</div>")[0]  # row 2 is fine
    assert "Start the ingest" not in dry.text
    report = client.get(f"/staff/ingest/uploads/{upload}/report", params={"format": "csv", "collection": "letters"})
    assert report.headers["content-type"].startswith("text/csv")
    assert "attachment" in report.headers["content-disposition"]
    table = list(csv.DictReader(io.StringIO(report.text)))
    assert [(r["item"], r["status"]) for r in table if r["file"] == "batch/b/p2.tif"] == [
        ("items.csv row 3 (b)", "failed")
    ]
    assert any(r["item"] == "items.csv row 2 (a)" and r["status"] == "valid" for r in table)

    files |= {f"batch/b/{k}": v for k, v in scans(tmp, "Batch letter B", 72).items()}
    upload = send(client, csrf, files)
    assert (
        "No problems: 4 page(s) in 2 item(s)" in client.get(f"/staff/ingest/uploads/{upload}?collection=letters").text
    )
    started = client.post(
        f"/staff/ingest/uploads/{upload}/start",
        data={"csrf_token": csrf, "collection": "letters"},
        follow_redirects=False,
    )
    job = wait_done(client, started.headers["location"])
    assert job["state"] == "succeeded" and job["kind"] == "batch", job
    assert (job["items_done"], job["items_total"], job["pages_done"]) == (2, 2, 4)
    titles = {staff.services.catalog.require_item(i["item_id"]).title for i in job["items"]}
    assert titles == {"Batch letter A", "Batch letter B"}
    assert "2 of 2 items ended" in client.get("/staff/ingest").text  # the recent jobs list


def test_the_plain_form_without_javascript_keeps_folders_and_names_bad_files(staff: Staff, tmp: Path) -> None:
    client = staff.signed_in(Role.CURATOR)
    csrf = staff.csrf(client)
    good = scans(tmp, "A letter sent without scripts", 81)
    form = [("files", (f"letter-81/{name}", data)) for name, data in good.items()]
    answer = client.post("/staff/ingest/form", data={"csrf_token": csrf, "collection": "letters"}, files=form)
    assert answer.status_code == 200 and "No problems: 2 page(s)" in answer.text, answer.text
    assert "<code>letter-81/p1.tif</code>" in answer.text
    bad = [("files", ("../p1.tif", b"x")), ("files", ("letter/p1.tif", b"x"))]
    refused = client.post("/staff/ingest/form", data={"csrf_token": csrf, "collection": "nowhere"}, files=bad)
    assert refused.status_code == 422
    assert "../p1.tif" in refused.text and "may not leave the chosen folder" in refused.text
    assert "Collection" in refused.text and "choose the collection" in refused.text
    no_token = client.post("/staff/ingest/form", data={"collection": "letters"}, files=form)
    assert no_token.status_code == 403


def test_a_queued_job_says_why_it_waits(staff: Staff, tmp: Path) -> None:
    alone = Services.open(Settings(data_dir=tmp / "data"))  # a catalog no worker has ever reached
    try:
        lonely = JobStore(alone.catalog.db)
        job = lonely.create("00000000000000aa", "folder", "a folder", [("an item", {})], submitted_by="ada")
        assert waiting_reason(job, lonely, 30) == (
            "Waiting for a worker: none has run yet. Start one with `muniment worker` (or `muniment serve`)."
        )
    finally:
        alone.close()
    store = JobStore(staff.services.catalog.db)
    first = store.create("0123456789abcde1", "folder", "a folder", [("an item", {})], submitted_by="ada")
    second = store.create("0123456789abcde2", "folder", "a folder", [("an item", {})], submitted_by="ada")
    try:
        # A worker runs beside these tests (the fixture's): it said so within a third of a lease.
        assert "of earlier jobs are ahead of it" in waiting_reason(second, store, 30)
        client = staff.signed_in(Role.CURATOR)
        assert "Waiting for a worker" in client.get(f"/staff/jobs/{second.id}").text
        assert "Waiting for a worker" in client.get("/staff/").text  # the dashboard's recent jobs
        assert waiting_reason(first, store, 30).startswith("Waiting for a worker")
        seen = store.last_worker_seen()
        assert seen is not None
        silent = waiting_reason(first, store, 30, now=seen + 95)
        assert silent == "Waiting for a worker: none seen for 95 seconds. Is `muniment worker` running?"
    finally:
        for job in (first, second):
            staff.services.catalog.db.execute("DELETE FROM jobs WHERE id = ?", (job.id,))


def test_a_large_items_pages_are_counted_as_they_are_made(staff: Staff) -> None:
    store = JobStore(staff.services.catalog.db)
    job = store.create("fedcba9876543210", "folder", "a folder", [("a book", {})], submitted_by="ada")
    try:
        item = store.claim(job.id, 1, "test:1", 60)
        assert item is not None
        pages = store.add_tasks(job.id, [(f"a book page {n}", {"item_task": 1, "page": n}) for n in (1, 2, 3)])
        view = job_view(store.get(job.id), store, 30)
        assert (view["pages_done"], view["pages_total"], view["items_total"]) == (0, 3, 1)
        for seq in pages[:2]:
            page = store.claim(job.id, seq, "test:1", 60)
            assert page is not None and store.finish(page, TaskResult("completed", pages=1))
        view = job_view(store.get(job.id), store, 30)
        assert (view["pages_done"], view["pages_total"], view["state"]) == (2, 3, "running")
        assert view["waiting"] == "" and view["items"][0]["pages_done"] == 2
    finally:
        staff.services.catalog.db.execute("DELETE FROM jobs WHERE id = ?", (job.id,))


def test_an_uploaded_bag_brings_its_page_text(staff: Staff, tmp: Path) -> None:
    """A zipped bag whose first page's ALTO is its tag file ocr/0001.alto.xml (Muniment's own
    layout): the queued ingest keeps it and indexes it, and OCR has that page's text already."""
    folder = tmp / "bag"
    folder.mkdir()
    for n in (1, 2):
        write_page(folder / f"p{n}.tif", 200, 150, seed=90 + n)
    bag = bagit.make_bag(str(folder), {"Bag-Group-Identifier": "letters", "External-Identifier": "bag-with-text"})
    (folder / "metadata").mkdir()
    (folder / "metadata" / "mods.xml").write_text(MODS.format(title="A bag with its text"))
    (folder / "ocr").mkdir()
    words = (Word("Inkhorn", 10, 10, 60, 20, 0), Word("quire", 80, 10, 50, 20, 0))
    alto = alto_xml(PageText(200, 150, words), "p1.tif", Software("Other OCR", "1"), datetime.now(UTC), 1)
    (folder / "ocr" / "0001.alto.xml").write_bytes(alto)
    bag.save(manifests=True)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, f"bag/{path.relative_to(folder)}")

    client = staff.signed_in(Role.CURATOR)
    csrf = staff.csrf(client)
    upload = send(client, csrf, {"bag-with-text.zip": archive.getvalue()})
    started = client.post(
        f"/staff/ingest/uploads/{upload}/start",
        data={"csrf_token": csrf, "collection": "letters"},
        follow_redirects=False,
    )
    job = wait_done(client, started.headers["location"])
    assert job["state"] == "succeeded", job
    texts = page_text.pages_with_text(staff.services.catalog.db, "bag-with-text")
    assert (texts[1].source, texts[1].text) == ("alto", "Inkhorn quire")
    # The OCR queued after the ingest reads only the page without text, and may have done so already.
    assert set(texts) <= {1, 2} and all(p.source == "tesseract" for seq, p in texts.items() if seq != 1)
    kept = staff.services.object_store().export_version("urn:muniment:item:bag-with-text", None, tmp / "kept")
    assert (kept / "ocr" / "0001.alto.xml").read_bytes() == alto
