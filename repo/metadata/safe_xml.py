"""Parsing untrusted XML: no DTD, no entities, no network, bounded size.

Metadata comes from uploads and batch folders, so any XML may be hostile. A document with a
DOCTYPE is refused outright rather than parsed "safely": none of the formats we read (MODS,
oai_dc, simple DC, PREMIS) uses one, and refusing it closes external entities (file reads,
SSRF), external DTDs and entity expansion bombs at once.
"""

from __future__ import annotations

import codecs
import re

from lxml import etree

from repo.metadata.errors import MetadataError, Problem

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_TEXT_NODE_CHARS = 1024 * 1024

# Everything that may stand before the root element: BOM, XML declaration, whitespace,
# comments and processing instructions. Alternatives start differently, so no backtracking.
_PROLOG_DOCTYPE = re.compile(r"\A\ufeff?(?:<\?xml[^>]*\?>)?(?:\s+|<!--.*?-->|<\?.*?\?>)*<!DOCTYPE", re.DOTALL)

_DOCTYPE_REASON = "document has a DOCTYPE declaration; DTDs and entities are not accepted"


def _prolog_text(data: bytes) -> str:
    """Decode enough to see the prolog, whatever the (declared or BOM-marked) encoding."""
    for bom, codec in (
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, errors="replace")
    if data.startswith(b"<\x00?\x00"):
        return data.decode("utf-16-le", errors="replace")
    if data.startswith(b"\x00<\x00?"):
        return data.decode("utf-16-be", errors="replace")
    # ASCII-compatible encodings (UTF-8, ISO-8859-*, ...) agree on the markup characters.
    return data.decode("latin-1")


def _parser() -> etree.XMLParser:
    # A new parser per call: lxml parsers must not be shared between threads.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
    )


def parse_xml(
    data: bytes,
    filename: str,
    *,
    max_bytes: int = MAX_DOCUMENT_BYTES,
    max_text: int = MAX_TEXT_NODE_CHARS,
) -> etree._ElementTree:
    """Parse ``data`` (named ``filename`` in problems) or raise ``MetadataError``."""
    if len(data) > max_bytes:
        raise MetadataError.single(filename, f"document is {len(data)} bytes, more than the limit of {max_bytes}")
    if _PROLOG_DOCTYPE.match(_prolog_text(data)):
        raise MetadataError.single(filename, _DOCTYPE_REASON)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise MetadataError(_syntax_problems(exc, filename)) from None
    tree = root.getroottree()
    # Second line of defence for encodings the prolog scan cannot read (e.g. EBCDIC).
    docinfo = tree.docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.system_url:
        raise MetadataError.single(filename, _DOCTYPE_REASON)
    problems = _oversized_text(tree, filename, max_text)
    if problems:
        raise MetadataError(problems)
    return tree


def _syntax_problems(exc: etree.XMLSyntaxError, filename: str) -> list[Problem]:
    problems = [
        Problem(filename, f"not well-formed XML: {e.message}", e.line or None)
        for e in exc.error_log
        if e.level >= etree.ErrorLevels.ERROR
    ]
    return problems or [Problem(filename, f"not well-formed XML: {exc.msg}", exc.lineno or None)]


def _oversized_text(tree: etree._ElementTree, filename: str, max_text: int) -> list[Problem]:
    problems: list[Problem] = []
    for node in tree.iter():
        texts: list[str | None] = [node.text, node.tail]
        if isinstance(node.tag, str):
            texts.extend(node.attrib.values())
        if any(t is not None and len(t) > max_text for t in texts):
            problems.append(
                Problem(
                    filename,
                    f"text node longer than the limit of {max_text} characters",
                    node.sourceline,
                )
            )
    return problems
