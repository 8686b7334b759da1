"""The bulk metadata page: download a collection's CSV, compare an edited one (a diff table of old
and new values per item and element, every problem by row and column), apply it as a job."""

from __future__ import annotations

import csv
import io
import time

from repo.auth import Role
from tests.staff.conftest import Staff


def _edited(text: str, item_id: str, title: str) -> str:
    rows = list(csv.DictReader(io.StringIO(text)))
    for row in rows:
        if row["identifier"] == item_id:
            row["title"] = title
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue() + "no-such-item,A title,,,,,,,,,,,,,,,\n"


def test_a_curator_exports_compares_and_applies(staff: Staff) -> None:
    client = staff.signed_in(Role.CURATOR)
    page = client.get("/staff/metadata")
    assert page.status_code == 200 and '<option value="letters">Letters</option>' in page.text
    exported = client.get("/staff/metadata/export", params={"collection": "letters"})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert exported.headers["content-disposition"] == 'attachment; filename="letters-metadata.csv"'
    before = staff.services.catalog.require_item(staff.item_id).version
    text = _edited(exported.text, staff.item_id, "Letter the first, revised")
    token = staff.csrf(client, "/staff/metadata")

    compared = client.post(
        "/staff/metadata",
        data={"csrf_token": token, "csv": text, "filename": "C:\\Users\\ada\\edited.csv", "action": "compare"},
    )
    assert compared.status_code == 200
    html = compared.text
    assert f'<a href="/staff/items/{staff.item_id}">{staff.item_id}</a></td><th scope="row">title</th>' in html
    assert "Letter letter-1" in html and "Letter the first, revised" in html
    assert "edited.csv: row 3, column identifier: unknown item &#39;no-such-item&#39;" in html
    assert 'value="apply">Apply 1 change(s) as new versions' in html
    assert staff.services.catalog.require_item(staff.item_id).version == before  # compared, not written

    applied = client.post(
        "/staff/metadata",
        data={"csrf_token": token, "csv": text, "filename": "edited.csv", "action": "apply"},
        follow_redirects=False,
    )
    assert applied.status_code == 303
    job_url = applied.headers["location"].split("?")[0]
    assert job_url.startswith("/staff/metadata/jobs/metadata-")
    deadline = time.monotonic() + 60  # a loaded machine
    while staff.services.catalog.require_item(staff.item_id).version == before and time.monotonic() < deadline:
        time.sleep(0.1)
    job = client.get(job_url).text
    while 'state--succeeded">succeeded</span></dd>' not in job and time.monotonic() < deadline:
        time.sleep(0.1)
        job = client.get(job_url).text
    assert f"row 2 {staff.item_id}" in job and f"v{before + 1}: title changed" in job
    meta = staff.services.catalog.metadata(staff.item_id)
    assert meta is not None and meta.dc["title"] == ["Letter the first, revised"]


def test_a_reader_may_not_and_an_unknown_column_stops_everything(staff: Staff) -> None:
    reader = staff.signed_in(Role.READER)
    assert reader.get("/staff/metadata").status_code == 403
    client = staff.signed_in(Role.CURATOR)
    token = staff.csrf(client, "/staff/metadata")
    data = {"csrf_token": token, "csv": f"identifier,titel\n{staff.item_id},X\n", "action": "apply"}
    answer = client.post("/staff/metadata", data=data, follow_redirects=False)
    assert answer.status_code == 422
    assert "row 1, column 2 &#39;titel&#39;: unknown column" in answer.text and "Apply" not in answer.text
    assert client.get("/staff/metadata/export", params={"collection": "nope"}).status_code == 404


def test_the_editor_offers_rights_statements_and_names_a_bad_one(staff: Staff) -> None:
    client = staff.signed_in(Role.CURATOR)
    form = client.get(f"/staff/items/{staff.item_id}/edit").text
    assert 'list="rights-choices"' in form
    assert '<option value="http://rightsstatements.org/vocab/NoC-US/1.0/">No Copyright - United States</option>' in form
    assert '<option value="http://creativecommons.org/licenses/by/4.0/">CC BY 4.0 (Attribution)</option>' in form
    item = staff.services.catalog.require_item(staff.item_id)
    data = {
        "csrf_token": staff.csrf(client),
        "mode": "dc",
        "based_on": str(item.version),
        "dc.title": "A letter",
        "dc.rights": "http://rightsstatements.org/vocab/InC-XX/1.0/",
    }
    answer = client.post(f"/staff/items/{staff.item_id}/edit", data=data)
    assert answer.status_code == 422
    assert 'href="#dc-rights-0"' in answer.text and "is not a RightsStatements.org statement" in answer.text
    assert staff.services.catalog.require_item(staff.item_id).version == item.version
