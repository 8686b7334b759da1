"""Export a version of an item as a complete BagIt bag: a folder, a .zip or a .tar.

Every file's sha512 is checked against the inventory as it is written; the bag folder or archive
is written under a temporary name beside the destination and renamed, so a failed export leaves
nothing that looks finished.
"""

from __future__ import annotations

import os
import tarfile
import tempfile
import zipfile
from pathlib import Path

from repo.errors import MunimentError
from repo.preservation import ObjectStore
from repo.preservation.bag_format import PAYLOAD_DIR
from repo.preservation.ocfl_inventory import version_number


def version_name(store: ObjectStore, object_id: str, wanted: str | None) -> str | None:
    """``3`` or ``v3`` as the object's own name for that version (None: the head)."""
    if wanted is None:
        return None
    inventory = store.read_inventory(object_id)
    try:
        number = version_number(wanted) if wanted.startswith("v") else int(wanted)
    except ValueError:
        raise MunimentError(f"{wanted!r} is not a version number") from None
    found = next((n for n in inventory.versions if version_number(n) == number), None)
    if found is None:
        raise MunimentError(f"{object_id} has no version {wanted} (it has {', '.join(inventory.versions)})")
    return found


def export_bag(
    store: ObjectStore, object_id: str, version: str | None, dest: Path, archive: str | None, top: str
) -> Path:
    """Write the bag to ``dest``: a folder (absent or empty), or with ``archive`` ("zip" or "tar") an
    archive file whose single top folder is ``top``."""
    name = version_name(store, object_id, version)
    empty_folder = archive is None and dest.is_dir() and not any(dest.iterdir())
    if dest.exists() and not empty_folder:
        raise MunimentError(f"{dest} already exists" + ("" if archive else " and is not an empty folder"))
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".muniment-export-") as work:
        bag = store.export_version(object_id, name, Path(work) / top)
        if archive is None:
            os.replace(bag, dest)  # onto an empty folder too: POSIX rename allows it
            return dest
        partial = Path(work) / f"archive.{archive}"
        if archive == "zip":
            _zip(bag, partial)
        else:
            with tarfile.open(partial, "w") as tar:
                tar.add(bag, arcname=top)
        os.replace(partial, dest)
    return dest


def _zip(bag: Path, target: Path) -> None:
    with zipfile.ZipFile(target, "w", allowZip64=True) as zf:
        for path in sorted(p for p in bag.rglob("*") if p.is_file()):
            rel = path.relative_to(bag).as_posix()
            # Scans are already compressed: storing them is as small and much faster.
            method = zipfile.ZIP_STORED if rel.startswith(f"{PAYLOAD_DIR}/") else zipfile.ZIP_DEFLATED
            zf.write(path, f"{bag.name}/{rel}", compress_type=method)
