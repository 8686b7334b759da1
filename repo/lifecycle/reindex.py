"""Keep the search index in step after a lifecycle change, when the search package is present."""

from __future__ import annotations

from repo.catalog import Catalog


def reindex(catalog: Catalog, item_id: str) -> None:
    try:
        from repo.search import index_item
    except ImportError:
        return
    index_item(catalog.db, item_id)  # an item no longer in the catalog (or purged) is dropped


def forget(catalog: Catalog, item_id: str) -> None:
    try:
        from repo.search import remove_item
    except ImportError:
        return
    remove_item(catalog.db, item_id)
