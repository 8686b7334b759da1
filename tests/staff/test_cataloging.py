"""What curators do on the staff pages, in process: every page renders, the editor shows schema
errors at their line, saves a version (or refuses one based on an old version), history diffs, the
items list filters and pages, visibility and export, and a dry run lists an upload's problems."""

from __future__ import annotations

import io
import re
import time
import zipfile

from repo.auth import Role
from repo.catalog.item_list import ItemFilter, list_items_page
from repo.lifecycle.collections import CollectionRecords
from tests.api.helpers import make_bag, zip_folder
from tests.presentation.schema_check import assert_valid
from tests.staff.conftest import Staff


def test_every_page_renders_for_an_admin(staff: Staff) -> None:
    client = staff.signed_in(Role.ADMIN)
    for path in (
        "/staff/",
        "/staff/items",
        f"/staff/items/{staff.item_id}",
        f"/staff/items/{staff.item_id}/edit",
        f"/staff/items/{staff.item_id}/edit?mode=xml",
        f"/staff/items/{staff.item_id}/history",
        "/staff/collections",
        "/staff/collections/letters",
        "/staff/ingest",
        "/staff/preservation",
        "/staff/audit",
        "/staff/users",
    ):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert "Sign out" in answer.text, path


def test_a_schema_error_is_shown_at_its_line_then_the_fixed_record_saves_as_v2(staff: Staff) -> None:
    client = staff.signed_in(Role.CURATOR)
    item = staff.services.catalog.require_item(staff.item_id)
    assert client.get(f"/staff/items/{staff.item_id}/edit?mode=xml").status_code == 200
    xml = staff.services.catalog.metadata(staff.item_id).mods_xml
    broken = xml.replace(
        "<titleInfo><title>Letter letter-1</title></titleInfo>",
        "<titleInfo><title>A new title</title><subtitle/><bogus/></titleInfo>",
    )
    assert broken != xml
    line = broken.split("\n").index(next(row for row in broken.split("\n") if "<bogus/>" in row)) + 1
    form = {
        "csrf_token": staff.csrf(client),
        "mode": "xml",
        "based_on": str(item.version),
        "xml": broken,
        "action": "save",
    }
    answer = client.post(f"/staff/items/{staff.item_id}/edit", data=form)
    assert answer.status_code == 422
    assert f'data-line="{line}"' in answer.text and "bogus" in answer.text
    assert "nothing was saved" in answer.text
    assert "A new title" in answer.text  # what was typed is kept
    assert staff.services.catalog.require_item(staff.item_id).version == item.version

    fixed = broken.replace("<subtitle/><bogus/>", "")
    preview = client.post(f"/staff/items/{staff.item_id}/edit", data={**form, "xml": fixed, "action": "preview"})
    assert preview.status_code == 200 and "Preview" in preview.text and "A new title" in preview.text
    assert staff.services.catalog.require_item(staff.item_id).version == item.version

    saved = client.post(f"/staff/items/{staff.item_id}/edit", data={**form, "xml": fixed})
    assert saved.status_code == 200
    assert f"Saved as version {item.version + 1}" in saved.text
    assert "<del>Letter letter-1</del>" in saved.text and "<ins>A new title</ins>" in saved.text
    assert staff.services.catalog.require_item(staff.item_id).title == "A new title"

    # A second editor who opened the old version is refused, and keeps what they typed.
    stale = client.post(
        f"/staff/items/{staff.item_id}/edit",
        data={**form, "xml": fixed.replace("A new title", "Someone else's title")},
    )
    assert stale.status_code == 409
    assert f"someone else saved version {item.version + 1}" in stale.text
    assert "Someone else&#39;s title" in stale.text
    assert staff.services.catalog.require_item(staff.item_id).title == "A new title"


def test_the_dc_form_names_the_field_at_fault(staff: Staff) -> None:
    client = staff.signed_in(Role.CURATOR)
    item = staff.services.catalog.require_item(staff.item_id)
    answer = client.post(
        f"/staff/items/{staff.item_id}/edit",
        data={"csrf_token": staff.csrf(client), "mode": "dc", "based_on": str(item.version), "dc.creator": "Someone"},
    )
    assert answer.status_code == 422
    assert 'href="#dc-title-0"' in answer.text and "no title" in answer.text


def test_items_list_filters_and_pages_by_keyset(staff: Staff) -> None:
    client = staff.signed_in(Role.READER)
    listed = client.get("/staff/items?collection=letters&status=active").text
    assert f"/staff/items/{staff.item_id}" in listed
    assert f"/staff/items/{staff.item_id}" not in client.get("/staff/items?status=withdrawn").text
    assert "is not a date" in client.get("/staff/items?from=yesterday").text
    db = staff.services.catalog.db
    first = list_items_page(db, ItemFilter(), limit=1)
    assert len(first.items) == 1
    if first.next_cursor:
        second = list_items_page(db, ItemFilter(), after=first.next_cursor, limit=1)
        assert second.items[0].id != first.items[0].id


def test_export_gives_a_zip_bag(staff: Staff) -> None:
    client = staff.signed_in(Role.CURATOR)
    answer = client.get(f"/staff/items/{staff.item_id}/export")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(answer.content)).namelist()
    assert any(n.endswith("/bagit.txt") for n in names) and any("/data/" in n for n in names)


def test_an_embargo_needs_its_date_then_hides_the_item(staff: Staff) -> None:
    client = staff.signed_in(Role.CURATOR)
    url = f"/staff/items/{staff.item_id}/visibility"
    missing = client.post(url, data={"csrf_token": staff.csrf(client), "visibility": "embargoed"})
    assert missing.status_code == 422 and "Embargo until" in missing.text
    done = client.post(
        url, data={"csrf_token": staff.csrf(client), "visibility": "embargoed", "embargo_until": "2999-01-01"}
    )
    assert "embargoed until 2999-01-01" in done.text
    assert staff.new_client().get(f"/items/{staff.item_id}").status_code == 401
    client.post(url, data={"csrf_token": staff.csrf(client), "visibility": "public"})
    assert staff.new_client().get(f"/items/{staff.item_id}").status_code == 200


def test_an_upload_goes_in_chunks_and_resumes_and_its_dry_run_lists_problems(staff: Staff, tmp) -> None:
    client = staff.signed_in(Role.CURATOR)
    csrf = staff.csrf(client)
    bag = zip_folder(make_bag(tmp / "bag", "bag-1", title="A bag from the browser"), tmp / "bag.zip")
    data = bag.read_bytes()
    declared = {"csrf_token": csrf, "path": "bag.zip", "size": str(len(data))}
    upload = client.post("/staff/ingest/uploads", data=declared).json()["id"]
    base = f"/staff/ingest/uploads/{upload}"
    headers = {"X-CSRF-Token": csrf}
    assert client.put(f"{base}/file?name=bag.zip&offset=0", content=data[:1000], headers=headers).json()["size"] == 1000
    # A chunk sent again after a dropped answer is refused with what has arrived; the client resumes there.
    again = client.put(f"{base}/file?name=bag.zip&offset=0", content=data[:1000], headers=headers)
    assert again.status_code == 409 and again.json()["size"] == 1000
    assert client.get(f"{base}/file?name=bag.zip").json()["size"] == 1000
    assert client.put(f"{base}/file?name=bag.zip&offset=1000", content=data[1000:], headers=headers).json()[
        "size"
    ] == len(data)
    assert client.put(f"{base}/file?name=bag.zip&offset=0", content=b"x", headers={}).status_code == 403
    dry = client.get(f"{base}?collection=letters")
    assert dry.status_code == 200 and "No problems" in dry.text, dry.text
    started = client.post(f"{base}/start", data={"csrf_token": csrf, "collection": "letters"}, follow_redirects=False)
    job_url = started.headers["location"]
    deadline = time.monotonic() + 60
    while (job := client.get(f"{job_url}?format=json").json())["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, job
        time.sleep(0.1)
    assert job["state"] == "succeeded", job
    assert staff.services.catalog.require_item(job["item_id"]).title == "A bag from the browser"
    assert job["item_id"] in client.get(job_url).text

    cut = data[: len(data) // 2]
    declared["size"] = str(len(cut))
    truncated = client.post("/staff/ingest/uploads", data=declared).json()["id"]
    client.put(f"/staff/ingest/uploads/{truncated}/file?name=bag.zip&offset=0", content=cut, headers=headers)
    problems = client.get(f"/staff/ingest/uploads/{truncated}?collection=letters")
    assert "nothing can be stored yet" in problems.text
    assert "bag.zip" in problems.text
    assert str(staff.services.settings.staging_path) not in problems.text


def test_a_collection_thumbnail_is_chosen_from_its_items_and_shown_while_public(staff: Staff) -> None:
    client = staff.signed_in(Role.CURATOR)
    url = "/staff/collections/letters"
    form = {"csrf_token": staff.csrf(client), "title": "Letters", "description": ""}
    foreign = client.post(url, data={**form, "thumbnail_item": "no-such-item"})
    assert foreign.status_code == 422 and "Thumbnail: &#39;no-such-item&#39; is not an item of this" in foreign.text
    chosen = client.post(url, data={**form, "thumbnail_item": staff.item_id})
    assert chosen.status_code == 200 and f'<option value="{staff.item_id}" selected>' in chosen.text
    visitor = staff.new_client()
    assert f'src="/items/{staff.item_id}/thumbnail"' in visitor.get("/collections/letters").text
    iiif = visitor.get("/iiif/collection/letters").json()
    assert f"/iiif/3/{staff.item_id}~1/" in iiif["thumbnail"][0]["id"]
    assert_valid(iiif)  # the IIIF Presentation 3.0 schema
    records, _ = CollectionRecords.of(staff.services).latest()  # kept for rebuild-catalog
    assert records["letters"].thumbnail_item == staff.item_id
    # An embargoed item stands for nothing in public.
    visibility = f"/staff/items/{staff.item_id}/visibility"
    embargo = {"csrf_token": form["csrf_token"], "visibility": "embargoed", "embargo_until": "2999-01-01"}
    client.post(visibility, data=embargo)
    try:
        assert "/thumbnail" not in visitor.get("/collections/letters").text.split("<h1>")[1].split("</h1>")[0]
        assert "thumbnail" not in visitor.get("/iiif/collection/letters").json()
    finally:
        client.post(visibility, data={"csrf_token": form["csrf_token"], "visibility": "public"})
        client.post(url, data={**form, "thumbnail_item": ""})
    assert "thumbnail" not in visitor.get("/iiif/collection/letters").json()


def test_two_curators_saving_one_collection_the_later_is_told_and_loses_nothing(staff: Staff) -> None:
    url = "/staff/collections/letters"
    first, second = staff.signed_in(Role.CURATOR), staff.signed_in(Role.CURATOR)
    opened = {c: re.search(r'name="based_on" value="([0-9a-f]+)"', c.get(url).text) for c in (first, second)}
    assert all(opened.values())
    stored = staff.services.catalog.get_collection("letters")
    assert stored is not None
    try:
        form = {"description": "", "thumbnail_item": ""}
        saved = first.post(
            url, data={**form, "csrf_token": staff.csrf(first), "title": "Letters (A)", "based_on": opened[first][1]}
        )
        assert saved.status_code == 200
        stale = {**form, "csrf_token": staff.csrf(second), "title": "Letters (B)", "based_on": opened[second][1]}
        refused = second.post(url, data=stale)
        assert refused.status_code == 409
        assert "saved by someone else" in refused.text and "Letters (A)" in refused.text
        assert 'value="Letters (B)"' in refused.text, "the later curator's typing is kept in the form"
        assert staff.services.catalog.get_collection("letters").title == "Letters (A)"  # type: ignore[union-attr]
        again = re.search(r'name="based_on" value="([0-9a-f]+)"', refused.text)
        assert again and again[1] != opened[second][1]
        assert second.post(url, data={**stale, "based_on": again[1]}).status_code == 200, "saved, knowingly"
        assert staff.services.catalog.get_collection("letters").title == "Letters (B)"  # type: ignore[union-attr]
    finally:
        first.post(url, data={"csrf_token": staff.csrf(first), "title": stored.title, "description": ""})
