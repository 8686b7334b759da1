"""Scans already held by an item, ingested again: with the same record it is nothing to do; with
another record the ingest is refused, naming the item that holds them and how to change its record
(``--update``, or ``muniment edit``), or, with ``update``, that record becomes the item's next
version (the scans are not stored again)."""

from __future__ import annotations

from ingest.context import ItemContext
from repo.audit import Preservation
from repo.errors import Problem
from repo.identifiers import object_id
from repo.lifecycle import edit_metadata
from repo.lifecycle.edit import changed_elements
from repo.lifecycle.stored_bag import read_stored_bag
from repo.preservation import User
from repo.services import Services


def known_scans(
    ctx: ItemContext, services: Services, item_id: str, user: User, *, dry_run: bool
) -> tuple[str, list[Problem], int]:
    """(status, problems, new version): ``already-ingested``, ``updated`` (``valid`` in a dry run) or ``failed``."""
    if ctx.record is None:
        return "already-ingested", [], 0
    stored = read_stored_bag(services.object_store(), object_id(item_id)).record()
    changed = changed_elements(stored, ctx.record)
    if not changed:
        return "already-ingested", [], 0
    if not ctx.source.update:
        item = services.catalog.require_item(item_id)
        reason = (
            f"these scans are already item {item_id} (collection {item.collection}, version {item.version}), "
            f"with another record ({', '.join(changed)} differ); nothing was stored. To give that item this "
            f"record, ingest again with --update, or run `muniment edit {item_id} --metadata FILE`"
        )
        return "failed", [Problem(ctx.source.name, reason)], 0
    if dry_run:
        return "valid", [], 0
    preservation = Preservation(services)
    try:
        return "updated", [], edit_metadata(preservation, item_id, ctx.record, user).version
    finally:
        preservation.close()
