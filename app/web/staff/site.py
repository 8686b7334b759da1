"""What every staff handler shares: services, accounts, sessions, templates, and how a page is
rendered and a session cookie set."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from app.web.pages.site import TEMPLATES, versioned_static
from app.web.staff.uploads import StaffIngests
from repo.auth import WriteLog
from repo.auth.readers import SESSION_COOKIE as COOKIE
from repo.auth.readers import SESSION_COOKIE_PATH
from repo.auth.secret import instance_secret
from repo.auth.sessions import SessionStore, StaffSession
from repo.auth.users import StaffUser, UserStore
from repo.services import Services

NAV = (
    ("/staff/", "Dashboard"),
    ("/staff/items", "Items"),
    ("/staff/collections", "Collections"),
    ("/staff/metadata", "Metadata"),
    ("/staff/ingest", "Ingest"),
    ("/staff/preservation", "Preservation"),
)
ADMIN_NAV = (("/staff/users", "Users"), ("/staff/audit", "Audit log"))


class StaffSite:
    def __init__(self, services: Services) -> None:
        settings = services.settings
        self.services = services
        self.catalog = services.catalog
        self.users = UserStore(
            services.catalog.db,
            failures=settings.staff_sign_in_failures,
            pause_minutes=settings.staff_sign_in_pause_minutes,
        )
        self.sessions = SessionStore(
            services.catalog.db,
            instance_secret(settings.secret_key, services.catalog.db),
            hours=settings.staff_session_hours,
        )
        self.writes = WriteLog(services.catalog.db)
        self.ingests = StaffIngests(services)
        self.https = settings.base_url.startswith("https://")
        self._static_versions: dict[str, str] = {}
        self.templates = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(default=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.templates.globals.update(
            site_name=settings.repository_name, static=self.static_url, nav=NAV, admin_nav=ADMIN_NAV
        )

    def static_url(self, path: str) -> str:
        return versioned_static(path, self._static_versions)

    def render(self, request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        context.setdefault("notice", request.query_params.get("notice", "")[:300])
        html = self.templates.get_template(f"staff/{template}").render(request=request, **context)
        return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})

    def refusal(
        self,
        request: Request,
        status: int,
        heading: str,
        message: str,
        *,
        session: StaffSession | None = None,
        user: StaffUser | None = None,
    ) -> HTMLResponse:
        return self.render(
            request, "refusal.html", status, heading=heading, message=message, session=session, user=user
        )

    def set_cookie(self, request: Request, response: Response, session: StaffSession) -> None:
        response.set_cookie(
            COOKIE,
            self.sessions.cookie(session),
            max_age=self.sessions.hours * 3600,
            path=SESSION_COOKIE_PATH,  # the whole site: image requests of readers carry it too
            httponly=True,
            secure=self.https or request.url.scheme == "https",
            samesite="lax",
        )
