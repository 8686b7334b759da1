"""Manifests and collections for the routes: access decided, cached, serialized. No HTTP here."""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from starlette.requests import HTTPConnection

from iiif.auth.services import AuthServices, AuthUrls, declare_on_manifest
from iiif.presentation.cache import DEFAULT_CACHE_BYTES, Document, DocumentCache, strong_etag
from iiif.presentation.collection import (
    build_collection,
    build_parts,
    build_top_collection,
    count_public,
    cover,
    public_members,
)
from iiif.presentation.manifest import build_manifest, to_json_bytes
from iiif.presentation.source import Publisher, load_source
from iiif.search.documents import SearchUrls, declare_text
from repo.access import Access, decide_access, decide_record_access
from repo.auth import request_principal
from repo.catalog import Catalog, Item, utc_now
from repo.catalog.presentation_rows import item_and_collection_modified
from repo.catalog.version import catalog_version
from repo.search.page_text import stored_pages
from repo.search.summary import SummaryCache

#: Bump when the builder's output changes, so clients drop manifests cached under old ETags.
BUILDER_VERSION = 4
#: Manifests in one collection document; a larger collection is split into parts this size.
COLLECTION_PAGE_SIZE = 1000


@dataclass(frozen=True)
class Outcome:
    access: Access
    document: Document | None = None  # None when visible: the client holds ``etag`` already (304)
    etag: str = ""
    private: bool = False  # visible only to this requester (a restricted item and a reader token)


class PresentationService:
    def __init__(
        self,
        catalog: Catalog,
        publisher: Publisher,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
        collection_page_size: int = COLLECTION_PAGE_SIZE,
        auth: AuthServices | None = None,
    ) -> None:
        self.catalog = catalog
        self.publisher = publisher
        self.cache = DocumentCache(cache_bytes)
        self.collection_page_size = max(1, collection_page_size)
        self.counts = SummaryCache()
        self.auth = auth or AuthServices(AuthUrls(publisher.urls.base_url), publisher.repository_name)

    def manifest_etag(self, item: Item, collection_modified: str) -> str:
        # Everything a manifest is made of changes one of these: a new version or status moves the
        # datestamp, a collection edit (default rights, title) moves its modified time; the
        # publisher's settings change only with a restart, but caches outlive restarts.
        publisher = self.publisher
        return strong_etag(
            BUILDER_VERSION,
            publisher.urls.base_url,
            publisher.organization,
            publisher.repository_name,
            item.id,
            item.version,
            item.datestamp,
            collection_modified,
            self.auth.kiosk,  # which access services a restricted item's images declare
            self.auth.external,
        )

    def _item(self, item_id: str) -> tuple[Item | None, str]:
        row = item_and_collection_modified(self.catalog.db, item_id)
        if row is None:
            return None, ""
        return Item.from_row(row), row["collection_modified"] or ""

    def manifest(
        self,
        item_id: str,
        connection: HTTPConnection | None = None,
        client_etags: frozenset[str] = frozenset(),
    ) -> Outcome:
        """The manifest of ``item_id``; not built at all when ``client_etags`` holds its ETag."""
        item, collection_modified = self._item(item_id)
        # A restricted item's manifest is everyone's (its images decide per reader); an embargoed
        # one is a reader's only, until the embargo ends.
        access = decide_record_access(item, lambda: request_principal(connection))
        if item is None or access is not Access.VISIBLE:
            return Outcome(access)
        etag = self.manifest_etag(item, collection_modified)
        private = decide_access(item) is not Access.VISIBLE and item.visibility != "restricted"
        if etag in client_etags:
            return Outcome(access, etag=etag, private=private)
        document = self.cache.get(item.id, etag)
        if document is None:
            with _collector_paused():
                built = build_manifest(load_source(self.catalog, item), self.publisher)
                declare_text(built, SearchUrls(self.publisher.urls), item.id, stored_pages(self.catalog.db, item.id))
                if not item.is_public():
                    declare_on_manifest(built, self.auth)
                body = to_json_bytes(built)
            document = Document(etag, body)
            self.cache.put(item.id, document)
        return Outcome(access, document, etag, private)

    def collection(self, slug: str, part: int | None = None) -> Outcome:
        """A collection's document; one that holds more than ``collection_page_size`` public items
        lists its parts instead, each a document of its own (``part``, from 1), so that none grows
        with the collection."""
        collection = self.catalog.get_collection(slug)
        if collection is None:
            return Outcome(Access.NOT_FOUND)
        now, size = utc_now(), self.collection_page_size
        count = self.counts.get(
            ("public", slug), catalog_version(self.catalog.db, now), lambda: count_public(self.catalog, slug, now)
        )
        chosen = cover(self.catalog, collection)
        if part is None:
            if count <= size:
                members = public_members(self.catalog, slug)
                return _visible(build_collection(collection, members, self.publisher, cover=chosen))
            return _visible(build_parts(collection, count, size, self.publisher, chosen))
        first = (part - 1) * size
        if count <= size or part < 1 or first >= count:
            return Outcome(Access.NOT_FOUND)
        members = public_members(self.catalog, slug, limit=size, offset=first)
        return _visible(build_collection(collection, members, self.publisher, (part, first), chosen))

    def top_collection(self) -> Outcome:
        return _visible(build_top_collection(self.catalog.list_collections(), self.publisher))


@contextmanager
def _collector_paused() -> Iterator[None]:
    """A 2,000-page manifest is some 20,000 new dicts and lists, all alive until serialized: cycle
    collections triggered by their allocation find nothing to free and cost more than the build."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _visible(data: object) -> Outcome:
    # Collections are cheap to build; their ETag comes from the bytes so it can never be stale.
    body = to_json_bytes(data)
    document = Document(f'"{hashlib.sha256(body).hexdigest()[:32]}"', body)
    return Outcome(Access.VISIBLE, document, document.etag)
