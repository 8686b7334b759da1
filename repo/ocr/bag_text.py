"""The text files of an item's bag (tag files under ``ocr/``): what they are named, the text an
archivist supplies beside the scans, and the page-text index made again from them.

Muniment's own OCR is kept as ``ocr/NNNN.alto.xml``. Supplied text is kept as supplied: ALTO as
``ocr/NNNN.alto.xml``, hOCR as ``ocr/NNNN.hocr`` (and indexed through ALTO made from its words,
which is what viewers are served). A supplied file is matched to its scan by name: the scan's name
without its suffix, then one of ``SUPPLIED_SUFFIXES`` (``page001.tif`` + ``page001.alto.xml``).

This module imports nothing of ``repo.lifecycle``, so rebuilding the catalog can use it.
"""

from __future__ import annotations

import logging
from collections.abc import Container, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from repo.catalog import Database
from repo.metadata.errors import MetadataError
from repo.ocr.page_text import PageText, Software, alto_xml, read_alto, read_hocr
from repo.search import page_text

log = logging.getLogger("muniment.ocr")

OCR_DIR = "ocr"
SUPPLIED_SOURCES = ("alto", "hocr")  # page_text.source of text the archivist supplied
# Longest first: "page1.alto.xml" is page1's ALTO, not the text of a scan named "page1.alto".
SUPPLIED_SUFFIXES = (
    (".alto.xml", "alto"),
    (".hocr.html", "hocr"),
    (".xml", "alto"),
    (".hocr", "hocr"),
    (".html", "hocr"),
)
_TAG_SUFFIX = {"alto": ".alto.xml", "hocr": ".hocr"}
SUPPLIED_SOFTWARE = Software("hOCR supplied with the scans", "")


def alto_path(seq: int) -> str:
    return tag_path(seq, "alto")


def tag_path(seq: int, kind: str) -> str:
    """Where page ``seq``'s text of ``kind`` ("alto" or "hocr") is kept in the bag."""
    return f"{OCR_DIR}/{seq:04d}{_TAG_SUFFIX[kind]}"


def seq_of(tag: str) -> tuple[int, str] | None:
    """``ocr/0007.alto.xml`` -> (7, "alto"); None for anything else."""
    if not tag.startswith(f"{OCR_DIR}/"):
        return None
    name = tag[len(OCR_DIR) + 1 :]
    for kind, suffix in _TAG_SUFFIX.items():
        stem = name[: -len(suffix)]
        if name.endswith(suffix) and stem.isdigit():
            return int(stem), kind
    return None


def supplied_stem(name: str) -> tuple[str, str] | None:
    """``page001.alto.xml`` -> ("page001", "alto"): the scan's stem it belongs to and its kind."""
    lower = name.lower()
    for suffix, kind in SUPPLIED_SUFFIXES:
        if lower.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)], kind
    return None


@dataclass(frozen=True)
class SuppliedText:
    """One page's supplied file, read and checked against its scan."""

    seq: int
    name: str  # the file's name beside the scans
    kind: str  # "alto" | "hocr"
    data: bytes  # as supplied: kept in the bag unchanged
    text: PageText

    @property
    def tag_path(self) -> str:
        return tag_path(self.seq, self.kind)

    def index_alto(self, scan_name: str) -> bytes:
        return alto_for_index(self.kind, self.data, self.text, self.seq, scan_name)


def read_supplied(seq: int, name: str, data: bytes, kind: str, scan: tuple[int, int]) -> SuppliedText:
    """The supplied file ``name`` for a scan of ``scan`` (width, height) pixels: ALTO 4 valid
    against the ALTO schema, hOCR well formed with bboxes, and either one the scan's size with
    every word inside it (a file without words is a blank page's: kept, and OCR skips the page).
    Raises ``MetadataError`` naming the file and line."""
    text = read_alto(data, name, scan=scan) if kind == "alto" else read_hocr(data, name, scan=scan)
    return SuppliedText(seq, name, kind, data, text)


def alto_for_index(kind: str, data: bytes, text: PageText, seq: int, scan_name: str) -> bytes:
    """The ALTO served for a page: supplied ALTO as it is; hOCR's words written as ALTO."""
    if kind == "alto":
        return data
    return alto_xml(text, scan_name, SUPPLIED_SOFTWARE, datetime.now(UTC), seq)


def source_of(kind: str, data: bytes) -> str:
    """page_text.source: "tesseract" for Muniment's own OCR, else the supplied file's kind."""
    return "tesseract" if kind == "alto" and b"<softwareName>Tesseract</softwareName>" in data else kind


def index_tags(
    db: Database, item_id: str, tags: Mapping[str, bytes], version: int, *, skip: Container[int] = ()
) -> int:
    """Index the page text the bag's ``tags`` hold (pages in ``skip`` aside); how many pages.
    The ALTO of every page, ours or supplied, is read without the schema: it was checked when it
    came in, and a file that no longer reads is reported and left out, not a reason to fail."""
    indexed = 0
    for path, data in sorted(tags.items()):
        found = seq_of(path)
        if found is None or found[0] in skip:
            continue
        seq, kind = found
        if kind == "alto" and tag_path(seq, "hocr") in tags:
            continue  # an hOCR page's ALTO is made from the hOCR
        try:
            text = read_alto(data, path, check_schema=False) if kind == "alto" else read_hocr(data, path)
        except MetadataError as exc:
            log.warning("%s: %s is not readable text: %s", item_id, path, exc)
            continue
        alto = alto_for_index(kind, data, text, seq, path)
        page_text.save_page(db, item_id, seq, text, alto, source=source_of(kind, data), version=version)
        indexed += 1
    return indexed
