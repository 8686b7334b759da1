"""One page's text as words with boxes and lines, and the two files it travels in: ALTO 4 (what
Muniment writes and keeps in the bag) and hOCR (what an archivist may supply instead).

Boxes are in the pixels of the page's master scan, top-left origin, as IIIF canvases are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from repo.metadata.errors import MetadataError
from repo.metadata.safe_xml import MAX_DOCUMENT_BYTES, parse_xml
from repo.metadata.schemas import alto_schema, validate

ALTO_NS = "http://www.loc.gov/standards/alto/ns-v4#"
ALTO_SCHEMA_LOCATION = "http://www.loc.gov/standards/alto/v4/alto-4-4.xsd"
# ALTO 2 and 3 documents are read as well (their elements are the same for words and lines).
ALTO_NAMESPACES = (ALTO_NS, "http://www.loc.gov/standards/alto/ns-v3#", "http://www.loc.gov/standards/alto/ns-v2#")
_BBOX = re.compile(r"\bbbox\s+(-?\d+)\s+(-?\d+)\s+(-?\d+)\s+(-?\d+)")


@dataclass(frozen=True)
class Word:
    text: str
    x: int
    y: int
    w: int
    h: int
    line: int  # the line's number on the page, from 0
    confidence: float | None = None  # 0..1 when the engine gives one


@dataclass(frozen=True)
class PageText:
    width: int
    height: int
    words: tuple[Word, ...] = ()
    lines: tuple[tuple[int, int, int, int], ...] = field(default=())  # box of each line, by number

    @property
    def text(self) -> str:
        """Plain text: the words of a line joined by spaces, lines by newlines, in reading order."""
        out: list[str] = []
        current = -1
        for word in self.words:
            if word.line != current:
                if out:
                    out.append("\n")
                current = word.line
            elif out:
                out.append(" ")
            out.append(word.text)
        return "".join(out)

    def line_texts(self) -> list[tuple[tuple[int, int, int, int], str]]:
        """(box, text) of every line that has words."""
        by_line: dict[int, list[str]] = {}
        for word in self.words:
            by_line.setdefault(word.line, []).append(word.text)
        return [
            (self.lines[n] if n < len(self.lines) else _box_of(self.words, n), " ".join(ws))
            for n, ws in by_line.items()
        ]


def _box_of(words: Sequence[Word], line: int) -> tuple[int, int, int, int]:
    mine = [w for w in words if w.line == line]
    x0, y0 = min(w.x for w in mine), min(w.y for w in mine)
    x1, y1 = max(w.x + w.w for w in mine), max(w.y + w.h for w in mine)
    return x0, y0, x1 - x0, y1 - y0


@dataclass(frozen=True)
class Software:
    """Who read the page, as ALTO's processing step and the PREMIS event name it."""

    name: str  # "Tesseract"
    version: str  # "5.3.0"
    creator: str = ""
    settings: str = ""  # e.g. "languages eng+fra; tessdata ..."


# -- writing ALTO ----------------------------------------------------------------------------


def alto_xml(page: PageText, file_name: str, software: Software, when: datetime, seq: int) -> bytes:
    """ALTO 4.4 for ``page``: one text block, a TextLine per line, a String per word."""
    out = [
        "<?xml version='1.0' encoding='UTF-8'?>\n",
        f'<alto xmlns="{ALTO_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        f' xsi:schemaLocation="{ALTO_NS} {ALTO_SCHEMA_LOCATION}">\n',
        "<Description><MeasurementUnit>pixel</MeasurementUnit>",
        f"<sourceImageInformation><fileName>{escape(file_name)}</fileName></sourceImageInformation>",
        '<Processing ID="ocr"><processingCategory>contentGeneration</processingCategory>',
        f"<processingDateTime>{when.isoformat()}</processingDateTime>",
    ]
    if software.settings:
        out.append(f"<processingStepSettings>{escape(software.settings)}</processingStepSettings>")
    out.append("<processingSoftware>")
    if software.creator:
        out.append(f"<softwareCreator>{escape(software.creator)}</softwareCreator>")
    out.append(
        f"<softwareName>{escape(software.name)}</softwareName>"
        f"<softwareVersion>{escape(software.version)}</softwareVersion>"
        "</processingSoftware></Processing></Description>\n"
    )
    out.append(f'<Layout><Page ID="p{seq}" PHYSICAL_IMG_NR="{seq}" WIDTH="{page.width}" HEIGHT="{page.height}">')
    out.append(f'<PrintSpace HPOS="0" VPOS="0" WIDTH="{page.width}" HEIGHT="{page.height}">')
    lines = page.line_texts()
    if lines:
        x0 = min(box[0] for box, _ in lines)
        y0 = min(box[1] for box, _ in lines)
        x1 = max(box[0] + box[2] for box, _ in lines)
        y1 = max(box[1] + box[3] for box, _ in lines)
        out.append(f'<TextBlock ID="p{seq}_b1" {_position(x0, y0, x1 - x0, y1 - y0)}>\n')
        by_line: dict[int, list[Word]] = {}
        for word in page.words:
            by_line.setdefault(word.line, []).append(word)
        for index, (number, words) in enumerate(by_line.items(), start=1):
            box = page.lines[number] if number < len(page.lines) else _box_of(page.words, number)
            out.append(f'<TextLine ID="p{seq}_l{index}" {_position(*box)}>')
            for position, word in enumerate(words, start=1):
                if position > 1:
                    out.append("<SP/>")
                confidence = f' WC="{word.confidence:.2f}"' if word.confidence is not None else ""
                out.append(
                    f'<String ID="p{seq}_l{index}_w{position}" CONTENT={quoteattr(word.text)}'
                    f" {_position(word.x, word.y, word.w, word.h)}{confidence}/>"
                )
            out.append("</TextLine>\n")
        out.append("</TextBlock>")
    out.append("</PrintSpace></Page></Layout></alto>\n")
    return "".join(out).encode("utf-8")


def _position(x: int, y: int, w: int, h: int) -> str:
    return f'HPOS="{x}" VPOS="{y}" WIDTH="{w}" HEIGHT="{h}"'


# -- reading ALTO and hOCR -------------------------------------------------------------------


def read_alto(
    data: bytes, filename: str, *, check_schema: bool = True, scan: tuple[int, int] | None = None
) -> PageText:
    """The words and lines of an ALTO 2, 3 or 4 document; ALTO 4 is validated against the 4.4
    schema (the only one shipped; 2 and 3 are read for their words). With ``scan`` (its width and
    height), the page must be the scan's size and every box inside it. Raises ``MetadataError``
    naming the file, and the line, for anything malformed."""
    root = parse_xml(data, filename).getroot()
    namespace = etree.QName(root).namespace
    if etree.QName(root).localname != "alto" or namespace not in ALTO_NAMESPACES:
        raise MetadataError.single(filename, f"not an ALTO document (root element {root.tag!r})", root.sourceline)
    if check_schema and namespace == ALTO_NS:
        problems = validate(root, alto_schema(), filename)
        if problems:
            raise MetadataError(problems)
    q = f"{{{namespace}}}"
    page = root.find(f"{q}Layout/{q}Page")
    if page is None:
        raise MetadataError.single(filename, "ALTO document has no Layout/Page")
    unit = (root.findtext(f"{q}Description/{q}MeasurementUnit") or "pixel").strip()
    if unit != "pixel":
        raise MetadataError.single(filename, f"ALTO MeasurementUnit is {unit!r}; only pixel boxes are read")
    width, height = _int(page.get("WIDTH"), filename, page), _int(page.get("HEIGHT"), filename, page)
    _same_size((width, height), scan, filename, page)
    words: list[Word] = []
    lines: list[tuple[int, int, int, int]] = []
    for line in page.iter(f"{q}TextLine"):
        number = len(lines)
        strings = line.findall(f"{q}String")
        for string in strings:
            content = (string.get("CONTENT") or "").strip()
            if content:
                confidence = string.get("WC")
                x, y, w, h = _inside(_box(string, filename), scan, filename, string)
                words.append(Word(content, x, y, w, h, number, float(confidence) if confidence else None))
        if strings:
            lines.append(_box(line, filename))
    return PageText(width, height, tuple(words), tuple(lines))


_LINE_CLASSES = frozenset({"ocr_line", "ocrx_line", "ocr_caption", "ocr_header", "ocr_textfloat"})


def read_hocr(data: bytes, filename: str, *, scan: tuple[int, int] | None = None) -> PageText:
    """The words (``ocrx_word``) and lines (``ocr_line`` and kin) of an hOCR page, with their
    ``bbox``; the page size from the ``ocr_page`` bbox. Read as HTML (Tesseract's XHTML, with
    its DOCTYPE, or any other tool's HTML; no DTD or entity is fetched); ``scan`` as in ``read_alto``."""
    if len(data) > MAX_DOCUMENT_BYTES:
        raise MetadataError.single(filename, f"document is {len(data)} bytes, more than {MAX_DOCUMENT_BYTES}")
    parser = etree.HTMLParser(no_network=True, remove_comments=True, remove_pis=True, huge_tree=False)
    root = etree.fromstring(data, parser) if data.strip() else None
    if root is None:
        raise MetadataError.single(filename, "empty hOCR file")
    page_box: tuple[int, int, int, int] | None = None
    words: list[Word] = []
    lines: list[tuple[int, int, int, int]] = []
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        classes = set((node.get("class") or "").split())
        if "ocr_page" in classes and page_box is None:
            page_box = _bbox(node, filename)
            _same_size((page_box[2] - page_box[0], page_box[3] - page_box[1]), scan, filename, node)
        elif classes & _LINE_CLASSES:
            lines.append(_xywh(_bbox(node, filename)))
        elif "ocrx_word" in classes:
            text = "".join(node.itertext()).strip()
            if text:
                if page_box is None:
                    raise MetadataError.single(filename, "hOCR word outside any ocr_page", node.sourceline)
                x, y, w, h = _inside(_xywh(_bbox(node, filename)), scan, filename, node)
                words.append(Word(text, x, y, w, h, max(len(lines) - 1, 0), _word_confidence(node)))
    if page_box is None:
        raise MetadataError.single(filename, "not an hOCR page: no element of class ocr_page with a bbox")
    return PageText(page_box[2] - page_box[0], page_box[3] - page_box[1], tuple(words), tuple(lines))


_WCONF = re.compile(r"\bx_wconf\s+(\d+(?:\.\d+)?)")


def _word_confidence(node: etree._Element) -> float | None:
    match = _WCONF.search(node.get("title") or "")
    return min(float(match.group(1)) / 100, 1.0) if match else None


def _bbox(node: etree._Element, filename: str) -> tuple[int, int, int, int]:
    title = node.get("title") or ""
    match = _BBOX.search(title)
    if match is None:
        raise MetadataError.single(
            filename, f"hOCR {node.get('class')} without a bbox in its title: {title[:60]!r}", node.sourceline
        )
    x0, y0, x1, y1 = (int(v) for v in match.groups())
    if x1 < x0 or y1 < y0:
        raise MetadataError.single(filename, f"hOCR bbox {x0} {y0} {x1} {y1} ends before it begins", node.sourceline)
    return x0, y0, x1, y1


def _xywh(box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    return box[0], box[1], box[2] - box[0], box[3] - box[1]


def _box(node: etree._Element, filename: str) -> tuple[int, int, int, int]:
    x, y, w, h = (_int(node.get(a), filename, node) for a in ("HPOS", "VPOS", "WIDTH", "HEIGHT"))
    return x, y, w, h


def _int(value: str | None, filename: str, node: etree._Element) -> int:
    try:
        return round(float(value or ""))
    except ValueError:
        raise MetadataError.single(filename, f"ALTO position {value!r} is not a number", node.sourceline) from None


def _same_size(size: tuple[int, int], scan: tuple[int, int] | None, filename: str, node: etree._Element) -> None:
    if scan is not None and size != scan:
        raise MetadataError.single(
            filename, f"describes a {size[0]}x{size[1]} page; the scan is {scan[0]}x{scan[1]}", node.sourceline
        )


def _inside(
    box: tuple[int, int, int, int], scan: tuple[int, int] | None, filename: str, node: etree._Element
) -> tuple[int, int, int, int]:
    x, y, w, h = box
    if scan is not None and (x < 0 or y < 0 or w < 0 or h < 0 or x + w > scan[0] or y + h > scan[1]):
        raise MetadataError.single(
            filename, f"word box {x},{y},{w},{h} lies outside the {scan[0]}x{scan[1]} scan", node.sourceline
        )
    return box


def words_of(pages: Iterable[PageText]) -> int:
    return sum(len(p.words) for p in pages)
