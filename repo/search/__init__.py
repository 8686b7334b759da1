"""Search over the catalog: full text (SQLite FTS5 or PostgreSQL tsvector) with facets.

Ingest and edits call ``index_item`` after registering or changing an item, ``remove_item``
after deleting one; ``reindex_all`` rebuilds the whole index from the catalog.
"""

from repo.search.indexer import ensure_indexed, index_item, reindex_all, remove_item
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
    "ensure_indexed",
    "index_item",
    "reindex_all",
    "remove_item",
]
