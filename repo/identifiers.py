"""Identifiers and keys that follow from an item: its OCFL object id, its content key, its
default id, and the keys of its access derivatives. Ingest makes them; rebuild-catalog makes the
same ones again from storage, so both take them from here.

OCFL recommends URIs as object ids (validators warn otherwise); item ids stay short for URLs.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

_ID_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")

OBJECT_ID_PREFIX = "urn:muniment:item:"


def object_id(item_id: str) -> str:
    return OBJECT_ID_PREFIX + item_id


def item_id_from_object(object_id: str) -> str:
    if not object_id.startswith(OBJECT_ID_PREFIX):
        raise ValueError(f"{object_id!r} is not a Muniment item object id")
    return object_id[len(OBJECT_ID_PREFIX) :]


def content_key(collection: str, pages: Iterable[tuple[str, str]]) -> str:
    """The key that makes re-ingest idempotent: the collection, then each page's file name and
    sha512 in page order."""
    digest = hashlib.sha256(collection.encode())
    for name, sha512 in pages:
        digest.update(f"\n{name}\t{sha512}".encode())
    return digest.hexdigest()


def item_id_for(identifier: str | None, collection: str, key: str) -> str:
    """The depositor's identifier made URL-safe, or else the collection and the content key's start."""
    if identifier:
        cleaned = _ID_UNSAFE.sub("-", identifier).strip("-.")
        if cleaned:
            return cleaned[:120]
    return default_item_id(collection, key)


def default_item_id(collection: str, key: str) -> str:
    return f"{collection}-{key[:12]}"


def derivative_key(item_id: str, seq: int) -> str:
    """The page's pyramidal TIFF in access storage."""
    return f"{item_id}/{seq:04d}.tif"


def thumbnail_key(item_id: str, seq: int) -> str:
    return f"{item_id}/{seq:04d}.jpg"
