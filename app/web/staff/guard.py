"""Every staff page goes through here: who is signed in (else to the sign-in page), whether their
role is enough (else 403), the CSRF token of every state-changing request, and a line in the
audit log for each write. Handlers are plain functions run in a worker thread."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from app.web.staff.site import COOKIE, StaffSite
from repo.auth import Role, WriteRecord
from repo.auth.sessions import StaffSession
from repo.auth.users import StaffUser
from repo.errors import MunimentError

log = logging.getLogger("muniment.staff")

SAFE_METHODS = frozenset({"GET", "HEAD"})
_EXPIRED = "The form was sent without its security token (or with an old one): reload the page and try again."
FORM_MAX_BYTES = 16 * 1024 * 1024  # a MODS record may be 10 MB
FILES_FORM_MAX_BYTES = 256 * 1024 * 1024  # the upload form without JavaScript: small uploads only


@dataclass
class StaffCall:
    request: Request
    site: StaffSite
    session: StaffSession
    user: StaffUser
    form: Mapping[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)  # every value of each form field
    files: list[UploadFile] = field(default_factory=list)  # a form's files, when its page takes them
    target: str = ""  # what the audit log names for a write; handlers set it

    @property
    def path(self) -> Mapping[str, str]:
        return self.request.path_params

    @property
    def query(self) -> Mapping[str, str]:
        return self.request.query_params

    def render(self, template: str, status: int = 200, **context: Any) -> Response:
        return self.site.render(self.request, template, status, session=self.session, user=self.user, **context)

    def redirect(self, url: str, notice: str = "") -> Response:
        """See other, after a write; ``notice`` is shown once on the next page."""
        if notice:
            sep = "&" if "?" in url else "?"
            url = f"{url}{sep}notice={quote(notice)}"
        return RedirectResponse(url, status_code=303)


Handler = Callable[[StaffCall], Response]
StreamHandler = Callable[[StaffCall], Awaitable[Response]]


@dataclass(frozen=True)
class StaffPage:
    path: str
    handler: Handler | None
    role: Role
    methods: tuple[str, ...] = ("GET",)
    stream: StreamHandler | None = None  # reads the request body itself (upload chunks): CSRF by header
    max_files: int = 0  # a multipart form's files it takes (the upload form without JavaScript)


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site only (never //host, a scheme, or a backslash)."""
    if not target or not target.startswith("/staff") or "\\" in target or any(ord(c) < 32 for c in target):
        return "/staff/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        return "/staff/"
    return target


def sign_in_redirect(request: Request) -> Response:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/staff/sign-in?next={quote(here, safe='')}", status_code=303)


def csrf_matches(session: StaffSession, given: str | None) -> bool:
    return given is not None and given != "" and hmac.compare_digest(given.encode(), session.csrf.encode())


async def read_form(request: Request, max_files: int = 0) -> FormData:
    declared = request.headers.get("content-length", "")
    limit = FILES_FORM_MAX_BYTES if max_files else FORM_MAX_BYTES
    if declared.isdigit() and int(declared) > limit:
        raise MunimentError(f"the form is larger than {limit // 1024**2} MB")
    return await request.form(max_files=max_files, max_fields=2000, max_part_size=FORM_MAX_BYTES)


def route(site: StaffSite, page: StaffPage) -> Route:
    async def endpoint(request: Request) -> Response:
        session = await run_in_threadpool(site.sessions.find, request.cookies.get(COOKIE))
        user = await run_in_threadpool(site.users.get, session.user_name) if session and session.signed_in else None
        if session is None or user is None or user.disabled:
            if request.method in SAFE_METHODS:
                return sign_in_redirect(request)
            return site.refusal(request, 401, "Signed out", "Your session has ended: sign in again.")
        if not user.allows(page.role):
            return site.refusal(
                request,
                403,
                "Not allowed",
                f"This page needs the {page.role.value} role; your account has the {user.role.value} role.",
                session=session,
                user=user,
            )
        call = StaffCall(request, site, session, user)
        if page.stream is not None:
            if not csrf_matches(session, request.headers.get("x-csrf-token")):
                return site.refusal(request, 403, "Form expired", _EXPIRED, session=session, user=user)
            response = await page.stream(call)
        elif request.method not in SAFE_METHODS:
            try:
                form = await read_form(request, page.max_files)
            except (MunimentError, HTTPException) as exc:  # too large, or more files than the page takes
                detail = exc.message if isinstance(exc, MunimentError) else str(exc.detail)
                return site.refusal(request, 413, "Too large", detail, session=session, user=user)
            given = form.get("csrf_token") or request.headers.get("x-csrf-token")
            if not csrf_matches(session, given if isinstance(given, str) else None):
                return site.refusal(request, 403, "Form expired", _EXPIRED, session=session, user=user)
            call.form = {k: v for k, v in form.items() if isinstance(v, str)}
            call.lists = {k: [v for v in form.getlist(k) if isinstance(v, str)] for k in form}
            call.files = [v for _, v in form.multi_items() if isinstance(v, UploadFile) and v.filename]
        if page.stream is None:
            assert page.handler is not None
            response = await run_in_threadpool(page.handler, call)
        if request.method not in SAFE_METHODS and page.stream is None:  # not every upload chunk
            await run_in_threadpool(site.writes.record, write_record(call, response.status_code))
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    handler = page.handler or page.stream
    return Route(page.path, endpoint, methods=list(page.methods), name=f"staff.{getattr(handler, '__name__', '')}")


def write_record(call: StaffCall, status: int) -> WriteRecord:
    client = call.request.client
    return WriteRecord(
        actor=call.user.name,
        role=call.user.role.value,
        action=f"{call.request.method} {call.request.url.path}",
        target=call.target or "/".join(call.path.values()),
        outcome=status,
        remote=client.host if client else "",
        detail="staff pages",
    )
