"""MODS <-> Dublin Core, after the Library of Congress mappings (see CROSSWALK.md).

MODS is the richer record: going to DC keeps what a harvester or a search index needs;
coming from DC builds a small, valid MODS 3.8 record so that every item has both.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from lxml import etree

from repo.metadata import mods as mx
from repo.metadata.dublin_core import DCMI_TYPES, canonical, dc_to_oai_dc_xml, dedupe
from repo.metadata.namespaces import MODS, MODS_SCHEMA_LOCATION, XLINK, XSI, q
from repo.metadata.xml_build import element, sub, to_bytes

__all__ = [
    "DCMI_TYPES",
    "DCMI_TYPE_FOR_MODS",
    "dc_to_mods",
    "dc_to_oai_dc_xml",
    "mods_to_dc",
    "split_identifier",
    "typed_identifier",
]

# MODS typeOfResource -> DCMI Type Vocabulary, after LoC's mapping ("mixed material" is our choice).
DCMI_TYPE_FOR_MODS: dict[str, str] = {
    "text": "Text",
    "cartographic": "Image",
    "notated music": "Text",
    "sound recording": "Sound",
    "sound recording-musical": "Sound",
    "sound recording-nonmusical": "Sound",
    "still image": "StillImage",
    "moving image": "MovingImage",
    "three dimensional object": "PhysicalObject",
    "software, multimedia": "Software",
    "mixed material": "Collection",
}
# The DCMI types that come back to the same DCMI type through typeOfResource; the others
# (Image, Collection, Dataset, Event, ...) go to genre authority="dct" to survive a round trip.
_MODS_TYPE_FOR_DCMI: dict[str, str] = {
    "Text": "text",
    "Sound": "sound recording",
    "StillImage": "still image",
    "MovingImage": "moving image",
    "PhysicalObject": "three dimensional object",
    "Software": "software, multimedia",
}
_DCMI_BY_LOWER = {t.lower(): t for t in DCMI_TYPES}
_SUBJECT_PARTS = ("topic", "geographic", "temporal", "name", "titleInfo", "genre", "occupation")
_COVERAGE_PARTS = ("geographic", "temporal")
# MODS identifier types (those of the LoC identifier type list that records use) written into DC
# as "type: value", so that an LCCN and an OCLC number stay distinguishable; read back the same way.
IDENTIFIER_TYPES = frozenset(
    {
        "ark", "doi", "ean", "hdl", "isbn", "ismn", "isrc", "issn", "issn-l", "issue number", "istc", "lccn",
        "local", "matrix number", "music plate", "music publisher", "oclc", "sici", "stock number", "upc",
        "videorecording identifier",
    }
)  # fmt: skip
_TYPED_IDENTIFIER = re.compile(r"^([a-z][a-z -]*[a-z]): (\S.*)$", re.IGNORECASE)
# Machine-readable date encodings: these dates go first, ahead of transcribed ones ("c1999", "1998-]").
_DATE_ENCODINGS = frozenset({"marc", "w3cdtf", "iso8601", "edtf", "temper"})
_URI = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|urn:|doi:|hdl:|info:)\S+$", re.IGNORECASE)
_MEDIA_TYPE = re.compile(r"^[a-z]+/[a-z0-9][a-z0-9!#$&^_.+-]*(?:\s*;.*)?$", re.IGNORECASE)
_W3CDTF = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))?)?)?$")
_ISO639_2 = re.compile(r"^[a-z]{3}$")
_BCP47 = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")
_DATE_LIKE = re.compile(r"^[\[\]()?.,\s\-/–]*(?:c|ca\.?|circa)?\s*\d{3,4}")


def mods_to_dc(mods_tree: etree._ElementTree | etree._Element) -> dict[str, list[str]]:
    """Simple DC from a MODS record (or the first record of a modsCollection).

    Only elements with values appear; values keep record order, without repeats.
    """
    root = mx.mods_root(mods_tree)
    dc: dict[str, list[str]] = {}

    def add(name: str, *values: str) -> None:
        dc.setdefault(name, []).extend(v for v in values if v)

    infos = list(mx.children(root, "titleInfo"))
    for info in [i for i in infos if not i.get("type")] + [i for i in infos if i.get("type")]:
        add("title", mx.format_title(info))
    for name in mx.children(root, "name"):
        add("creator" if mx.is_creator(name) else "contributor", mx.format_name(name))
    for resource_type in mx.children(root, "typeOfResource"):
        if resource_type.get("collection") == "yes":
            add("type", "Collection")
        value = mx.text_of(resource_type)
        add("type", DCMI_TYPE_FOR_MODS.get(value.lower(), value))
    add("type", *(mx.text_of(g) for g in mx.children(root, "genre")))
    for info in mx.children(root, "originInfo"):
        add("publisher", *(mx.text_of(p) for p in mx.children(info, "publisher")))
    add("date", *_origin_dates(root))
    for physical in mx.children(root, "physicalDescription"):
        add("format", *(mx.text_of(f) for f in mx.children(physical, "form", "internetMediaType", "extent")))
    add("description", *(mx.text_of(e) for e in mx.children(root, "abstract", "tableOfContents", "note")))
    for subject in mx.children(root, "subject"):
        heading, coverage = _subject_values(subject)
        add("subject", heading)
        add("coverage", *coverage)
    add("subject", *(mx.text_of(c) for c in mx.children(root, "classification")))
    for identifier in mx.children(root, "identifier"):
        if identifier.get("invalid") != "yes":
            add("identifier", typed_identifier(identifier.get("type", ""), mx.text_of(identifier)))
    for location in mx.children(root, "location"):
        add(
            "identifier",
            *(mx.text_of(u) for u in mx.children(location, "url") if u.get("access") != "preview"),
        )
    for language in mx.children(root, "language"):
        terms = list(mx.children(language, "languageTerm"))
        codes = [t for t in terms if t.get("type") == "code"]
        if terms:
            add("language", mx.text_of((codes or terms)[0]))
    for condition in mx.children(root, "accessCondition"):
        add("rights", mx.text_of(condition), condition.get(q(XLINK, "href"), ""))
    for related in mx.children(root, "relatedItem"):
        kind = related.get("type", "")
        if kind == "constituent":
            continue  # parts of this item: its table of contents, not a relation
        add("source" if kind == "original" else "relation", *_related_values(related))
    return {name: list(dedupe(values)) for name, values in dc.items() if dedupe(values)}


def typed_identifier(kind: str, value: str) -> str:
    """``lccn: 99042030`` for a typed identifier; URIs and untyped values as they are."""
    kind = " ".join(kind.lower().split())
    if not value or kind not in IDENTIFIER_TYPES or _URI.match(value):
        return value
    return f"{kind}: {value}"


def split_identifier(value: str) -> tuple[str | None, str]:
    """``("lccn", "99042030")`` from ``lccn: 99042030``; ``("uri", ...)`` for a URI; else no type."""
    if _URI.match(value):
        return "uri", value
    typed = _TYPED_IDENTIFIER.match(value)
    if typed and " ".join(typed[1].lower().split()) in IDENTIFIER_TYPES:
        return " ".join(typed[1].lower().split()), typed[2]
    return None, value


def _origin_dates(root: etree._Element) -> list[str]:
    """DC dates: the key date first, then machine-readable dates, then transcribed ones.

    A harvester can sort on "1999" but not on "c1999" or "1998-]"; the transcribed form stays too.
    A ``point="start"``/``"end"`` pair is one interval, ``start/end`` (an open end ``9999`` as ``..``).
    """
    dates: list[tuple[int, str]] = []
    for info in mx.children(root, "originInfo"):
        elements = list(mx.children(info, *mx.ORIGIN_DATES))
        for date in elements:
            if date.get("point") == "end":
                continue
            value = mx.text_of(date)
            if date.get("point") == "start":
                end = next(
                    (
                        e
                        for e in elements
                        if e.tag == date.tag and e.get("point") == "end" and e.get("encoding") == date.get("encoding")
                    ),
                    None,
                )
                end_value = mx.text_of(end) if end is not None else ""
                if end_value:
                    value = f"{value}/{'..' if end_value == '9999' else end_value}"
            rank = 0 if date.get("keyDate") == "yes" else 1 if date.get("encoding") in _DATE_ENCODINGS else 2
            dates.append((rank, value))
    return [value for _, value in sorted(dates, key=lambda d: d[0])]


def _subject_values(subject: etree._Element) -> tuple[str, list[str]]:
    """One LCSH-style heading per <subject> (its terms joined with "--"), and coverage.

    Geographic and temporal terms are also coverage (LoC's mapping); a subject made of nothing
    else is coverage only, so that DC coverage comes back from MODS as coverage.
    """
    coverage = [mx.text_of(p) for p in mx.children(subject, *_COVERAGE_PARTS)]
    parts = list(mx.children(subject, *_SUBJECT_PARTS))
    if all(etree.QName(p).localname in _COVERAGE_PARTS for p in parts):
        parts = []
    terms: list[str] = []
    for part in parts:
        local = etree.QName(part).localname
        if local == "name":
            terms.append(mx.format_name(part))
        elif local == "titleInfo":
            terms.append(mx.format_title(part))
        else:
            terms.append(mx.text_of(part))
    coverage += [
        "--".join(mx.text_of(p) for p in place if isinstance(p.tag, str) and mx.text_of(p))
        for place in mx.children(subject, "hierarchicalGeographic")
    ]
    for carto in mx.children(subject, "cartographics"):
        coverage += [mx.text_of(c) for c in mx.children(carto, "coordinates")]
    return "--".join(t for t in terms if t), coverage


def _related_values(related: etree._Element) -> list[str]:
    values = [mx.format_title(t) for t in mx.children(related, "titleInfo")]
    values += [mx.text_of(i) for i in mx.children(related, "identifier")]
    for location in mx.children(related, "location"):
        values += [mx.text_of(u) for u in mx.children(location, "url")]
    values.append(related.get(q(XLINK, "href"), ""))
    return values


def dc_to_mods(dc: Mapping[str, Sequence[str]]) -> bytes:
    """A MODS 3.8 record (valid against the schema) holding the DC values."""
    values = canonical(dc)
    root = element(q(MODS, "mods"), {None: MODS, "xlink": XLINK, "xsi": XSI}, version="3.8")
    root.set(q(XSI, "schemaLocation"), f"{MODS} {MODS_SCHEMA_LOCATION}")

    def mods(parent: etree._Element, local: str, text: str | None = None, **attrib: str) -> etree._Element:
        return sub(parent, q(MODS, local), text, **attrib)

    for index, title in enumerate(values["title"]):
        info = mods(root, "titleInfo", **({} if index == 0 else {"type": "alternative"}))
        mods(info, "title", title)
    for role, names in (("creator", values["creator"]), ("contributor", values["contributor"])):
        for person in names:
            name = mods(root, "name")
            mods(name, "namePart", person)
            mods(mods(name, "role"), "roleTerm", role, type="text", authority="marcrelator")
    for dc_type in values["type"]:
        dcmi = _DCMI_BY_LOWER.get(dc_type.replace(" ", "").lower())  # "text", "Still Image" are DCMI too
        if dcmi in _MODS_TYPE_FOR_DCMI:
            mods(root, "typeOfResource", _MODS_TYPE_FOR_DCMI[dcmi])
        elif dcmi is not None:
            mods(root, "genre", dcmi, authority="dct")
        else:
            mods(root, "genre", dc_type)
    if values["publisher"] or values["date"]:
        origin = mods(root, "originInfo")
        for publisher in values["publisher"]:
            mods(origin, "publisher", publisher)
        for index, date in enumerate(values["date"]):
            attrib = {"encoding": "w3cdtf"} if _W3CDTF.match(date) else {}
            mods(origin, "dateIssued", date, **attrib, **({"keyDate": "yes"} if index == 0 else {}))
    for language in values["language"]:
        term = mods(mods(root, "language"), "languageTerm", language, type="code")
        if _ISO639_2.match(language):
            term.set("authority", "iso639-2b")
        elif _BCP47.match(language):
            term.set("authority", "rfc5646")
        else:
            term.set("type", "text")  # a language name, e.g. "English"
    if values["format"]:
        physical = mods(root, "physicalDescription")
        for fmt in values["format"]:
            if _MEDIA_TYPE.match(fmt):
                mods(physical, "internetMediaType", fmt)
            else:  # "322 p. ; 23 cm" is an extent, "print" or "oil on canvas" a form
                mods(physical, "extent" if fmt[:1].isdigit() else "form", fmt)
    for description in values["description"]:
        mods(root, "abstract", description)
    for subject in values["subject"]:
        mods(mods(root, "subject"), "topic", subject)
    for coverage in values["coverage"]:
        mods(mods(root, "subject"), "temporal" if _DATE_LIKE.match(coverage) else "geographic", coverage)
    for identifier in values["identifier"]:
        kind, value = split_identifier(identifier)
        mods(root, "identifier", value, **({"type": kind} if kind else {}))
    for kind, related_values in (("original", values["source"]), ("", values["relation"])):
        for value in related_values:
            related = mods(root, "relatedItem", **({"type": kind} if kind else {}))
            if _URI.match(value):
                mods(related, "identifier", value, type="uri")
            else:
                mods(mods(related, "titleInfo"), "title", value)
    for statement in values["rights"]:
        condition = mods(root, "accessCondition", statement, type="use and reproduction")
        if _URI.match(statement):
            condition.set(q(XLINK, "href"), statement)
    return to_bytes(root)
