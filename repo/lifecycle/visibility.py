"""Who may see an item: public, restricted, or embargoed until a date. Not a new version (the
objects keep what was preserved); the catalog changes and the fact is logged in storage, so that
rebuild-catalog keeps it."""

from __future__ import annotations

import logging

from repo.audit import Preservation
from repo.catalog import Item
from repo.errors import MunimentError
from repo.identifiers import object_id
from repo.services import Services
from storage.errors import StorageError

log = logging.getLogger("muniment.lifecycle")


def set_visibility(services: Services, item_id: str, visibility: str, embargo_until: str | None) -> Item:
    """Under the object's lock, so that a withdrawal or purge under way is not undone by it."""
    with services.object_store().writing(object_id(item_id)):
        item = services.catalog.require_item(item_id)
        if item.status != "active":
            raise MunimentError(f"item {item_id} is {item.status}; only active items have a visibility")
        updated = services.catalog.set_status(
            item_id, visibility=visibility, embargo_until=embargo_until if visibility == "embargoed" else None
        )
        preservation = Preservation(services)
        try:
            preservation.note_item(item_id)
        except StorageError as exc:  # the catalog has it; the next change or fixity run logs it again
            log.warning("%s: visibility not logged in storage yet: %s", item_id, exc)
        finally:
            preservation.close()
    return updated
