"""Collections: list and read (anyone), create and update (curators)."""

from __future__ import annotations

from app.api.errors import ApiError
from app.api.models import CollectionCreate, CollectionList, CollectionOut, CollectionUpdate
from app.api.operations import Call, Operation, Reply
from app.api.views import collection_out
from repo.auth import Role

SLUG_PARAM = {"slug": r"[A-Za-z0-9._~-]{1,200}"}


def list_collections(call: Call) -> Reply:
    collections = call.services.catalog.list_collections()
    return Reply(CollectionList(collections=[collection_out(c) for c in collections]))


def get_collection(call: Call) -> Reply:
    collection = call.services.catalog.get_collection(call.path["slug"])
    if collection is None:
        raise ApiError(404, f"no collection {call.path['slug']!r}")
    return Reply(collection_out(collection))


def create_collection(call: Call) -> Reply:
    body: CollectionCreate = call.body
    catalog = call.services.catalog
    if catalog.get_collection(body.slug) is not None:
        raise ApiError(409, f"collection {body.slug!r} already exists")
    catalog.ensure_collection(body.slug, body.title, body.description, body.rights)
    created = catalog.get_collection(body.slug)
    assert created is not None
    # Another request may have made it first: ensure_collection never overwrites, so say so.
    if (created.title, created.description, created.rights) != (body.title, body.description, body.rights):
        raise ApiError(409, f"collection {body.slug!r} already exists")
    return Reply(collection_out(created), 201, {"Location": f"/api/v1/collections/{body.slug}"}, body.slug)


def update_collection(call: Call) -> Reply:
    body: CollectionUpdate = call.body
    slug = call.path["slug"]
    catalog = call.services.catalog
    if catalog.get_collection(slug) is None:
        raise ApiError(404, f"no collection {slug!r}")
    changes = {k: v for k, v in body.model_dump(exclude_none=True).items()}
    return Reply(collection_out(catalog.update_collection(slug, **changes)))


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
        errors=(404,),
    ),
]
