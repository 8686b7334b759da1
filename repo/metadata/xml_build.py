"""Small helpers for writing the XML documents we produce (oai_dc, MODS, PREMIS)."""

from __future__ import annotations

from collections.abc import Mapping

from lxml import etree


def element(tag: str, nsmap: Mapping[str | None, str] | None = None, **attrib: str) -> etree._Element:
    root: etree._Element = etree.Element(tag, attrib or None, nsmap=dict(nsmap) if nsmap else None)
    return root


def sub(parent: etree._Element, tag: str, text: str | None = None, **attrib: str) -> etree._Element:
    """Append a child ``tag`` with optional text and attributes; return it."""
    child: etree._Element = etree.SubElement(parent, tag, attrib or None)
    if text is not None:
        child.text = text
    return child


def to_bytes(root: etree._Element) -> bytes:
    """UTF-8 with an XML declaration, indented for people reading the bag."""
    etree.indent(root, space="  ")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
