"""Find an item's page images (natural order), its metadata record and any page text supplied
beside the scans (``repo.ocr.bag_text.SUPPLIED_SUFFIXES``: ``page001.tif`` + ``page001.alto.xml``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from repo.errors import Problem
from repo.ocr.bag_text import SUPPLIED_SUFFIXES, supplied_stem
from repo.page_formats import IMAGE_SUFFIXES

METADATA_NAMES = ("mods.xml", "marc.xml", "marc.mrc", "metadata.xml", "dc.xml", "metadata.csv", "metadata.json")
IGNORED = {".ds_store", "thumbs.db", "desktop.ini"}


@dataclass(frozen=True)
class Discovered:
    pages: list[Path]
    metadata: Path | None
    problems: list[Problem]
    texts: dict[Path, tuple[Path, str]]  # page -> (its supplied text, "alto" | "hocr")


def natural_key(name: str) -> list[object]:
    """`p2` sorts before `p10`: digit runs compare as numbers."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def discover(folder: Path, metadata: Path | None = None, *, need_metadata: bool = True) -> Discovered:
    problems: list[Problem] = []
    if not folder.is_dir():
        return Discovered([], None, [Problem(str(folder), "not a folder")], {})
    pages: list[Path] = []
    found_metadata: Path | None = metadata
    texts: list[tuple[Path, str, str]] = []  # (file, stem of its scan, kind)
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
        elif (supplied := supplied_stem(entry.name)) is not None:
            texts.append((entry, *supplied))
        else:
            allowed = ", ".join(sorted(IMAGE_SUFFIXES))
            problems.append(Problem(str(entry), f"not an allowed page image format ({allowed})"))
    if not pages:
        problems.append(Problem(str(folder), "no page images found"))
    if found_metadata is None and need_metadata:
        problems.append(
            Problem(str(folder), f"no metadata record: pass --metadata or add one of {', '.join(METADATA_NAMES)}")
        )
    return Discovered(pages, found_metadata, problems, _match_texts(pages, texts, problems))


def _match_texts(
    pages: list[Path], texts: list[tuple[Path, str, str]], problems: list[Problem]
) -> dict[Path, tuple[Path, str]]:
    """Each supplied text file to the scan of the same name; one text a page."""
    by_stem = {page.name[: -len(page.suffix)]: page for page in pages}
    matched: dict[Path, tuple[Path, str]] = {}
    for text, stem, kind in texts:
        page = by_stem.get(stem)
        if page is None:
            suffixes = ", ".join(suffix for suffix, _ in SUPPLIED_SUFFIXES)
            problems.append(
                Problem(str(text), f"page text ({suffixes}) for no page: there is no page image named {stem}.*")
            )
        elif page in matched:
            problems.append(Problem(str(text), f"a second page text for {page.name} beside {matched[page][0].name}"))
        else:
            matched[page] = (text, kind)
    return matched
