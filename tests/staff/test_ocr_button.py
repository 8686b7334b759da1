"""The staff item page's "Read the text again (OCR)": curators and admins only, CSRF-protected,
and it queues the job `muniment ocr ITEM --queue` would, which a real worker runs to a new version."""

from __future__ import annotations

import time

from repo.auth import Role
from repo.search import page_text
from tests.staff.conftest import Staff


def _post(staff: Staff, role: Role, token: str | None = "") -> object:
    client = staff.signed_in(role)
    data = {"csrf_token": staff.csrf(client, f"/staff/items/{staff.item_id}") if token == "" else token}
    return client, client.post(f"/staff/items/{staff.item_id}/ocr", data=data, follow_redirects=False)


def test_only_curators_see_and_use_the_button_and_only_with_the_csrf_token(staff: Staff) -> None:
    reader = staff.signed_in(Role.READER)
    assert "Read the text again (OCR)" not in reader.get(f"/staff/items/{staff.item_id}").text
    assert _post(staff, Role.READER)[1].status_code == 403  # type: ignore[attr-defined]
    for forged in (None, "forged"):
        assert _post(staff, Role.CURATOR, forged)[1].status_code == 403  # type: ignore[attr-defined]
    assert staff.services.catalog.require_item(staff.item_id).version == 1  # nothing was queued or stored


def test_the_button_queues_the_ocr_job_and_its_page_follows_it_to_a_new_version(staff: Staff) -> None:
    curator = staff.signed_in(Role.CURATOR)
    assert "Read the text again (OCR)" in curator.get(f"/staff/items/{staff.item_id}").text
    before = staff.services.catalog.require_item(staff.item_id).version
    client, answer = _post(staff, Role.CURATOR)
    assert answer.status_code == 303  # type: ignore[attr-defined]
    job_url = answer.headers["location"]  # type: ignore[attr-defined]
    assert job_url.startswith("/staff/jobs/")
    job = staff.services.catalog.db.query_one("SELECT kind, submitted_by FROM jobs WHERE id = ?", (job_url[12:],))
    assert job is not None and (job["kind"], job["submitted_by"]) == ("ocr", "curator")

    deadline = time.monotonic() + 90
    state = ""
    while time.monotonic() < deadline:
        state = client.get(f"{job_url}?format=json").json()["state"]  # type: ignore[attr-defined]
        if state in ("succeeded", "failed", "cancelled"):
            break
        time.sleep(0.2)
    assert state == "succeeded"
    page = client.get(job_url)  # type: ignore[attr-defined]
    assert "succeeded" in page.text and "into None" not in page.text
    assert staff.services.catalog.require_item(staff.item_id).version == before + 1  # the text as a new version
    assert page_text.stored_pages(staff.services.catalog.db, staff.item_id) == {1}
