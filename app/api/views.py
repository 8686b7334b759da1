"""Catalog records as API answers."""

from __future__ import annotations

from app.api.models import CollectionOut, ItemOut, PageOut
from repo.catalog import Collection, Item, PageFile


def collection_out(c: Collection) -> CollectionOut:
    return CollectionOut(
        slug=c.slug, title=c.title, description=c.description, rights=c.rights, created=c.created, modified=c.modified
    )


def item_out(item: Item) -> ItemOut:
    visibility = item.visibility if item.visibility in ("public", "restricted", "embargoed") else "restricted"
    return ItemOut(
        id=item.id,
        collection=item.collection,
        title=item.title,
        external_id=item.external_id,
        visibility=visibility,  # type: ignore[arg-type]
        embargo_until=item.embargo_until,
        public=item.is_public(),
        status=item.status,
        status_reason=item.status_reason,
        version=item.version,
        page_count=item.page_count,
        created=item.created,
        datestamp=item.datestamp,
    )


def page_out(f: PageFile) -> PageOut:
    return PageOut(
        seq=f.seq, path=f.path, label=f.label, size=f.size, sha512=f.sha512, mime=f.mime, width=f.width, height=f.height
    )
