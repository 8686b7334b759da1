"""What fixity checks of an object beside its content files, once per copy in a run: its
inventories and sidecars (restored from the other copy, see ``inventory_repair``) and stray files,
files in the object root that its inventory does not name.

Stray files are reported, never removed: one may be a write under way, and the recovery that
undoes interrupted writes is what removes them. Each finding is a fixity row without a digest, so
the report and the exit status show it until a later run finds the object clean again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime

from repo.audit.copies import Copy
from repo.audit.event_log import LoggedEvent
from repo.audit.fixity_rows import stamp
from repo.audit.inventory_repair import check_inventories
from repo.catalog import FixityRow
from repo.identifiers import item_id_from_object
from repo.metadata.premis import FIXITY_CHECK, PremisEvent
from repo.preservation import Inventory
from repo.preservation.ocfl_inventory import INVENTORY_FILE, SIDECAR_FILE, version_number
from repo.preservation.ocfl_root import OBJECT_DECLARATION
from repo.version import AGENT

# What OCFL 1.1 allows in an object root beside the declaration, the inventories and the versions.
_ALLOWED_FOLDERS = ("extensions/", "logs/")

STRAY = "stray"  # the fixity result of a stray file


@dataclass
class ObjectCheck:
    """One copy of one object: its verified root inventory (None: ``problem`` says why), and the
    events and finding rows of what was wrong."""

    inventory: Inventory | None
    problem: str = ""
    events: list[LoggedEvent] = field(default_factory=list)
    findings: list[FixityRow] = field(default_factory=list)


def check_object(copy: Copy, other: Copy | None, oid: str, moment: datetime) -> ObjectCheck:
    root = copy.store.object_root(oid)
    files = stored_files(copy, root)
    version_dirs = {top for top in (f.split("/", 1)[0] for f in files) if _is_version_name(top)}
    inventories = check_inventories(copy, other, oid, version_dirs, moment)
    check = ObjectCheck(inventories.inventory, inventories.problem, inventories.events, inventories.findings)
    if check.inventory is None:
        return check
    item_id = item_id_from_object(oid)
    for path in stray_files(files, check.inventory):
        detail = (
            f"{path}: stray file in the object root on the {copy.name} copy: no inventory names it "
            "(nothing removed; an interrupted write leaves such files)"
        )
        event = PremisEvent(FIXITY_CHECK, moment, "failure", detail, AGENT)
        check.events.append(LoggedEvent(event, copy.name, path, result=STRAY))
        check.findings.append(FixityRow(item_id, copy.name, path, "", 0, stamp(moment), STRAY, detail))
    return check


def stored_files(copy: Copy, object_root: str) -> list[str]:
    """Every file in the object root relative to it, with those a filesystem hides from listings
    (the temporary files of a write cut short), which validators see all the same."""
    listed = [key[len(object_root) + 1 :] for key in copy.storage.list(object_root + "/")]
    local = copy.storage.local_path(object_root)
    if local is None or not os.path.isdir(local):
        return listed
    walked = set[str]()
    for folder, _, names in os.walk(local):
        rel = os.path.relpath(folder, local).replace(os.sep, "/")
        walked.update(name if rel == "." else f"{rel}/{name}" for name in names)
    return sorted(walked | set(listed))


def stray_files(files: list[str], inventory: Inventory) -> list[str]:
    named = {OBJECT_DECLARATION, INVENTORY_FILE, SIDECAR_FILE}
    named.update(f"{v}/{name}" for v in inventory.versions for name in (INVENTORY_FILE, SIDECAR_FILE))
    named.update(path for paths in inventory.manifest.values() for path in paths)
    return [f for f in files if f not in named and not f.startswith(_ALLOWED_FOLDERS)]


def _is_version_name(name: str) -> bool:
    try:
        version_number(name)
    except ValueError:
        return False
    return True
