"""Signing in and out. The sign-in form has a CSRF token like every form, so it needs a session
before sign-in; signing in ends that session and starts a new one (a new id), signing out ends it."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from app.web.staff.guard import csrf_matches, read_form, safe_next
from app.web.staff.site import COOKIE, StaffSite
from repo.auth import WriteRecord
from repo.auth.readers import SESSION_COOKIE_PATH
from repo.auth.sessions import StaffSession
from repo.auth.users import SignInRefused
from repo.errors import MunimentError


async def sign_in_page(site: StaffSite, request: Request) -> Response:
    session = await run_in_threadpool(site.sessions.find, request.cookies.get(COOKIE))
    next_url = safe_next(request.query_params.get("next"))
    if session is not None and session.signed_in:
        return RedirectResponse(next_url, status_code=303)
    return await run_in_threadpool(_form, site, request, session, next_url, "", "", 200)


async def sign_in(site: StaffSite, request: Request) -> Response:
    session = await run_in_threadpool(site.sessions.find, request.cookies.get(COOKIE))
    try:
        form = await read_form(request)
    except MunimentError as exc:
        return site.refusal(request, 413, "Too large", exc.message)
    name, password = str(form.get("name", "")), str(form.get("password", ""))
    next_url = safe_next(str(form.get("next", "")))
    token = form.get("csrf_token")
    if session is None or not csrf_matches(session, token if isinstance(token, str) else None):
        return await run_in_threadpool(
            _form, site, request, None, next_url, name, "The form had expired: please sign in again.", 403
        )
    remote = request.client.host if request.client else ""
    try:
        user = await run_in_threadpool(site.users.authenticate, name, password, remote)
    except SignInRefused as exc:
        await run_in_threadpool(site.writes.record, _entry(name, "staff sign-in refused", exc.status, remote))
        return await run_in_threadpool(_form, site, request, session, next_url, name, exc.message, exc.status)
    await run_in_threadpool(site.sessions.end, session)  # the id seen before sign-in is worth nothing now
    fresh = await run_in_threadpool(site.sessions.start, user.name)
    await run_in_threadpool(site.writes.record, _entry(user.name, "staff sign-in", 303, remote, user.role.value))
    response = RedirectResponse(next_url, status_code=303)
    site.set_cookie(request, response, fresh)
    return response


async def sign_out(site: StaffSite, request: Request) -> Response:
    session = await run_in_threadpool(site.sessions.find, request.cookies.get(COOKIE))
    if session is not None:
        form = await read_form(request)
        token = form.get("csrf_token")
        if not csrf_matches(session, token if isinstance(token, str) else None):
            return site.refusal(request, 403, "Form expired", "Reload the page and sign out again.")
        await run_in_threadpool(site.sessions.end, session)
    response = RedirectResponse("/staff/sign-in?notice=You+have+signed+out.", status_code=303)
    response.delete_cookie(COOKIE, path=SESSION_COOKIE_PATH)
    return response


def _form(
    site: StaffSite, request: Request, session: StaffSession | None, next_url: str, name: str, error: str, status: int
) -> Response:
    fresh = session if session is not None and not session.signed_in else site.sessions.start(hours=1)
    response = site.render(
        request, "sign_in.html", status, session=fresh, user=None, next=next_url, name=name, error=error
    )
    if fresh is not session:
        site.set_cookie(request, response, fresh)
    return response


def _entry(name: str, action: str, outcome: int, remote: str, role: str = "") -> WriteRecord:
    return WriteRecord(actor=name[:100] or "-", action=action, outcome=outcome, remote=remote, role=role)
