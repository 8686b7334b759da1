"""Collections: list and read (anyone), create and update (curators)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

from app.api.errors import ApiError
from app.api.models import CollectionCreate, CollectionList, CollectionOut, CollectionUpdate
from app.api.operations import Call, Operation, Reply
from app.api.views import collection_out
from repo.auth import Role
from repo.lifecycle import collections
from storage.errors import StorageError

log = logging.getLogger("muniment.api")

SLUG_PARAM = {"slug": r"[A-Za-z0-9._~-]{1,200}"}
IF_MATCH = r'^("[0-9a-f]{16}"|\*)$'


def list_collections(call: Call) -> Reply:
    collections = call.services.catalog.list_collections()
    return Reply(CollectionList(collections=[collection_out(c) for c in collections]))


def get_collection(call: Call) -> Reply:
    collection = call.services.catalog.get_collection(call.path["slug"])
    if collection is None:
        raise ApiError(404, f"no collection {call.path['slug']!r}")
    return Reply(collection_out(collection), headers={"ETag": f'"{collections.edition(collection)}"'})


def create_collection(call: Call) -> Reply:
    body: CollectionCreate = call.body
    # Another request may make it first: ensure_collection never overwrites, so say so.
    with _stored(body.slug):
        collection, created = collections.ensure_collection(
            call.services, body.slug, body.title, body.description, body.rights
        )
    if not created:
        raise ApiError(409, f"collection {body.slug!r} already exists")
    return Reply(collection_out(collection), 201, {"Location": f"/api/v1/collections/{body.slug}"}, body.slug)


def update_collection(call: Call) -> Reply:
    body: CollectionUpdate = call.body
    changes = {k: v for k, v in body.model_dump(exclude_none=True).items()}
    with _stored(call.path["slug"]):
        collection = collections.update_collection(
            call.services, call.path["slug"], based_on=_based_on(call), **changes
        )
    return Reply(collection_out(collection), headers={"ETag": f'"{collections.edition(collection)}"'})


def _based_on(call: Call) -> str | None:
    """The edition named by ``If-Match`` (None when absent or ``*``: the change applies to what is stored)."""
    given = call.request.headers.get("if-match", "").strip()
    if given in ("", "*"):
        return None
    if re.fullmatch(IF_MATCH, given) is None:
        raise ApiError(400, f"If-Match must be the collection's ETag as GET /collections/SLUG gives it; got {given}")
    return given.strip('"')


@contextmanager
def _stored(slug: str) -> Iterator[None]:
    """A collection record storage cannot take leaves the catalog unchanged too: say so, as a 503."""
    try:
        yield
    except StorageError as exc:
        log.warning("collection %s: record not stored: %s", slug, exc)
        raise ApiError(503, f"collection {slug!r} not saved: the preservation storage is unavailable") from None


OPERATIONS = [
    Operation("listCollections", "GET", "/collections", "List collections", CollectionList, list_collections),
    Operation(
        "getCollection",
        "GET",
        "/collections/{slug}",
        "Read a collection",
        CollectionOut,
        get_collection,
        params=SLUG_PARAM,
        errors=(404,),
        answer_headers={"ETag": "The collection as read: send it as If-Match with a change"},
    ),
    Operation(
        "createCollection",
        "POST",
        "/collections",
        "Create a collection",
        CollectionOut,
        create_collection,
        role=Role.CURATOR,
        body=CollectionCreate,
        status=201,
        errors=(409,),
    ),
    Operation(
        "updateCollection",
        "PATCH",
        "/collections/{slug}",
        "Change a collection's title, description or rights",
        CollectionOut,
        update_collection,
        role=Role.CURATOR,
        body=CollectionUpdate,
        params=SLUG_PARAM,
        errors=(404, 409),
        request_headers={
            "If-Match": "The ETag of the collection this change is based on; 409 when someone changed it since"
        },
        header_patterns={"If-Match": IF_MATCH},
        answer_headers={"ETag": "The collection as changed"},
    ),
]
