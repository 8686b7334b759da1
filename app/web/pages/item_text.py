"""An item's pages as text (``/items/ID/text``): one heading per page, its lines in reading order,
for a screen reader, a search engine or a reader who wants the words rather than the image.

A long item's text comes in parts of ``MUNIMENT_TEXT_PAGES_PER_PART`` pages (20), each a stable
link by its first page (``?from=21``), so a 1,000-page book is fifty pages a screen reader can
finish, and each costs what the first does. ``?page=N`` (the "go to page" form) answers with the
part that holds page N, at its heading.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from app.web.pages.site import Site, caching_of
from repo.access import Access
from repo.search import page_text


def part_of(seq: int, size: int) -> int:
    """The first page of the part (of ``size`` pages) that holds page ``seq``."""
    return (seq - 1) // size * size + 1


def _number(request: Request, name: str, count: int) -> int | None:
    """A page number of the item from the query (None when absent or not one: a link gone stale)."""
    value = request.query_params.get(name, "")
    return int(value) if value.isdigit() and len(value) < 10 and 1 <= int(value) <= count else None


def item_text(site: Site, request: Request) -> Response:
    item, access = site.item_access(request, request.path_params["item"])
    if item is None or access is not Access.VISIBLE:
        return site.refuse(request, access, item)
    count, size = item.page_count, max(1, site.services.settings.text_pages_per_part)
    here = f"/items/{quote(item.id, safe='')}/text"
    wanted = _number(request, "page", count)
    if wanted is not None:
        return RedirectResponse(f"{here}?from={part_of(wanted, size)}#page-{wanted}", status_code=303)
    asked = request.query_params.get("page", "").strip()[:20]  # a number that is no page: said so
    first = _number(request, "from", count) or 1
    last = min(count, first + size - 1)
    meta = site.catalog.metadata(item.id)
    parts = [(start, min(count, start + size - 1)) for start in range(1, count + 1, size)]
    response = site.render(
        request,
        "item_text.html",
        item=item,
        pages=site.catalog.files(item.id, first, last),
        texts=page_text.stored_texts(site.catalog.db, item.id, first, last),
        any_text=page_text.has_stored_text(site.catalog.db, item.id),
        language=(meta.language if meta else None) or "",
        here=here,
        no_such_page=asked,
        first=first,
        last=last,
        count=count,
        parts=parts if len(parts) > 1 else [],
        previous=max(1, first - size) if first > 1 else None,
        next=last + 1 if last < count else None,
    )
    response.headers.update(caching_of(item))
    return response
