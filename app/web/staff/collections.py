"""Collections: create, rename, describe, choose the item whose first page is the thumbnail."""

from __future__ import annotations

import re

from starlette.responses import Response

from app.web.staff.guard import StaffCall
from repo.errors import ChangedMeanwhile, MunimentError
from repo.lifecycle import collections
from storage.errors import StorageError

_SLUG = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")


def collections_page(call: StaffCall, *, problems: list[str] | None = None, status: int = 200) -> Response:
    catalog = call.site.catalog
    listed = catalog.list_collections()
    return call.render(
        "collections.html",
        status,
        collections=listed,
        counts={c.slug: catalog.count_items(c.slug) for c in listed},
        problems=problems or [],
        form=call.form,
    )


def create_collection(call: StaffCall) -> Response:
    slug = call.form.get("slug", "").strip()
    title = call.form.get("title", "").strip()
    call.target = slug
    problems = []
    if not _SLUG.fullmatch(slug):
        problems.append("Slug: lower-case letters, digits and . _ -, starting with a letter or digit (it is in URLs)")
    if not title:
        problems.append("Title: give the collection a title")
    if problems:
        return collections_page(call, problems=problems, status=422)
    try:
        _, created = collections.ensure_collection(
            call.site.services, slug, title, call.form.get("description", "").strip()
        )
    except (MunimentError, StorageError) as exc:
        return collections_page(call, problems=[f"Collection: not created: {exc}"], status=503)
    if not created:
        return collections_page(call, problems=[f"Slug: a collection {slug!r} already exists"], status=409)
    return call.redirect(f"/staff/collections/{slug}", f"Collection {title!r} created.")


def collection_page(
    call: StaffCall, *, problems: list[str] | None = None, status: int = 200, based_on: str | None = None
) -> Response:
    """The collection's form; ``based_on`` is the edition the next save is based on (the form's own
    while it is corrected, the stored one once the editor has been shown a change made meanwhile)."""
    collection = call.site.catalog.get_collection(call.path["slug"])
    if collection is None:
        return call.site.refusal(
            call.request, 404, "Not found", "There is no such collection.", session=call.session, user=call.user
        )
    items = call.site.catalog.list_items(collection.slug, limit=200)
    edition = based_on or call.form.get("based_on") or collections.edition(collection)
    return call.render(
        "collection.html",
        status,
        collection=collection,
        items=items,
        problems=problems or [],
        form=call.form,
        based_on=edition,
    )


def update_collection(call: StaffCall) -> Response:
    slug = call.path["slug"]
    title = call.form.get("title", "").strip()
    if not title:
        return collection_page(call, problems=["Title: a collection needs a title"], status=422)
    changes = {"title": title, "description": call.form.get("description", "").strip()}
    if "thumbnail_item" in call.form:
        chosen = call.form["thumbnail_item"].strip()
        item = call.site.catalog.get_item(chosen) if chosen else None
        if chosen and (item is None or item.collection != slug):
            return collection_page(
                call, problems=[f"Thumbnail: {chosen!r} is not an item of this collection"], status=422
            )
        if item is not None and not call.site.catalog.files(item.id):
            return collection_page(call, problems=[f"Thumbnail: {item.title!r} has no pages"], status=422)
        changes["thumbnail_item"] = chosen
    try:
        collections.update_collection(call.site.services, slug, based_on=call.form.get("based_on") or None, **changes)
    except ChangedMeanwhile as exc:
        now = call.site.catalog.get_collection(slug)
        stored = f"title {now.title!r}, thumbnail {now.thumbnail_item or 'none'}" if now else "(removed)"
        return collection_page(
            call,
            problems=[
                f"Collection: not saved: {exc}. It now reads: {stored}."
                " Your changes are below: save again to keep them."
            ],
            status=409,
            based_on=collections.edition(now) if now else None,
        )
    except (MunimentError, StorageError) as exc:
        return collection_page(call, problems=[f"Collection: not saved: {exc}"], status=503)
    return call.redirect(f"/staff/collections/{slug}", "Collection saved.")
