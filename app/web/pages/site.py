"""What every page handler shares: services, templates, URLs, search; and how a page is rendered."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from app.web.pages.links import search_link
from iiif.presentation.http import PRIVATE_CACHE_CONTROL
from iiif.presentation.ids import Urls
from repo.access import Access, decide_access, decide_record_access
from repo.auth import request_principal
from repo.catalog import Item
from repo.search import Search
from repo.services import Services

WEB = Path(__file__).resolve().parent.parent
TEMPLATES = WEB / "templates"
STATIC = WEB / "static"
MIRADOR = STATIC / "vendor" / "mirador" / "mirador.min.js"


def caching_of(item: Item) -> dict[str, str]:
    """The headers of any answer about ``item``: one that is not public was unlocked by this
    requester's token, and no shared cache may keep it for anyone else."""
    return {} if item.is_public() else {"Cache-Control": PRIVATE_CACHE_CONTROL}


# Shown when an item cannot be shown, by the reason it cannot.
REFUSALS = {
    Access.NOT_FOUND: ("Not found", "There is no item here: it may have moved, or the address is mistyped."),
    Access.UNAUTHORIZED: ("Not available", "This item is not public: it is restricted or under embargo."),
    Access.GONE: ("Withdrawn", "This item has been withdrawn from the collection."),
}


def versioned_static(path: str, versions: dict[str, str]) -> str:
    """``/static/path?v=...``: the version changes with the file, so browsers may cache it for long."""
    version = versions.get(path)
    if version is None:
        file = STATIC / path
        data = file.read_bytes() if file.is_file() else b""
        version = versions[path] = hashlib.sha256(data).hexdigest()[:12]
    return f"/static/{path}?v={version}"


class Site:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.catalog = services.catalog
        # Page links are relative (they work behind any proxy); IIIF links are absolute by the spec.
        self.urls = Urls(services.settings.base_url)
        settings = services.settings
        self.search = Search(
            services.catalog.db,
            candidates=settings.search_candidates,
            count_budget=settings.search_count_budget_ms / 1000,
            stale_seconds=settings.search_stale_seconds,
        )
        self.mirador_installed = MIRADOR.is_file()
        self._static_versions: dict[str, str] = {}
        self.templates = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(default=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.templates.globals.update(
            site_name=services.settings.repository_name,
            organization=services.settings.source_organization,
            static=self.static_url,
            search_link=search_link,
            urls=self.urls,
        )

    def static_url(self, path: str) -> str:
        return versioned_static(path, self._static_versions)

    def render(self, request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = self.templates.get_template(template).render(request=request, **context)
        return HTMLResponse(html, status_code=status)

    def refuse(self, request: Request, access: Access, item: Item | None = None) -> HTMLResponse:
        title, message = REFUSALS.get(access, ("Not available", "This page is not available."))
        return self.render(request, "refusal.html", access.status, heading=title, message=message, item=item)

    def item_access(self, request: Request, item_id: str, *, record: bool = False) -> tuple[Item | None, Access]:
        """``record``: the item's page, public for a restricted item (its viewer asks for sign-in)."""
        item = self.services.catalog.get_item(item_id)
        decide = decide_record_access if record else decide_access
        return item, decide(item, lambda: request_principal(request))
