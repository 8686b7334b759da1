"""The 15 Dublin Core 1.1 elements: names, value normalization, and oai_dc serialization."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from lxml import etree

from repo.metadata.namespaces import DC, OAI_DC, OAI_DC_SCHEMA_LOCATION, XSI, q
from repo.metadata.xml_build import element, sub, to_bytes

# Canonical order (that of the DCMI element set and the oai_dc schema).
ELEMENTS: tuple[str, ...] = (
    "title",
    "creator",
    "subject",
    "description",
    "publisher",
    "contributor",
    "date",
    "type",
    "format",
    "identifier",
    "source",
    "language",
    "relation",
    "coverage",
    "rights",
)

# The DCMI Type Vocabulary, recommended for dc:type.
DCMI_TYPES = frozenset(
    {
        "Collection",
        "Dataset",
        "Event",
        "Image",
        "InteractiveResource",
        "MovingImage",
        "PhysicalObject",
        "Service",
        "Software",
        "Sound",
        "StillImage",
        "Text",
    }
)
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# Control characters XML 1.0 cannot carry at all (tab, LF and CR are whitespace).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def element_name(key: str) -> str | None:
    """``"Title"``, ``"dc:title"``, ``"dc.title"`` -> ``"title"``; None if not a DC element."""
    name = key.strip().lower()
    for prefix in ("dc:", "dc.", "dcterms:", "dcterms."):
        if name.startswith(prefix):
            name = name[len(prefix) :]
            break
    return name if name in ELEMENTS else None


def clean_value(value: str) -> str:
    """Collapse whitespace runs: line breaks in XML and spreadsheets are layout, not content."""
    return " ".join(value.split())


def has_forbidden_characters(value: str) -> bool:
    return _NOT_XML.search(value) is not None


def dedupe(values: Iterable[str]) -> tuple[str, ...]:
    """Drop empty and repeated values, keeping the first occurrence's position."""
    return tuple(dict.fromkeys(v for v in values if v))


def canonical(dc: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    """All 15 elements in canonical order, values cleaned and de-duplicated.

    Raises ``ValueError`` for a key that is not a DC element or a value XML cannot hold.
    """
    unknown = [k for k in dc if k not in ELEMENTS]
    if unknown:
        raise ValueError(f"not Dublin Core elements: {', '.join(sorted(unknown))}")
    out: dict[str, tuple[str, ...]] = {}
    for name in ELEMENTS:
        raw = dc.get(name, ())
        values = [raw] if isinstance(raw, str) else list(raw)
        bad = [v for v in values if has_forbidden_characters(v)]
        if bad:
            raise ValueError(f"{name} value {bad[0]!r} has characters XML cannot hold")
        out[name] = dedupe(clean_value(v) for v in values)
    return out


def dc_to_oai_dc_xml(dc: Mapping[str, Sequence[str]]) -> bytes:
    """Serialize as an ``oai_dc:dc`` record (valid against the oai_dc schema)."""
    root = element(q(OAI_DC, "dc"), {"oai_dc": OAI_DC, "dc": DC, "xsi": XSI})
    root.set(q(XSI, "schemaLocation"), f"{OAI_DC} {OAI_DC_SCHEMA_LOCATION}")
    for name, values in canonical(dc).items():
        for value in values:
            sub(root, q(DC, name), value)
    return to_bytes(root)


def oai_dc_from_elements(container: etree._Element) -> bytes:
    """An ``oai_dc:dc`` record of the DC elements in ``container`` as written, ``xml:lang`` kept."""
    root = element(q(OAI_DC, "dc"), {"oai_dc": OAI_DC, "dc": DC, "xsi": XSI})
    root.set(q(XSI, "schemaLocation"), f"{OAI_DC} {OAI_DC_SCHEMA_LOCATION}")
    for child in container:
        if isinstance(child.tag, str) and etree.QName(child).namespace == DC:
            lang = child.get(_XML_LANG)
            sub(
                root,
                q(DC, etree.QName(child).localname),
                "".join(child.itertext()),
                **({_XML_LANG: lang} if lang else {}),
            )
    return to_bytes(root)


def dc_from_xml(container: etree._Element) -> tuple[dict[str, list[str]], list[etree._Element]]:
    """DC values of the DC element children of ``container``, and its other element children."""
    found: dict[str, list[str]] = {}
    others: list[etree._Element] = []
    for child in container:
        if not isinstance(child.tag, str):
            continue  # comments and processing instructions
        qname = etree.QName(child)
        if qname.namespace == DC and qname.localname in ELEMENTS:
            found.setdefault(qname.localname, []).append(clean_value("".join(child.itertext())))
        else:
            others.append(child)
    return found, others
