"""HTTP of the Authorization Flow, at ``/iiif/auth``:

- ``2/probe/{identifier}``: AuthProbeResult2 of one image for the reader the request names (its
  bearer token, or the session cookie of a same-site request), with the public size as a
  ``substitute`` when the item's tier shows anyone small sizes;
- ``access``: the ``active`` access service (and 1.0 login): a sign-in form in its own window with the
  staff accounts and sessions, which closes itself once signed in; ``kiosk``: the ``kiosk`` one;
- ``2/token`` and ``1/token``: the token services, a page posting the token (or its error) with the
  client's ``messageId`` to the origin that asked, never to ``*`` (1.0 also answers JSON without
  ``messageId``);
- ``logout``: ends the session (and so every token of it) and the cookie.

Tokens are never put in a URL, and no answer here may be cached by anyone.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from iiif.auth.aspects import AspectReader
from iiif.auth.services import AUTH2_CONTEXT, AuthServices
from iiif.catalog_images import image_access, readers_of
from iiif.presentation.ids import parse_image_identifier
from repo.access import Access
from repo.auth import WriteLog, WriteRecord
from repo.auth.readers import SESSION_COOKIE, SESSION_COOKIE_PATH, Readers, normal_origin
from repo.auth.sessions import StaffSession
from repo.auth.users import SignInRefused
from repo.services import Services

log = logging.getLogger("muniment.iiif.auth")

TEMPLATES = Path(__file__).with_name("templates")
_NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
_PROBE_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization",
    "Access-Control-Max-Age": "600",
}
_HEADINGS = {
    401: ("This image is restricted", "Sign in as a reader to see it."),
    404: ("No such image", "There is no image with this identifier."),
    410: ("This image was withdrawn", "The item it belongs to has been withdrawn."),
}


def _en(text: str) -> dict[str, list[str]]:
    return {"en": [text]}


def _script_json(value: Any) -> Markup:
    """JSON that is safe inside a <script> element."""
    text = json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


class AuthSite:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.readers: Readers = readers_of(services)
        self.aspects = AspectReader(services.settings)
        self.auth = AuthServices.from_settings(services.settings)
        self.writes = WriteLog(services.catalog.db)
        self.https = services.settings.base_url.startswith("https://")
        self.templates = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True))

    def page(self, request: Request, status: int = 200, **context: Any) -> HTMLResponse:
        context.setdefault("repository", self.services.settings.repository_name)
        html = self.templates.get_template("window.html").render(**context)
        headers = {**_NO_STORE, "Content-Security-Policy": "frame-ancestors 'none'"}
        return HTMLResponse(html, status_code=status, headers=headers)

    def set_cookie(self, request: Request, response: Response, session: StaffSession) -> None:
        response.set_cookie(
            SESSION_COOKIE,
            self.readers.sessions.cookie(session),
            max_age=self.readers.sessions.hours * 3600,
            path=SESSION_COOKIE_PATH,
            httponly=True,
            secure=self.https or request.url.scheme == "https",
            samesite="lax",
        )

    # ---------------------------------------------------------------------------------- probe

    def probe(self, request: Request) -> Response:
        identifier = request.path_params["identifier"]
        credentials = self.aspects.credentials(request.scope)
        catalog = self.services.catalog
        try:
            item_id, seq = parse_image_identifier(identifier)
        except ValueError:
            item = None
        else:
            item = catalog.get_item(item_id)
            if item is not None and all(f.seq != seq for f in catalog.files(item_id)):
                item = None  # no such page: 404 like the image itself
        decision = image_access(self.services, item, self.readers, credentials)
        # A tier's small sizes only: the full image (what the probe is for) needs a reader.
        status = 401 if decision.access is Access.VISIBLE and not decision.whole else decision.access.status
        body: dict[str, Any] = {"@context": AUTH2_CONTEXT, "type": "AuthProbeResult2", "status": status}
        if status != 200:
            heading, note = _HEADINGS.get(status, _HEADINGS[401])
            if status == 401 and credentials.authorization:
                note = "Your access token has expired, was for another site, or your session has ended: sign in again."
            body.update(heading=_en(heading), note=_en(note))
        if status == 401 and decision.max_size is not None:
            size = decision.max_size
            image = f"{self.services.settings.base_url.rstrip('/')}/iiif/3/{identifier}"
            body["substitute"] = [
                {
                    "id": f"{image}/full/!{size},{size}/0/default.jpg",
                    "type": "Image",
                    "format": "image/jpeg",
                    "label": _en(f"Public version, at most {size} pixels"),
                }
            ]
        return JSONResponse(
            body, headers={**_NO_STORE, **_PROBE_CORS}, media_type=f'application/ld+json;profile="{AUTH2_CONTEXT}"'
        )

    # --------------------------------------------------------------------------- access window

    def access_page(self, request: Request, error: str = "", name: str = "", status: int = 200) -> Response:
        session = self.readers.signed_in(request.cookies.get(SESSION_COOKIE))
        if session is not None and not error:
            return self.page(
                request, title="Signed in", message=f"You are signed in as {session.user_name}.", close=True
            )
        pending = self.readers.sessions.find(request.cookies.get(SESSION_COOKIE))
        fresh = pending if pending is not None and not pending.signed_in else self.readers.sessions.start(hours=1)
        response = self.page(
            request,
            status,
            title="Sign in",
            form=True,
            action="/iiif/auth/access",
            csrf=fresh.csrf,
            name=name,
            error=error,
        )
        if fresh is not pending:
            self.set_cookie(request, response, fresh)
        return response

    async def sign_in(self, request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=20, max_part_size=64 * 1024)
        name, password = str(form.get("name", "")), str(form.get("password", ""))
        csrf = form.get("csrf_token")
        remote = self.aspects.aspects(request.scope).address or (request.client.host if request.client else "")
        sessions = self.readers.sessions
        pending = await run_in_threadpool(sessions.find, request.cookies.get(SESSION_COOKIE))
        if pending is None or pending.signed_in or not isinstance(csrf, str) or csrf != pending.csrf:
            return await run_in_threadpool(
                self.access_page, request, "The form had expired: please sign in again.", name, 403
            )
        try:
            user = await run_in_threadpool(self.readers.users.authenticate, name, password, remote)
        except SignInRefused as exc:
            await run_in_threadpool(self.writes.record, _entry(name, "reader sign-in refused", exc.status, remote))
            return await run_in_threadpool(self.access_page, request, exc.message, name, exc.status)
        await run_in_threadpool(sessions.end, pending)  # the id seen before sign-in is worth nothing now
        session = await run_in_threadpool(sessions.start, user.name)
        await run_in_threadpool(self.writes.record, _entry(user.name, "reader sign-in", 200, remote, user.role.value))
        response = self.page(request, title="Signed in", message=f"You are signed in as {user.name}.", close=True)
        self.set_cookie(request, response, session)
        return response

    def kiosk(self, request: Request) -> Response:
        aspects = self.aspects.aspects(request.scope)
        if self.readers.in_kiosk(aspects.address):
            return self.page(request, title="Reading room", message="Restricted images are open here.", close=True)
        return self.page(
            request,
            403,
            title="Not in the reading room",
            message="This computer is not in the reading room: sign in to see restricted images.",
        )

    def logout(self, request: Request) -> Response:
        session = self.readers.sessions.find(request.cookies.get(SESSION_COOKIE))
        if session is not None:
            self.readers.sessions.end(session)  # and with it every access token of the session
        response = self.page(request, title="Signed out", message="You have signed out.", close=True)
        response.delete_cookie(SESSION_COOKIE, path=SESSION_COOKIE_PATH)
        return response

    # ---------------------------------------------------------------------------------- tokens

    def token(self, request: Request, version: int) -> Response:
        params = request.query_params
        message_id = params.get("messageId")
        if message_id is None and version == 1:  # 1.0's JSON answer, for clients that send the cookie themselves
            own = normal_origin(request.headers.get("origin")) or _own_origin(request)
            return JSONResponse(self._message(request, 1, own, ""), headers=_NO_STORE)
        target = normal_origin(params.get("origin"))
        if target is None:
            return self._token_page(None, {})  # nowhere safe to post to
        if message_id is None or len(message_id) > 200:
            return self._token_page(target, _error(version, "invalidRequest", (message_id or "")[:200]))
        return self._token_page(target, self._message(request, version, target, message_id))

    def _message(self, request: Request, version: int, origin: str, message_id: str) -> dict[str, Any]:
        issued = self.readers.issue(self.aspects.aspects(request.scope), origin)
        if issued is None:
            return _error(version, "missingAspect", message_id)
        message: dict[str, Any] = {"accessToken": issued.token, "expiresIn": issued.expires_in}
        if version == 2:
            message = {"@context": AUTH2_CONTEXT, "type": "AuthAccessToken2", **message}
        return {**message, "messageId": message_id} if message_id or version == 2 else message

    def _token_page(self, target: str | None, message: dict[str, Any]) -> Response:
        html = self.templates.get_template("token.html").render(
            message=_script_json(message), target=_script_json(target) if target else None
        )
        # Framed by any viewer's page: the token goes only to the origin it names.
        return HTMLResponse(html, headers=_NO_STORE)


def _error(version: int, profile: str, message_id: str) -> dict[str, Any]:
    notes = {
        "invalidRequest": "The viewer asked for a token without a messageId.",
        "missingAspect": "You are not signed in (or your session has ended).",
    }
    if version == 1:  # Auth 1.0's error names
        names = {"invalidRequest": "invalidRequest", "missingAspect": "missingCredentials"}
        return {"error": names[profile], "description": notes[profile], "messageId": message_id}
    return {
        "@context": AUTH2_CONTEXT,
        "type": "AuthAccessTokenError2",
        "profile": profile,
        "heading": _en("No access token"),
        "note": _en(notes[profile]),
        "messageId": message_id,
    }


def _own_origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc.lower()}"


def _entry(name: str, action: str, outcome: int, remote: str, role: str = "") -> WriteRecord:
    return WriteRecord(actor=name[:100] or "-", action=action, outcome=outcome, remote=remote, role=role)


def auth_routes(services: Services) -> list[BaseRoute]:
    """The route provider listed in ``app.web.app.PROVIDERS``."""
    site = AuthSite(services)

    async def probe(request: Request) -> Response:
        if request.method == "OPTIONS":
            return Response(status_code=204, headers=_PROBE_CORS)
        return await run_in_threadpool(site.probe, request)

    async def access(request: Request) -> Response:
        if request.method == "POST":
            return await site.sign_in(request)
        return await run_in_threadpool(site.access_page, request)

    async def kiosk(request: Request) -> Response:
        return await run_in_threadpool(site.kiosk, request)

    async def token2(request: Request) -> Response:
        return await run_in_threadpool(site.token, request, 2)

    async def token1(request: Request) -> Response:
        return await run_in_threadpool(site.token, request, 1)

    async def logout(request: Request) -> Response:
        return await run_in_threadpool(site.logout, request)

    return [
        Route("/iiif/auth/2/probe/{identifier}", probe, methods=["GET", "OPTIONS"]),
        Route("/iiif/auth/access", access, methods=["GET", "POST"]),
        Route("/iiif/auth/kiosk", kiosk, methods=["GET"]),
        Route("/iiif/auth/2/token", token2, methods=["GET"]),
        Route("/iiif/auth/1/token", token1, methods=["GET"]),
        Route("/iiif/auth/logout", logout, methods=["GET"]),
    ]
