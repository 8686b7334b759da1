"""What OAI-PMH reads from the catalog: its read model and SQL are the catalog's
(``repo.catalog.oai_records``); the names stay here for the OAI modules and their callers."""

from repo.catalog.oai_records import (
    RecordRow,
    Selection,
    StoredItem,
    count,
    disseminated_item,
    earliest_datestamp,
    list_page,
    sample_item_id,
)

__all__ = [
    "RecordRow",
    "Selection",
    "StoredItem",
    "count",
    "disseminated_item",
    "earliest_datestamp",
    "list_page",
    "sample_item_id",
]
