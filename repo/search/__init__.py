"""Search over the catalog: full text (SQLite FTS5 or PostgreSQL tsvector) with facets.

Ingest and edits call ``index_item`` after registering or changing an item, ``remove_item``
after deleting one; ``catch_up`` (``follow`` in a server) indexes whatever else changed;
``reindex_all`` rebuilds the whole index from the catalog.
"""

from repo.search.indexer import catch_up, ensure_indexed, follow, index_item, pending, reindex_all, remove_item
from repo.search.query import FACETS, FacetValue, Hit, SearchQuery, SearchResults, Sort
from repo.search.search import Search

__all__ = [
    "FACETS",
    "FacetValue",
    "Hit",
    "Search",
    "SearchQuery",
    "SearchResults",
    "Sort",
    "catch_up",
    "ensure_indexed",
    "follow",
    "index_item",
    "pending",
    "reindex_all",
    "remove_item",
]
