"""An existing BagIt bag (folder, .zip or .tar) as an ingest source, validated in full first."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ingest.context import ItemSource
from ingest.errors import IngestError
from repo.errors import Problem, ResourceError
from repo.ocr.bag_text import OCR_DIR
from repo.preservation import ArchiveLimits, UnsafeArchive, extract_archive, validate_bag
from repo.preservation.bag_format import read_bag_info, read_declaration
from repo.settings import Settings

ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz")


def bag_source(
    path: Path, staging: Path, settings: Settings, *, collection: str | None, profile_path: Path | None
) -> ItemSource:
    """Validate the bag (and its profile) and describe it as a source; raise with every problem."""
    serialization = None
    bag_dir = path
    if path.is_file() and path.name.lower().endswith(ARCHIVE_SUFFIXES):
        try:
            extracted = extract_archive(path, staging / "unpacked", ArchiveLimits(max_bytes=settings.archive_max_bytes))
        except UnsafeArchive as exc:
            raise IngestError(
                f"{path.name}: unsafe archive", [Problem(f"{path.name}:{p.file}", p.reason) for p in exc.problems]
            ) from None
        except ResourceError as exc:  # the machine's fault (a full disk), not the archive's
            raise IngestError(exc.message, [Problem(path.name, exc.message)]) from None
        bag_dir, serialization = extracted.bag_dir, extracted.media_type
    elif not path.is_dir():
        raise IngestError(f"{path}: not a bag folder or a .zip/.tar archive", [Problem(str(path), "not a bag")])
    profile = _load_profile(profile_path) if profile_path else None
    problems = validate_bag(
        bag_dir, fetch_allowlist=settings.fetch_allowed_hosts, profile=profile, serialization=serialization
    )
    if problems:
        raise IngestError(
            f"{path.name}: invalid bag", [Problem(f"{path.name}/{p.file}", p.reason, p.line) for p in problems]
        )
    return describe_bag(bag_dir, path.name, collection)


def describe_bag(bag_dir: Path, label: str, collection: str | None) -> ItemSource:
    """A bag already validated (by ``bag_source``) as a source: its collection, record and fields."""
    declaration, _ = read_declaration(bag_dir)
    assert declaration is not None
    info_fields = read_bag_info(bag_dir, declaration)[0]
    info = {k.lower(): v for k, v in info_fields}
    group = collection or info.get("bag-group-identifier")
    if not group:
        raise IngestError(
            f"{label}: no collection", [Problem(f"{label}/bag-info.txt", "no Bag-Group-Identifier: pass --collection")]
        )
    metadata = next(
        (bag_dir / "metadata" / n for n in ("mods.xml", "dc.xml") if (bag_dir / "metadata" / n).is_file()),
        None,
    )
    if metadata is None:
        raise IngestError(
            f"{label}: no metadata record",
            [Problem(f"{label}/metadata", "the bag needs metadata/mods.xml or metadata/dc.xml")],
        )
    return ItemSource(
        folder=bag_dir / "data",
        collection=group,
        metadata=metadata,
        identifier=info.get("external-identifier"),
        label=label,
        bag_info=tuple((k, v) for k, v in info_fields),
        texts=bag_dir / OCR_DIR if (bag_dir / OCR_DIR).is_dir() else None,
    )


def _load_profile(path: Path) -> dict[str, Any]:
    try:
        profile: dict[str, Any] = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise IngestError(f"cannot read BagIt profile {path}: {exc}") from None
    return profile
