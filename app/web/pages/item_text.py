"""An item's pages as text (``/items/ID/text``): one heading per page, its lines in reading order,
for a screen reader, a search engine or a reader who wants the words rather than the image."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app.web.pages.site import Site, caching_of
from repo.access import Access
from repo.search import page_text


def item_text(site: Site, request: Request) -> Response:
    item, access = site.item_access(request, request.path_params["item"])
    if item is None or access is not Access.VISIBLE:
        return site.refuse(request, access, item)
    meta = site.catalog.metadata(item.id)
    stored = page_text.stored_pages(site.catalog.db, item.id)
    texts = {seq: p.text for seq, p in page_text.pages_with_text(site.catalog.db, item.id).items() if seq in stored}
    response = site.render(
        request,
        "item_text.html",
        item=item,
        pages=site.catalog.files(item.id),
        texts=texts,
        language=(meta.language if meta else None) or "",
    )
    response.headers.update(caching_of(item))
    return response
