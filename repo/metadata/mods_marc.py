"""MODS -> MARCXML, for items that came without a MARC record (LoC's MODS-to-MARC mapping, in part).

What is made is a minimal level record (leader/17 ``7``) a harvester can load: leader type and
issuance, 008 with date and language, 010/020/022/024 and 856 from identifiers and URLs,
041, 050/082/084, 1XX/7XX names with relators, 245/246, 250, 264, 300, 490, 5XX notes, 6XX
subjects with subdivisions, 655 genres. Everything is the MODS as written; see CROSSWALK.md.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from repo.metadata import mods as mx
from repo.metadata.marc import marc_sub
from repo.metadata.namespaces import MARC, MARC_SCHEMA_LOCATION, XLINK, XSI, q
from repo.metadata.xml_build import element, to_bytes

_LEADER_TYPES = {
    "text": "a", "cartographic": "e", "notated music": "c", "sound recording-nonmusical": "i",
    "sound recording-musical": "j", "sound recording": "j", "still image": "k", "moving image": "g",
    "three dimensional object": "r", "software, multimedia": "m", "mixed material": "p",
}  # fmt: skip
_ISSUANCE = {
    "monographic": "m",
    "single unit": "m",
    "serial": "s",
    "continuing": "s",
    "integrating resource": "i",
    "multipart monograph": "m",
}
_AUTHORITY_INDICATOR = {"lcsh": "0", "lcshac": "1", "mesh": "2", "nal": "3", "csh": "5", "rvm": "6"}
_NAME_TAGS = {"personal": "00", "corporate": "10", "conference": "11", "family": "00"}
_SUBJECT_CODES = {"topic": "x", "temporal": "y", "geographic": "z", "genre": "v"}
_SUBJECT_TAGS = {"topic": "650", "geographic": "651", "temporal": "648", "genre": "655"}
_IDENTIFIER_TAGS = {
    "lccn": ("010", " ", " "),
    "isbn": ("020", " ", " "),
    "issn": ("022", " ", " "),
    "isrc": ("024", "0", " "),
    "upc": ("024", "1", " "),
    "ismn": ("024", "2", " "),
    "ean": ("024", "3", " "),
    "doi": ("024", "7", " "),
    "hdl": ("024", "7", " "),
}


def mods_to_marcxml(mods_tree: etree._ElementTree | etree._Element) -> bytes:
    """A MARCXML ``record`` (valid against MARC21slim.xsd) of a MODS record."""
    root_mods = mx.mods_root(mods_tree)
    record = element(q(MARC, "record"), {None: MARC, "xsi": XSI})
    record.set(q(XSI, "schemaLocation"), f"{MARC} {MARC_SCHEMA_LOCATION}")
    kind = _LEADER_TYPES.get(mx.text_of(next(mx.children(root_mods, "typeOfResource"), None)), "a")
    issuance = next(
        (mx.text_of(i) for o in mx.children(root_mods, "originInfo") for i in mx.children(o, "issuance")), ""
    )
    leader = f"00000n{kind}{_ISSUANCE.get(issuance, 'm')} a2200000 u 4500"
    marc_sub(record, "leader", leader[:17] + "7" + leader[18:], {})
    fields: list[tuple[str, str, str, list[tuple[str, str]]]] = []
    years = mx.key_years(root_mods)
    year = f"{years.start:04d}" if years is not None and 0 <= years.start <= 9999 else "    "
    languages = [
        mx.text_of(t)
        for lang in mx.children(root_mods, "language")
        for t in mx.children(lang, "languageTerm")
        if t.get("type") == "code" and t.get("authority") in ("iso639-2b", None) and len(mx.text_of(t)) == 3
    ]
    # 008: date entered unknown, date type s (single) or n (unknown), no place (xx), language, source d
    fixed = f"{'':6}{'s' if year.strip() else 'n'}{year}{'':4}xx {'':17}{(languages or ['   '])[0]} d"
    marc_sub(record, "controlfield", fixed.ljust(40), {"tag": "008"})

    def add(tag: str, ind1: str, ind2: str, subfields: list[tuple[str, str]]) -> None:
        kept = [(c, v) for c, v in subfields if v]
        if kept:
            fields.append((tag, ind1, ind2, kept))

    for identifier in mx.children(root_mods, "identifier"):
        kind_ = identifier.get("type", "")
        value = mx.text_of(identifier)
        if kind_ in _IDENTIFIER_TAGS:
            tag, ind1, ind2 = _IDENTIFIER_TAGS[kind_]
            code = "z" if identifier.get("invalid") == "yes" else "a"
            add(tag, ind1, ind2, [(code, value), ("2", kind_ if tag == "024" and ind1 == "7" else "")])
        elif kind_ == "oclc":
            add("035", " ", " ", [("a", f"(OCoLC){value}")])
        elif kind_ == "uri" or value.startswith(("http://", "https://")):
            add("856", "4", " ", [("u", value)])
    if len(languages) > 1:
        add("041", "0", " ", [("a", code) for code in languages])
    for classification in mx.children(root_mods, "classification"):
        authority = classification.get("authority", "")
        tag = {"lcc": "050", "ddc": "082"}.get(authority, "084")
        add(
            tag,
            " " if tag == "084" else "0" if tag == "082" else " ",
            "4",
            [
                ("a", mx.text_of(classification)),
                ("2", authority if tag == "084" else classification.get("edition", "")),
            ],
        )
    names = list(mx.children(root_mods, "name"))
    main = next((n for n in names if n.get("usage") == "primary"), None)
    if main is None:
        main = next((n for n in names if mx.is_creator(n)), None)
    for name in names:
        suffix = _NAME_TAGS.get(name.get("type", ""), "00")
        tag = ("1" if name is main else "7") + suffix
        ind1 = "1" if suffix == "00" and "," in mx.format_name(name) else "0" if suffix == "00" else "2"
        roles = [(("4" if t.get("type") == "code" else "e"), mx.text_of(t)) for t in name.iter(q(mx.MODS, "roleTerm"))]
        add(tag, ind1, " ", [("a", mx.format_name(name)), *roles])
    for index, info in enumerate(mx.children(root_mods, "titleInfo")):
        non_sort = mx.text_of(info.find(mx.m("nonSort")))
        title = " ".join(mx.text_of(t) for t in mx.children(info, "title"))
        subtitles = [mx.text_of(s) for s in mx.children(info, "subTitle")]
        parts = [
            ("n" if etree.QName(p).localname == "partNumber" else "p", mx.text_of(p))
            for p in mx.children(info, "partNumber", "partName")
        ]
        if index == 0 and not info.get("type"):
            joined = f"{non_sort} {title}".strip() if non_sort and not non_sort.endswith("'") else non_sort + title
            skip = str(min(9, len(joined) - len(title))) if non_sort else "0"
            add("245", "1" if main is not None else "0", skip, [("a", joined), *[("b", s) for s in subtitles], *parts])
        else:
            add(
                "246",
                "3",
                "1" if info.get("type") == "translated" else " ",
                [("a", title), *[("b", s) for s in subtitles]],
            )
    for origin in mx.children(root_mods, "originInfo"):
        add("250", " ", " ", [("a", mx.text_of(e)) for e in mx.children(origin, "edition")])
        places = [
            mx.text_of(t)
            for p in mx.children(origin, "place")
            for t in mx.children(p, "placeTerm")
            if t.get("type") != "code"
        ]
        published = [
            *[("a", p) for p in places],
            *[("b", mx.text_of(p)) for p in mx.children(origin, "publisher")],
            *[
                ("c", mx.text_of(d))
                for d in mx.children(origin, *mx.ORIGIN_DATES)
                if d.get("encoding") != "marc" and d.get("point") != "end"
            ],
        ]
        if published:
            add("264", " ", "1", published)
    for physical in mx.children(root_mods, "physicalDescription"):
        for extent in mx.children(physical, "extent"):
            add("300", " ", " ", [("a", mx.text_of(extent))])
    for related in mx.children(root_mods, "relatedItem"):
        if related.get("type") == "series":
            for info in mx.children(related, "titleInfo"):
                add("490", "0", " ", [("a", mx.format_title(info))])
    for note in mx.children(root_mods, "note", "tableOfContents", "abstract", "accessCondition"):
        local = etree.QName(note).localname
        tag = {"tableOfContents": "505", "abstract": "520"}.get(local, "500")
        if local == "note" and note.get("type") == "statement of responsibility":
            continue
        if local == "accessCondition":
            tag = "506" if note.get("type") == "restriction on access" else "540"
            add(tag, " ", " ", [("a", mx.text_of(note)), ("u", note.get(q(XLINK, "href"), ""))])
        else:
            add(tag, "0" if tag == "505" else " ", " ", [("a", mx.text_of(note))])
    for subject in mx.children(root_mods, "subject"):
        _subject(subject, add)
    for genre in mx.children(root_mods, "genre"):
        authority = genre.get("authority", "")
        add(
            "655",
            " ",
            _AUTHORITY_INDICATOR.get(authority, "7" if authority else "4"),
            [("a", mx.text_of(genre)), ("2", authority if authority not in _AUTHORITY_INDICATOR else "")],
        )
    for location in mx.children(root_mods, "location"):
        for url in (u for u in mx.children(location, "url") if u.get("access") != "preview"):
            add("856", "4", " ", [("u", mx.text_of(url)), ("3", url.get("displayLabel", ""))])
    for tag, ind1, ind2, subfields in sorted(fields, key=lambda f: f[0]):  # stable: record order within a tag
        data = marc_sub(record, "datafield", None, {"tag": tag, "ind1": ind1, "ind2": ind2})
        for code, value in subfields:
            marc_sub(data, "subfield", value, {"code": code})
    return to_bytes(record)


def _term(part: etree._Element) -> str:
    local = etree.QName(part).localname
    return (
        mx.format_title(part) if local == "titleInfo" else mx.format_name(part) if local == "name" else mx.text_of(part)
    )


def _subject(subject: etree._Element, add: Callable[[str, str, str, list[tuple[str, str]]], None]) -> None:
    parts = [p for p in subject if isinstance(p.tag, str) and etree.QName(p).namespace == mx.MODS]
    terms = [p for p in parts if etree.QName(p).localname in (*_SUBJECT_CODES, "name", "titleInfo")]
    if not terms:
        return
    authority = subject.get("authority", "")
    ind2 = _AUTHORITY_INDICATOR.get(authority, "7" if authority else "4")
    first, rest = terms[0], terms[1:]
    local = etree.QName(first).localname
    if local == "name":
        tag = "6" + _NAME_TAGS.get(first.get("type", ""), "00")
        heading = [("a", mx.format_name(first))]
    elif local == "titleInfo":
        tag, heading = "630", [("a", mx.format_title(first))]
    else:
        tag, heading = _SUBJECT_TAGS[local], [("a", mx.text_of(first))]
    subdivisions = [(_SUBJECT_CODES.get(etree.QName(p).localname, "x"), _term(p)) for p in rest]
    source = [("2", authority)] if ind2 == "7" else []
    add(tag, "1" if tag == "600" else " ", ind2, [*heading, *subdivisions, *source])


__all__ = ["mods_to_marcxml"]
