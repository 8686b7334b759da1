"""After a command was killed between committing a version and updating the catalog, running it
again finds the change already stored: the catalog then catches up instead of writing again."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from repo.catalog import Catalog, format_datestamp
from repo.metadata.premis import PremisEvent


def unrecorded(catalog: Catalog, item_id: str, events: Sequence[PremisEvent]) -> list[PremisEvent]:
    """The events of a stored PREMIS log that the catalog does not list yet (as many times as needed)."""
    seen = Counter((e.type, e.datetime, e.outcome, e.agent, e.detail) for e in catalog.events(item_id))
    missing = []
    for event in events:
        key = (event.type, format_datestamp(event.datetime), event.outcome, event.agent, event.detail)
        if seen[key]:
            seen[key] -= 1
        else:
            missing.append(event)
    return missing
