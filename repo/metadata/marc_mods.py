"""MARC 21 -> MODS 3.8, after the Library of Congress MARC-to-MODS mapping (see CROSSWALK.md).

Only the fields a digital collection uses are mapped: leader and 008 (type, issuance, dates,
place, language, form), 010/020/022/024/035 identifiers, 041, 050/082/084, 1XX/7XX names with
relators, 130/240/245/246/730 titles, 250, 260/264, 300, 336-338, 490/830, 5XX notes, 6XX
subjects with their subdivisions, 856, and the record's own source and dates. Trailing ISBD
punctuation is removed as LoC's stylesheet does (``Escape from loneliness /`` is a title).
"""

from __future__ import annotations

import re

from lxml import etree

from repo.metadata.marc import DataField, MarcRecord
from repo.metadata.namespaces import MODS, MODS_SCHEMA_LOCATION, XLINK, XSI, q
from repo.metadata.xml_build import element, to_bytes

# leader/06 -> typeOfResource
_RESOURCE_TYPES = {
    "a": "text", "t": "text", "e": "cartographic", "f": "cartographic", "c": "notated music",
    "d": "notated music", "i": "sound recording-nonmusical", "j": "sound recording-musical",
    "k": "still image", "g": "moving image", "r": "three dimensional object", "m": "software, multimedia",
    "o": "mixed material", "p": "mixed material",
}  # fmt: skip
# leader/07 -> issuance
_ISSUANCE = {"a": "monographic", "b": "continuing", "c": "monographic", "d": "monographic",
             "i": "integrating resource", "m": "monographic", "s": "serial"}  # fmt: skip
# 6XX second indicator -> subject authority (7: the code in $2)
_SUBJECT_AUTHORITIES = {"0": "lcsh", "1": "lcshac", "2": "mesh", "3": "nal", "5": "csh", "6": "rvm"}
# 008/23 (29 for maps and visual materials): form of item -> MODS form (authority marcform)
_FORMS = {" ": "print", "r": "print", "a": "microfilm", "b": "microfiche", "c": "microopaque",
          "d": "large print", "f": "braille", "o": "electronic", "q": "electronic", "s": "electronic"}  # fmt: skip
_NAME_TYPES = {"00": "personal", "10": "corporate", "11": "conference"}
# 024 first indicator -> identifier type
_STANDARD_NUMBERS = {"0": "isrc", "1": "upc", "2": "ismn", "3": "ean", "4": "sici"}
# Date types of 008/06 whose Date 1 and Date 2 are the start and end of a range.
_RANGES = frozenset("cdikmu")
_TRAILING = re.compile(r"[\s/:;,=]+$|(?<![A-Z]\.)(?<!\b[A-Za-z])(?<!\.\.)\.$")
_OCLC = re.compile(r"^(?:\(OCoLC\)|ocm|ocn|on)\s*(\S+)$")


def chop(value: str) -> str:
    """A MARC value without its ISBD punctuation: "loneliness /" -> "loneliness", "Paul." -> "Paul".

    A full stop after an initial or abbreviation ("Gilmour, John S.", "ed.") stays.
    """
    value = " ".join(value.split())
    previous = None
    while previous != value:
        previous, value = value, _TRAILING.sub("", value).strip()
    return value


def marc_to_mods(record: MarcRecord) -> bytes:
    """A MODS 3.8 record of ``record``."""
    root = element(q(MODS, "mods"), {None: MODS, "xlink": XLINK, "xsi": XSI}, version="3.8")
    root.set(q(XSI, "schemaLocation"), f"{MODS} {MODS_SCHEMA_LOCATION}")
    _titles(root, record)
    _names(root, record)
    _resource_type(root, record)
    _origin(root, record)
    _languages(root, record)
    _physical(root, record)
    _notes(root, record)
    _subjects(root, record)
    _classification_and_identifiers(root, record)
    _series_and_links(root, record)
    _record_info(root, record)
    return to_bytes(root)


def _add(parent: etree._Element, local: str, text: str | None = None, **attrib: str) -> etree._Element:
    child: etree._Element = etree.SubElement(parent, q(MODS, local), {k: v for k, v in attrib.items() if v})
    if text is not None:
        child.text = text
    return child


def _authority(field: DataField, indicator: str) -> str:
    return field.first("2") if indicator == "7" else _SUBJECT_AUTHORITIES.get(indicator, "")


# --- titles and names ---


def _title_info(parent: etree._Element, field: DataField, non_filing: str = "0", **attrib: str) -> None:
    main = chop(field.first("a"))
    if not main:
        return
    info = _add(parent, "titleInfo", **attrib)
    skip = int(non_filing) if non_filing.isdigit() else 0
    if 0 < skip < len(main):
        _add(info, "nonSort", main[:skip])
        main = main[skip:]
    if field.tag in ("130", "240", "730"):  # a uniform title is one string, its language and date in it
        main = ". ".join(chop(v) for v in [main, *field.values("dfklmors")] if chop(v))
    _add(info, "title", main)
    if field.tag in ("245", "246"):
        for subtitle in field.values("b"):
            if chop(subtitle):
                _add(info, "subTitle", chop(subtitle))
    for code, value in field.subfields:
        if code in "np" and chop(value):
            _add(info, "partNumber" if code == "n" else "partName", chop(value))


def _titles(root: etree._Element, record: MarcRecord) -> None:
    for field in record.all("245"):
        _title_info(root, field, field.ind2)
    for field in record.all("130", "240", "730"):  # non-filing characters: ind2 of 240, ind1 of 130 and 730
        _title_info(root, field, field.ind2 if field.tag == "240" else field.ind1, type="uniform")
    for field in record.all("246"):
        _title_info(root, field, type="translated" if field.ind2 == "1" else "alternative")


def _names(root: etree._Element, record: MarcRecord) -> None:
    for field in record.all("100", "110", "111", "700", "710", "711"):
        if field.tag.startswith("7") and field.first("t"):
            continue  # a name/title added entry is a related work, not a contributor
        kind = _NAME_TYPES[field.tag[1:]]
        name = _add(root, "name", type=kind, usage="primary" if field.tag.startswith("1") else "")
        if kind == "personal":
            _add(name, "namePart", chop(" ".join(field.values("aq"))))
            for terms in field.values("bc"):
                _add(name, "namePart", chop(terms), type="termsOfAddress")
            for dates in field.values("d"):
                _add(name, "namePart", chop(dates), type="date")
        else:
            for part in field.values("abcdn" if kind == "conference" else "ab"):
                if chop(part):
                    _add(name, "namePart", chop(part))
        relator_terms = field.values("j" if kind == "conference" else "e")
        for term in relator_terms:
            _add(_add(name, "role"), "roleTerm", chop(term), type="text", authority="marcrelator")
        for code in field.values("4"):
            _add(_add(name, "role"), "roleTerm", chop(code), type="code", authority="marcrelator")
        for uri in field.values("0"):
            if uri.startswith("http"):
                name.set("valueURI", uri)


# --- what it is, when and where it came about ---


def _resource_type(root: etree._Element, record: MarcRecord) -> None:
    leader = record.leader
    value = _RESOURCE_TYPES.get(leader[6])
    if value:
        resource = _add(root, "typeOfResource", value)
        if (leader[7] in "cs" and leader[6] == "p") or leader[7] == "c":
            resource.set("collection", "yes")
        if leader[6] in "dft":
            resource.set("manuscript", "yes")
    for field in record.all("655"):
        term = chop(" ".join(field.values("abvxyz")))
        if term:
            _add(root, "genre", term, authority=_authority(field, field.ind2))
    for field in record.all("336"):
        for term in field.values("a"):
            _add(root, "genre", chop(term), authority=field.first("2") or "rdacontent")


def _origin(root: etree._Element, record: MarcRecord) -> None:
    info = _add(root, "originInfo")
    fixed = record.field_008()
    country = fixed[15:18].strip(" |")
    if country and country != "xx" and record.control.get("008"):  # xx: no place
        _add(_add(info, "place"), "placeTerm", country, type="code", authority="marccountry")
    unpublished = record.leader[6] in "dfkt" or (record.leader[7] == "c" and record.leader[6] == "p")
    date_element = "dateCreated" if unpublished else "dateIssued"
    date_type, date1, date2 = fixed[6], fixed[7:11].strip(" |"), fixed[11:15].strip(" |")
    # "uuuu" is no date at all; a single "9999" is a placeholder some vendors write for "unknown".
    if record.control.get("008") and date1.isalnum() and date1 != "uuuu" and (date1 != "9999" or date_type in _RANGES):
        if date_type in _RANGES and date2 and date2.isalnum():
            _add(info, date_element, date1, encoding="marc", point="start", keyDate="yes")
            _add(info, date_element, date2, encoding="marc", point="end")
        elif date_type == "e" and fixed[11:15].strip().isdigit():  # a detailed date: year, then MMDD
            detail = fixed[11:15]
            _add(info, date_element, f"{date1}-{detail[:2]}-{detail[2:]}", encoding="w3cdtf", keyDate="yes")
        else:
            _add(info, date_element, date1, encoding="marc", keyDate="yes")
    for field in record.all("260", "264"):
        for place in field.values("a"):
            if chop(place).strip("[]"):
                _add(_add(info, "place"), "placeTerm", chop(place).strip("[]"), type="text")
        for publisher in field.values("b"):
            _add(info, "publisher", chop(publisher))
        kind = "copyrightDate" if field.tag == "264" and field.ind2 == "4" else date_element
        for date in field.values("c"):
            if chop(date):
                _add(info, kind, chop(date))
    for field in record.all("250"):
        _add(info, "edition", chop(" ".join(field.values("ab"))))
    if record.leader[7] in _ISSUANCE:
        _add(info, "issuance", _ISSUANCE[record.leader[7]])
    if not len(info):
        root.remove(info)


def _languages(root: etree._Element, record: MarcRecord) -> None:
    codes: list[str] = []
    fixed = record.field_008()[35:38].strip(" |")
    if record.control.get("008") and len(fixed) == 3:
        codes.append(fixed)
    for field in record.all("041"):
        for value in field.values("abdeghjkmn"):
            run = value.strip()
            codes += [run[i : i + 3] for i in range(0, len(run) - len(run) % 3, 3)]  # "engund": packed codes
    for code in dict.fromkeys(c.lower() for c in codes if c.isalpha()):
        _add(_add(root, "language"), "languageTerm", code, type="code", authority="iso639-2b")


def _physical(root: etree._Element, record: MarcRecord) -> None:
    physical = _add(root, "physicalDescription")
    fixed = record.field_008()
    form_position = 29 if record.leader[6] in "egkor" else 23
    if record.control.get("008") and record.leader[6] in "acdegijkmoprt":
        form = _FORMS.get(fixed[form_position])
        if form:
            _add(physical, "form", form, authority="marcform")
    for field in record.all("337", "338"):
        for term in field.values("a"):
            _add(
                physical,
                "form",
                chop(term),
                authority=field.first("2") or ("rdamedia" if field.tag == "337" else "rdacarrier"),
            )
    for field in record.all("856"):
        for media_type in field.values("q"):
            if "/" in media_type:
                _add(physical, "internetMediaType", media_type.strip())
    for field in record.all("300"):
        extent = " ".join(v.strip() for v in field.values("abcefg3") if v.strip())
        if extent:
            _add(physical, "extent", chop(extent) + ("." if extent.rstrip().endswith(".") else ""))
    if not len(physical):
        root.remove(physical)


# --- notes, subjects, numbers ---

_NOTE_TYPES = {
    "501": "with", "502": "thesis", "504": "bibliography", "508": "creation/production credits",
    "511": "performers", "515": "numbering", "518": "venue", "524": "preferred citation",
    "530": "additional physical form", "533": "reproduction", "534": "original version",
    "535": "original location", "536": "funding", "538": "system details", "541": "acquisition",
    "545": "biographical/historical", "546": "language", "561": "ownership", "562": "version identification",
    "581": "publications", "585": "exhibitions",
}  # fmt: skip


def _notes(root: etree._Element, record: MarcRecord) -> None:
    for field in record.all("245"):
        responsibility = chop(field.first("c"))
        if responsibility:
            _add(root, "note", responsibility + ".", type="statement of responsibility")
    for field in record.all("5XX"):
        text = " ".join(v.strip() for code, v in field.subfields if code not in "0123568" and v.strip())
        if not text:
            continue
        if field.tag == "505":
            _add(root, "tableOfContents", text)
        elif field.tag == "520":
            _add(root, "abstract", text)
        elif field.tag == "506":
            _add(root, "accessCondition", text, type="restriction on access")
        elif field.tag == "540":
            condition = _add(root, "accessCondition", text, type="use and reproduction")
            uri = field.first("u")
            if uri:
                condition.set(q(XLINK, "href"), uri.strip())
        elif field.tag == "521":
            _add(root, "targetAudience", text)
        else:
            _add(root, "note", text, type=_NOTE_TYPES.get(field.tag, ""))


# Subdivisions of every 6XX heading: form, general, chronological, geographic.
_SUBDIVISIONS = {"v": "genre", "x": "topic", "y": "temporal", "z": "geographic"}


def _subjects(root: etree._Element, record: MarcRecord) -> None:
    for field in record.all("600", "610", "611", "630", "648", "650", "651", "653", "655"):
        if field.tag == "655":
            continue  # genre/form terms are the record's genre (see _resource_type)
        subject = _add(root, "subject", authority=_authority(field, field.ind2) if field.tag != "653" else "")
        tag = field.tag
        if tag in ("600", "610", "611"):
            kind = _NAME_TYPES[tag[1:]]
            name = _add(subject, "name", type=kind)
            codes = "aq" if kind == "personal" else "abcdn" if kind == "conference" else "ab"
            _add(name, "namePart", chop(" ".join(field.values(codes))))
            if kind == "personal":
                for dates in field.values("d"):
                    _add(name, "namePart", chop(dates), type="date")
            title = chop(" ".join(field.values("t")))
            if title:
                _add(_add(subject, "titleInfo"), "title", title)
        elif tag == "630":
            _add(_add(subject, "titleInfo"), "title", chop(" ".join(field.values("adfklmnoprs"))))
        elif tag == "653":
            for term in field.values("a"):
                _add(subject, "topic", chop(term))
        else:
            main = {"648": "temporal", "650": "topic", "651": "geographic"}[tag]
            heading = chop(" ".join(field.values("abcd") if tag == "650" else field.values("a")))
            if heading:
                _add(subject, main, heading)
        for code, value in field.subfields:
            if code in _SUBDIVISIONS and chop(value):
                _add(subject, _SUBDIVISIONS[code], chop(value))
        for uri in field.values("0"):
            if uri.startswith("http"):
                subject.set("valueURI", uri)
        if not len(subject):
            root.remove(subject)


def _classification_and_identifiers(root: etree._Element, record: MarcRecord) -> None:
    for field in record.all("050"):
        numbers = field.values("a")
        item = " ".join(v.strip() for v in field.values("b"))
        for index, number in enumerate(numbers):
            value = f"{number.strip()} {item}".strip() if index == 0 else number.strip()
            _add(root, "classification", value, authority="lcc")
    for field in record.all("082"):
        for number in field.values("a"):
            _add(root, "classification", number.strip(), authority="ddc", edition=field.first("2").strip())
    for field in record.all("084"):
        for number in field.values("a"):
            _add(root, "classification", " ".join(field.values("a")[:1] + field.values("b")).strip() or number,
                 authority=field.first("2").strip())  # fmt: skip
            break
    for field in record.all("010"):
        for value in field.values("a"):
            _add(root, "identifier", value.strip(), type="lccn")
        for value in field.values("z"):
            _add(root, "identifier", value.strip(), type="lccn", invalid="yes")
    for tag, kind in (("020", "isbn"), ("022", "issn")):
        for field in record.all(tag):
            for value in field.values("a"):
                qualifiers = " ".join(f"({chop(q_)})" for q_ in field.values("q"))
                _add(root, "identifier", f"{value.strip()} {qualifiers}".strip(), type=kind)
            for value in field.values("z" if tag == "020" else "yz"):
                _add(root, "identifier", value.strip(), type=kind, invalid="yes")
    for field in record.all("024"):
        kind = field.first("2") if field.ind1 == "7" else _STANDARD_NUMBERS.get(field.ind1, "")
        for value in field.values("a"):
            _add(root, "identifier", value.strip(), type=kind)
    for field in record.all("035"):
        for value in field.values("a"):
            oclc = _OCLC.match(value.strip())
            if oclc:
                _add(root, "identifier", oclc[1], type="oclc")
    for field in record.all("856"):
        for url in field.values("u"):
            location = _add(root, "location")
            label = field.first("3y").strip()
            _add(location, "url", url.strip(), displayLabel=label, note=field.first("z").strip(),
                 usage="primary display" if field.ind2 == "0" else "")  # fmt: skip


def _series_and_links(root: etree._Element, record: MarcRecord) -> None:
    for field in record.all("490", "830"):
        if field.tag == "490" and field.ind1 == "1" and any(True for _ in record.all("830")):
            continue  # traced: the 830 is the controlled form of the same series
        series = _add(root, "relatedItem", type="series")
        info = _add(series, "titleInfo")
        _add(info, "title", chop(" ".join(field.values("a"))))
        for part in field.values("v"):
            _add(info, "partNumber", chop(part))
        for issn in field.values("x"):
            _add(series, "identifier", issn.strip(), type="issn")


def _record_info(root: etree._Element, record: MarcRecord) -> None:
    info = _add(root, "recordInfo")
    for field in record.all("040"):
        source = field.first("a").strip()
        if source:
            _add(info, "recordContentSource", source, authority="marcorg")
    created = record.field_008()[:6]
    if record.control.get("008") and created.isdigit():
        _add(info, "recordCreationDate", created, encoding="marc")
    if record.control.get("005"):
        _add(info, "recordChangeDate", record.control["005"].strip(), encoding="iso8601")
    if record.control.get("001"):
        _add(info, "recordIdentifier", record.control["001"].strip(), source=record.control.get("003", "").strip())
    _add(info, "recordOrigin", "Converted from MARC 21 to MODS 3.8 by Muniment after the LoC MARC to MODS mapping")
    for field in record.all("040"):
        for language in field.values("b"):
            _add(_add(info, "languageOfCataloging"), "languageTerm", language.strip(), type="code",
                 authority="iso639-2b")  # fmt: skip
