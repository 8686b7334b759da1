"""The staff pages under ``/staff``: sign-in, dashboard, cataloging, bulk metadata, collections, ingest, jobs,
preservation, users. Server-rendered (Jinja2) with a little progressive JavaScript.

``staff_routes`` is the route provider listed in ``app.web.app.PROVIDERS``; ``staff_pages`` is the
table of every page and the role it needs (the security tests walk it).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route

from app.web.staff import (
    collections,
    dashboard,
    editor,
    history,
    ingest,
    items,
    metadata,
    ocr,
    preservation,
    signin,
    users,
)
from app.web.staff.guard import StaffPage, route
from app.web.staff.site import StaffSite
from repo.auth import Role
from repo.services import Services

READER, CURATOR, ADMIN = Role.READER, Role.CURATOR, Role.ADMIN
POST = ("POST",)


def staff_pages() -> list[StaffPage]:
    return [
        StaffPage("/", dashboard.dashboard, READER),
        StaffPage("/items", items.items_list, READER),
        StaffPage("/items/{item}", items.item_page, READER),
        StaffPage("/items/{item}/history", history.history_page, READER),
        StaffPage("/items/{item}/export", items.export_zip, CURATOR),
        StaffPage("/items/{item}/edit", editor.edit_page, CURATOR),
        StaffPage("/items/{item}/edit", editor.save_edit, CURATOR, POST),
        StaffPage("/items/{item}/visibility", items.set_visibility, CURATOR, POST),
        StaffPage("/items/{item}/withdraw", items.withdraw_item, ADMIN, POST),
        StaffPage("/items/{item}/ocr", ocr.read_again, CURATOR, POST),
        StaffPage("/collections", collections.collections_page, CURATOR),
        StaffPage("/collections", collections.create_collection, CURATOR, POST),
        StaffPage("/collections/{slug}", collections.collection_page, CURATOR),
        StaffPage("/collections/{slug}", collections.update_collection, CURATOR, POST),
        StaffPage("/ingest", ingest.ingest_page, CURATOR),
        StaffPage("/ingest/uploads", ingest.create_upload, CURATOR, POST),
        StaffPage("/ingest/form", ingest.upload_form, CURATOR, POST, max_files=10_000),
        StaffPage("/ingest/uploads/{upload}", ingest.upload_page, CURATOR),
        StaffPage("/ingest/uploads/{upload}/report", ingest.upload_report, CURATOR),
        StaffPage("/ingest/uploads/{upload}/file", ingest.upload_status, CURATOR),
        StaffPage("/ingest/uploads/{upload}/file", None, CURATOR, ("PUT",), stream=ingest.receive_chunk),
        StaffPage("/ingest/uploads/{upload}/start", ingest.start_ingest, CURATOR, POST),
        StaffPage("/jobs/{job}", ingest.job_page, CURATOR),
        StaffPage("/metadata", metadata.metadata_page, CURATOR),
        StaffPage("/metadata", metadata.compare, CURATOR, POST),
        StaffPage("/metadata/export", metadata.export, CURATOR),
        StaffPage("/metadata/jobs/{job}", metadata.job_page, CURATOR),
        StaffPage("/preservation", preservation.preservation_page, CURATOR),
        StaffPage("/audit", preservation.audit_page, ADMIN),
        StaffPage("/users", users.users_page, ADMIN),
        StaffPage("/users", users.create_user, ADMIN, POST),
        StaffPage("/users/{name}", users.update_user, ADMIN, POST),
        StaffPage("/tokens", users.create_token, ADMIN, POST),
        StaffPage("/tokens/{token}/revoke", users.revoke_token, ADMIN, POST),
    ]


def staff_routes(services: Services) -> list[BaseRoute]:
    """The route provider listed in ``app.web.app.PROVIDERS``."""
    site = StaffSite(services)

    def open_route(path: str, handler: Callable[[StaffSite, Request], Awaitable[Response]], method: str) -> Route:
        async def endpoint(request: Request) -> Response:
            return await handler(site, request)

        return Route(path, endpoint, methods=[method], name=f"staff.{handler.__name__}")

    routes: list[BaseRoute] = [
        open_route("/sign-in", signin.sign_in_page, "GET"),
        open_route("/sign-in", signin.sign_in, "POST"),
        open_route("/sign-out", signin.sign_out, "POST"),
    ]
    routes += [route(site, page) for page in staff_pages()]
    return [Mount("/staff", routes=routes, name="staff")]
