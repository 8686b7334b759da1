"""Dublin Core edits applied to the record an item came with, so that its MARC, MODS and DC never
disagree (the editor's form, a bulk CSV import; the API's ``dc`` is a whole new record).

An item whose MODS says nothing its DC does not (it came as DC, CSV or JSON) gets a new record
made from the new DC, as at ingest. An item that came as MODS or MARC keeps that record as its
source: an edited element is written into it where there is a mapping, and the MODS and DC are
made from the edited source again; an element with no mapping is refused, naming the element and
why, rather than edited in the DC alone (the next crosswalk would undo it) or written by dropping
the source (a cataloger's MARC lost to a one-word fix). Mapped: MARC's title (245 $a); MODS's
title (the main ``titleInfo``), type, description, subject, identifier, language, rights, publisher
and date. See CROSSWALK.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from copy import deepcopy
from datetime import UTC, datetime

from lxml import etree

from repo.metadata import mods as mx
from repo.metadata.crosswalk import dc_to_mods
from repo.metadata.dublin_core import ELEMENTS, canonical
from repo.metadata.errors import MetadataError, Problem
from repo.metadata.loader import record_from_bytes, record_from_dc_fields
from repo.metadata.namespaces import MARC, MODS, q
from repo.metadata.record import MetadataRecord
from repo.metadata.safe_xml import parse_xml
from repo.metadata.xml_build import to_bytes

# 245 subfields that make the DC title (MARC-to-MODS: $a title, $b subTitle, $n/$p part); $c
# (statement of responsibility), $h (medium) and linkage stay.
_MARC_TITLE_CODES = frozenset("abfgknps")
_MODS_TITLE_PARTS = ("nonSort", "title", "subTitle", "partNumber", "partName")
# The MODS elements each DC element is made from (crosswalk.mods_to_dc), where they make nothing
# else: replaced as a whole by an edit. Names (creator and contributor from one list, with roles),
# coverage (from subjects), format, source and relation (related items) are not mapped.
_MODS_TOP = {
    "type": ("typeOfResource", "genre"),
    "description": ("abstract", "tableOfContents", "note"),
    "subject": ("subject", "classification"),
    "identifier": ("identifier",),
    "language": ("language",),
    "rights": ("accessCondition",),
}
_MODS_ORIGIN = {  # inside originInfo
    "publisher": ("publisher",),
    "date": ("dateIssued", "dateCreated", "dateCaptured", "copyrightDate", "dateOther"),
}


def source_kind(record: MetadataRecord) -> str:
    """``marc``, ``mods`` or ``dc``: which of the item's records the others are made from."""
    if record.marc_xml is not None:
        return "marc"
    return "dc" if record.mods_xml == dc_to_mods(record.dc) else "mods"


def changed_fields(old: Mapping[str, Sequence[str]], new: Mapping[str, Sequence[str]]) -> list[str]:
    before, after = canonical(old), canonical(new)
    return [name for name in ELEMENTS if before[name] != after[name]]


def apply_dc(stored: MetadataRecord, dc: Mapping[str, Sequence[str]], filename: str) -> MetadataRecord:
    """The record ``stored`` becomes when its DC is edited to ``dc``; ``MetadataError`` naming each
    element that cannot be edited in the item's source record."""
    kind = source_kind(stored)
    changed = changed_fields(stored.dc, dc)
    if not changed:
        return stored
    if kind == "dc":
        return record_from_dc_fields(dc, filename, separator=None)
    wanted = canonical(dc)
    mapped = ("title",) if kind == "marc" else ("title", *_MODS_TOP, *_MODS_ORIGIN)
    refused = [
        name for name in changed if name not in mapped or (name == "title" and wanted[name][1:] != stored.dc[name][1:])
    ]
    if refused:
        raise MetadataError(Problem(filename, _refusal(name, kind)) for name in refused)
    if not wanted["title"]:
        raise MetadataError.single(filename, "no title: every record needs a Dublin Core title")
    if kind == "marc":
        assert stored.marc_xml is not None
        source = _marc_with_title(stored.marc_xml, wanted["title"][0])
    else:
        source = _mods_with(stored.mods_xml, {name: wanted[name] for name in changed})
    record = record_from_bytes(source, filename, suffix=".xml")
    # Made again from the edited source, every element must read as asked (the crosswalk may
    # normalize a value, MARC's ending punctuation; a MODS subject may also be coverage).
    differ = [name for name in ELEMENTS if record.dc[name] != wanted[name]]
    if differ:
        raise MetadataError(
            Problem(
                filename,
                f"{name}: the {kind.upper()} record would read {_shown(record.dc[name])}, not {_shown(wanted[name])}",
            )
            for name in differ
        )
    return record


def _shown(values: tuple[str, ...]) -> str:
    return " | ".join(repr(v) for v in values) or "(none)"


def _refusal(name: str, kind: str) -> str:
    what = "only the first (main) title" if name == "title" else f"{name!r}"
    return (
        f"{name}: the item's record is {kind.upper()}, and {what} has no mapping into {kind.upper()} to edit it by; "
        f"edit the {kind.upper()} record itself (the editor's XML, or `muniment edit ITEM --metadata FILE`)"
    )


def _marc_with_title(marc_xml: bytes, title: str) -> bytes:
    root = parse_xml(marc_xml, "marc.xml").getroot()
    record = root if root.tag == q(MARC, "record") else root.find(q(MARC, "record"))
    assert record is not None  # the stored MARC was read at ingest
    field = next((d for d in record.iterfind(q(MARC, "datafield")) if d.get("tag") == "245"), None)
    if field is None:
        field = etree.SubElement(record, q(MARC, "datafield"), tag="245", ind1="0", ind2="0")
    for sub in [s for s in field if s.get("code") in _MARC_TITLE_CODES]:
        field.remove(sub)
    field.set("ind2", "0")  # no leading article to skip in the new title
    has_responsibility = any(s.get("code") == "c" for s in field)
    subfield = etree.Element(q(MARC, "subfield"), code="a")
    subfield.text = f"{title} /" if has_responsibility else title  # ISBD: "$a Title / $c by ..."
    field.insert(0, subfield)
    latest = next((c for c in record.iterfind(q(MARC, "controlfield")) if c.get("tag") == "005"), None)
    if latest is not None:  # the date and time of the latest transaction
        latest.text = datetime.now(UTC).strftime("%Y%m%d%H%M%S.0")
    return to_bytes(root)


def _mods_with(mods_xml: bytes, changes: Mapping[str, tuple[str, ...]]) -> bytes:
    """The MODS record with the elements each changed DC element is made from replaced by what
    the DC-to-MODS crosswalk writes for the new values."""
    root = parse_xml(mods_xml, "mods.xml").getroot()
    mods = root if root.tag == q(MODS, "mods") else root.find(q(MODS, "mods"))
    assert mods is not None
    written = mx.mods_root(parse_xml(dc_to_mods({"title": ["-"], **changes}), "mods.xml"))
    for name, values in changes.items():
        if name == "title":
            _replace_title(mods, values[0])
        elif name in _MODS_TOP:
            _replace(mods, written, _MODS_TOP[name])
        else:
            infos = mods.findall(q(MODS, "originInfo"))
            for info in infos:
                _replace(info, None, _MODS_ORIGIN[name])
            target = infos[0] if infos else etree.SubElement(mods, q(MODS, "originInfo"))
            for info in written.findall(q(MODS, "originInfo")):
                _replace(target, info, _MODS_ORIGIN[name])
    for info in mods.findall(q(MODS, "originInfo")):
        if len(info) == 0:
            mods.remove(info)
    return to_bytes(root)


def _replace(parent: etree._Element, source: etree._Element | None, names: tuple[str, ...]) -> None:
    """``parent``'s children named ``names`` removed, then ``source``'s of those names appended."""
    for child in [c for c in parent if isinstance(c.tag, str) and etree.QName(c).localname in names]:
        parent.remove(child)
    for child in source if source is not None else ():
        if isinstance(child.tag, str) and etree.QName(child).localname in names:
            parent.append(deepcopy(child))


def _replace_title(mods: etree._Element, title: str) -> None:
    infos = mods.findall(q(MODS, "titleInfo"))
    info = next((i for i in infos if i.get("type") is None), infos[0] if infos else None)
    if info is None:
        info = etree.Element(q(MODS, "titleInfo"))
        mods.insert(0, info)
    for part in [c for c in info if etree.QName(c).localname in _MODS_TITLE_PARTS]:
        info.remove(part)
    etree.SubElement(info, q(MODS, "title")).text = title
