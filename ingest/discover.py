"""Find an item's page images (natural order) and its metadata record in a folder."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from repo.errors import Problem
from repo.page_formats import IMAGE_SUFFIXES

METADATA_NAMES = ("mods.xml", "marc.xml", "marc.mrc", "metadata.xml", "dc.xml", "metadata.csv", "metadata.json")
IGNORED = {".ds_store", "thumbs.db", "desktop.ini"}


@dataclass(frozen=True)
class Discovered:
    pages: list[Path]
    metadata: Path | None
    problems: list[Problem]


def natural_key(name: str) -> list[object]:
    """`p2` sorts before `p10`: digit runs compare as numbers."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def discover(folder: Path, metadata: Path | None = None, *, need_metadata: bool = True) -> Discovered:
    problems: list[Problem] = []
    if not folder.is_dir():
        return Discovered([], None, [Problem(str(folder), "not a folder")])
    pages: list[Path] = []
    found_metadata: Path | None = metadata
    for entry in sorted(folder.iterdir(), key=lambda p: natural_key(p.name)):
        name = entry.name.lower()
        if name.startswith(".") or name in IGNORED:
            continue
        if entry.is_symlink() or not entry.is_file():
            problems.append(Problem(str(entry), "not a regular file (folders and links are not page images)"))
        elif entry.suffix.lower() in IMAGE_SUFFIXES:
            pages.append(entry)
        elif name in METADATA_NAMES:
            if found_metadata is None:
                found_metadata = entry
            elif metadata is None:
                problems.append(Problem(str(entry), f"a second metadata record beside {found_metadata.name}"))
        else:
            allowed = ", ".join(sorted(IMAGE_SUFFIXES))
            problems.append(Problem(str(entry), f"not an allowed page image format ({allowed})"))
    if not pages:
        problems.append(Problem(str(folder), "no page images found"))
    if found_metadata is None and need_metadata:
        problems.append(
            Problem(str(folder), f"no metadata record: pass --metadata or add one of {', '.join(METADATA_NAMES)}")
        )
    return Discovered(pages, found_metadata, problems)
