"""An item's page: Mirador on its manifest, its metadata as a table, links to records and downloads."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from app.web.pages.linked_data import linked_data, negotiated
from app.web.pages.site import Site, caching_of
from iiif.presentation.parts import DC_FIELDS
from repo.access import Access
from repo.catalog import ItemMetadata
from repo.metadata.languages import language_name
from repo.metadata.rights import rights_uri
from repo.search import page_text


@dataclass(frozen=True)
class Field:
    label: str
    values: list[str]
    facet: str | None = None  # a search facet each value links to
    link: str | None = None


def metadata_fields(meta: ItemMetadata | None) -> list[Field]:
    if meta is None:
        return []
    fields = []
    for element, label in DC_FIELDS:
        values = [v for v in meta.dc.get(element, []) if v.strip()]
        if not values:
            continue
        if element == "language":
            values = [language_name(v) for v in values]
        facet = "subject" if element == "subject" else None
        link = rights_uri(" ".join(values)) if element == "rights" else None
        fields.append(Field(label, values, facet, link))
    return fields


def item_page(site: Site, request: Request) -> Response:
    rdf = negotiated(request)
    if rdf is not None:  # a linked-data client asked for the item's description itself
        return linked_data(site, request, rdf)
    item, access = site.item_access(request, request.path_params["item"], record=True)
    if item is None or access is not Access.VISIBLE:
        return site.refuse(request, access, item)
    meta = site.catalog.metadata(item.id)
    files = site.catalog.files(item.id)
    manifest = site.urls.manifest(item.id)
    wanted = request.query_params.get("page", "")  # ?page=N opens the viewer at that page (a search snippet's link)
    canvas = site.urls.canvas(item.id, int(wanted)) if wanted.isdigit() and int(wanted) <= len(files) else ""
    response = site.render(
        request,
        "item.html",
        item=item,
        meta=meta,
        pages=files,
        fields=metadata_fields(meta),
        collection=site.catalog.get_collection(item.collection),
        manifest=manifest,
        canvas=canvas,
        has_text=page_text.has_stored_text(site.catalog.db, item.id),
        # IIIF drag and drop: viewers read the manifest from the dropped link's ``manifest`` parameter.
        drag_link=f"{manifest}?{urlencode({'manifest': manifest})}",
        mirador=site.mirador_installed,
        language=(meta.language if meta else None) or "",
    )
    response.headers["Vary"] = "Accept"  # the same URL gives linked data to a client that asks for it
    response.headers.update(caching_of(item))
    return response


def download(site: Site, request: Request) -> Response:
    """The full-size image of one page (``?page=N``, default the first), from the image server."""
    item, access = site.item_access(request, request.path_params["item"])
    if item is None or access is not Access.VISIBLE:
        return site.refuse(request, access, item)
    seqs = [f.seq for f in site.catalog.files(item.id)]
    wanted = request.query_params.get("page", "")
    seq = int(wanted) if wanted.isdigit() and int(wanted) in seqs else (seqs[0] if seqs else None)
    if seq is None:
        return site.refuse(request, Access.NOT_FOUND, item)
    return RedirectResponse(site.urls.image(item.id, seq), status_code=303, headers=caching_of(item))
