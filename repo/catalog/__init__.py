"""The catalog database: what is needed to list, search and serve; rebuilt from storage on demand."""

from repo.catalog.catalog import Catalog
from repo.catalog.db import Database
from repo.catalog.models import (
    Collection,
    Event,
    FixityRow,
    Item,
    ItemMetadata,
    PageFile,
    Replication,
    format_datestamp,
    utc_now,
)

__all__ = [
    "Catalog",
    "Collection",
    "Database",
    "Event",
    "FixityRow",
    "Item",
    "ItemMetadata",
    "PageFile",
    "Replication",
    "format_datestamp",
    "utc_now",
]
