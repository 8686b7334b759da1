"""Find an item's page images (natural order), its metadata record and any page text supplied
beside the scans (``repo.ocr.bag_text.SUPPLIED_SUFFIXES``: ``page001.tif`` + ``page001.alto.xml``)
or, in an incoming bag, as its tag files (``ocr/0001.alto.xml``, ``ocr/0002.hocr``: the layout of
Muniment's own bags, so an exported bag comes back with its text)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from repo.errors import Problem
from repo.ocr.bag_text import OCR_DIR, SUPPLIED_SUFFIXES, seq_of, supplied_stem
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


def discover(
    folder: Path, metadata: Path | None = None, *, need_metadata: bool = True, texts: Path | None = None
) -> Discovered:
    """What ``folder`` holds; ``texts``: an incoming bag's ``ocr/`` folder of page text by page number."""
    problems: list[Problem] = []
    if not folder.is_dir():
        return Discovered([], None, [Problem(str(folder), "not a folder")], {})
    pages: list[Path] = []
    found_metadata: Path | None = metadata
    beside: list[tuple[Path, str, str]] = []  # (file, stem of its scan, kind)
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
            beside.append((entry, *supplied))
        else:
            allowed = ", ".join(sorted(IMAGE_SUFFIXES))
            problems.append(Problem(str(entry), f"not an allowed page image format ({allowed})"))
    if not pages:
        problems.append(Problem(str(folder), "no page images found"))
    if found_metadata is None and need_metadata:
        problems.append(
            Problem(str(folder), f"no metadata record: pass --metadata or add one of {', '.join(METADATA_NAMES)}")
        )
    matched = _match_texts(pages, beside, problems)
    if texts is not None:
        _match_bag_texts(texts, pages, matched, problems)
    return Discovered(pages, found_metadata, problems, matched)


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


def _match_bag_texts(
    folder: Path, pages: list[Path], matched: dict[Path, tuple[Path, str]], problems: list[Problem]
) -> None:
    """Each of a bag's ``ocr/NNNN`` tag files to page NNNN (the pages in natural order, as its
    bag's writer numbered them); a file that is no page's text would be lost: a problem."""
    for entry in sorted(folder.iterdir(), key=lambda p: natural_key(p.name)):
        found = seq_of(f"{OCR_DIR}/{entry.name}") if entry.is_file() and not entry.is_symlink() else None
        if found is None:
            problems.append(Problem(str(entry), "not page text: a bag's ocr/ folder holds NNNN.alto.xml or NNNN.hocr"))
            continue
        seq, kind = found
        if not 1 <= seq <= len(pages):
            problems.append(Problem(str(entry), f"page text for page {seq}, but the bag has {len(pages)} page(s)"))
        elif pages[seq - 1] in matched:
            page = pages[seq - 1]
            problems.append(Problem(str(entry), f"a second page text for {page.name} beside {matched[page][0].name}"))
        else:
            matched[pages[seq - 1]] = (entry, kind)
