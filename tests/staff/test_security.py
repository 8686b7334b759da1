"""The staff pages' defences, in process: sign-in required, roles, CSRF, sessions, throttling, redirects."""

from __future__ import annotations

import pytest

from app.web.staff import staff_pages
from repo.auth import Role
from tests.staff.conftest import PASSWORD, Staff, csrf_of, fill

PAGES = staff_pages()


@pytest.mark.parametrize("page", PAGES, ids=[f"{p.methods[0]} {p.path}" for p in PAGES])
def test_a_visitor_is_sent_to_sign_in_or_refused(staff: Staff, page) -> None:
    client = staff.new_client()
    path = f"/staff{fill(page.path, staff)}"
    answer = client.request(page.methods[0], path, follow_redirects=False)
    if page.methods[0] == "GET":
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/staff/sign-in?next=")
    else:
        assert answer.status_code == 401
        assert "sign in again" in answer.text


@pytest.mark.parametrize(
    "page", [p for p in PAGES if p.role.weaker()], ids=[f"{p.methods[0]} {p.path}" for p in PAGES if p.role.weaker()]
)
def test_a_weaker_role_gets_403(staff: Staff, page) -> None:
    weaker = page.role.weaker()
    client = staff.signed_in(weaker)
    csrf = staff.csrf(client)
    path = f"/staff{fill(page.path, staff)}"
    answer = client.request(
        page.methods[0],
        path,
        data={"csrf_token": csrf} if page.methods[0] == "POST" else None,
        headers={"X-CSRF-Token": csrf},
        follow_redirects=False,
    )
    assert answer.status_code == 403
    assert f"needs the {page.role.value} role" in answer.text


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(staff: Staff) -> None:
    client = staff.signed_in(Role.CURATOR)
    before = staff.services.catalog.require_item(staff.item_id)
    for data in ({"visibility": "restricted"}, {"visibility": "restricted", "csrf_token": "forged"}):
        answer = client.post(f"/staff/items/{staff.item_id}/visibility", data=data, follow_redirects=False)
        assert answer.status_code == 403
        assert "security token" in answer.text
    assert staff.services.catalog.require_item(staff.item_id).visibility == before.visibility
    # ... and another session's token is no better.
    other = staff.signed_in(Role.CURATOR)
    answer = client.post(
        f"/staff/items/{staff.item_id}/visibility",
        data={"visibility": "restricted", "csrf_token": staff.csrf(other)},
        follow_redirects=False,
    )
    assert answer.status_code == 403


def test_the_session_cookie_from_before_sign_in_is_not_valid_after(staff: Staff) -> None:
    client = staff.new_client()
    form = client.get("/staff/sign-in")
    planted = client.cookies["muniment_staff"]
    answer = client.post(
        "/staff/sign-in",
        data={"csrf_token": csrf_of(form.text), "name": "curator", "password": PASSWORD},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    fresh = client.cookies["muniment_staff"]
    assert fresh != planted
    cookie = answer.headers["set-cookie"].lower()
    # The whole site's: readers' image requests carry it too (IIIF Authorization, iiif/auth).
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/;" in cookie + ";"
    # Someone holding the pre-sign-in cookie is still a visitor.
    attacker = staff.new_client()
    attacker.cookies.set("muniment_staff", planted)
    assert attacker.get("/staff/", follow_redirects=False).status_code == 303
    # The signed-in cookie works; after sign-out it no longer does.
    assert client.get("/staff/").status_code == 200
    csrf = staff.csrf(client)
    assert client.post("/staff/sign-out", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    replay = staff.new_client()
    replay.cookies.set("muniment_staff", fresh)
    assert replay.get("/staff/", follow_redirects=False).status_code == 303


def test_a_forged_cookie_is_a_visitor(staff: Staff) -> None:
    client = staff.new_client()
    client.cookies.set("muniment_staff", "made-up.0000")
    assert client.get("/staff/", follow_redirects=False).status_code == 303


def test_repeated_bad_passwords_are_throttled_even_with_the_right_one(staff: Staff) -> None:
    client = staff.new_client()
    for _ in range(3):  # staff_sign_in_failures=3 in this module
        answer = staff.sign_in(client, Role.READER, password="wrong password")
        assert answer.status_code == 401
        assert "the name or the password is wrong" in answer.text
    answer = staff.sign_in(client, Role.READER)
    assert answer.status_code == 429
    assert "sign-in is paused" in answer.text
    # Another account from the same address is not paused yet (that limit is four times higher).
    assert staff.sign_in(client, Role.ADMIN).status_code == 303


def test_an_unknown_account_is_refused_like_a_wrong_password(staff: Staff) -> None:
    answer = staff.sign_in(staff.new_client(), None)
    assert answer.status_code == 401
    assert "the name or the password is wrong" in answer.text


@pytest.mark.parametrize(
    "target", ["https://elsewhere.example/", "//elsewhere.example/staff", "/\\elsewhere.example", "javascript:alert(1)"]
)
def test_next_never_leads_off_the_site(staff: Staff, target: str) -> None:
    answer = staff.sign_in(staff.new_client(), Role.CURATOR, next_url=target)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/staff/"


def test_next_on_the_site_is_followed(staff: Staff) -> None:
    client = staff.new_client()
    answer = client.get("/staff/items?status=active", follow_redirects=False)
    next_url = answer.headers["location"].split("next=", 1)[1]
    from urllib.parse import unquote

    signed = staff.sign_in(client, Role.CURATOR, next_url=unquote(next_url))
    assert signed.headers["location"] == "/staff/items?status=active"


def test_staff_writes_are_in_the_audit_log(staff: Staff) -> None:
    client = staff.signed_in(Role.CURATOR)
    csrf = staff.csrf(client)
    client.post("/staff/collections", data={"csrf_token": csrf, "slug": "maps", "title": "Maps"})
    entries = [e for e in staff.services.catalog.db.query("SELECT * FROM api_audit WHERE actor = 'curator'")]
    assert any(
        e["action"] == "POST /staff/collections" and e["target"] == "maps" and e["outcome"] == 303 for e in entries
    )
