"""An item's life after ingest: metadata edits as new versions, history, export, withdrawal,
purge, and the catalog rebuilt from preservation storage."""

from repo.lifecycle.agent import os_user
from repo.lifecycle.edit import EditConflict, EditResult, edit_fields, edit_metadata
from repo.lifecycle.export import export_bag, version_name
from repo.lifecycle.history import VersionEntry, format_history, item_history
from repo.lifecycle.purge import PurgeResult, purge
from repo.lifecycle.rebuild import RebuildResult, rebuild_catalog
from repo.lifecycle.withdraw import DEACCESSION, withdraw

__all__ = [
    "DEACCESSION",
    "EditConflict",
    "EditResult",
    "PurgeResult",
    "RebuildResult",
    "VersionEntry",
    "edit_fields",
    "edit_metadata",
    "export_bag",
    "format_history",
    "item_history",
    "os_user",
    "purge",
    "rebuild_catalog",
    "version_name",
    "withdraw",
]
