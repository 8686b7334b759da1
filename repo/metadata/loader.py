"""Reading one item's metadata file, in any accepted format, into a ``MetadataRecord``.

Accepted formats, recognized by content first and file extension second:

- **MODS 3.x XML**: root ``mods`` in ``http://www.loc.gov/mods/v3``, or a ``modsCollection``
  holding exactly one ``mods``. Validated against MODS 3.8 (which accepts 3.0-3.8 records).
- **oai_dc XML**: root ``oai_dc:dc``. Validated against ``oai_dc.xsd``.
- **Simple DC XML**: DCMI's container ``<simpledc>`` (no namespace), or any other root
  element (``<metadata>``, ``<record>``, ``<dc>``...) whose children are DC 1.1 elements
  (``http://purl.org/dc/elements/1.1/``). Validated against DCMI's ``simpledc.xsd``, the
  root being read as ``simpledc``: it may hold only DC elements, without attributes.
- **CSV** (UTF-8): either a header row of DC element names and exactly one data row, or two
  columns ``element,value`` with one row per value (the header row ``element,value`` is
  optional). Several values in one cell are separated by ``|``.
- **JSON** (UTF-8): an object mapping DC element names to a string or a list of strings.
- **MARC 21**: MARCXML (root ``record``, or a ``collection`` of one, in
  ``http://www.loc.gov/MARC21/slim``; validated against MARC21slim.xsd) or binary ISO 2709
  (``.mrc``; UTF-8 or MARC-8), one record. Kept as MARCXML; MODS made from it after LoC's
  MARC-to-MODS mapping (``marc_mods``), DC from the MODS.

Element names are case-insensitive and may carry a ``dc:`` or ``dc.`` prefix. Every record
needs a title. All problems of a file are collected and raised together in one
``MetadataError`` naming the file.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path

from lxml import etree

from repo.metadata.crosswalk import dc_to_mods, mods_to_dc
from repo.metadata.dublin_core import (
    ELEMENTS,
    clean_value,
    dc_from_xml,
    dc_to_oai_dc_xml,
    element_name,
    oai_dc_from_elements,
)
from repo.metadata.dublin_core import has_forbidden_characters as _bad_chars
from repo.metadata.errors import MetadataError, Problem
from repo.metadata.languages import language_tag
from repo.metadata.marc import is_binary_marc, read_marc
from repo.metadata.marc_mods import marc_to_mods
from repo.metadata.namespaces import DC, MARC, MODS, OAI_DC, q
from repo.metadata.record import MetadataRecord
from repo.metadata.rights import rights_problem
from repo.metadata.safe_xml import MAX_DOCUMENT_BYTES, parse_xml
from repo.metadata.schemas import mods_schema, oai_dc_schema, simple_dc_schema, validate
from repo.metadata.xml_build import to_bytes

VALUE_SEPARATOR = "|"
_BINARY_MARC_SUFFIXES = {".mrc", ".marc", ".iso2709"}
_LONG_FORM_HEADERS = {("element", "value"), ("field", "value"), ("name", "value"), ("key", "value")}
_UTF16_OR_32_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")


def load_record(path: Path, *, name: str | None = None, max_bytes: int = MAX_DOCUMENT_BYTES) -> MetadataRecord:
    """Read ``path``; problems name the file as ``name`` (default: the file's name)."""
    filename = name or path.name
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise MetadataError.single(filename, f"file is {size} bytes, more than the limit of {max_bytes}")
        data = path.read_bytes()
    except OSError as exc:
        raise MetadataError.single(filename, f"cannot read the file: {exc.strerror}") from None
    return record_from_bytes(data, filename, suffix=path.suffix, max_bytes=max_bytes)


def record_from_bytes(
    data: bytes, filename: str, *, suffix: str = "", max_bytes: int = MAX_DOCUMENT_BYTES
) -> MetadataRecord:
    """The record in ``data`` (an upload, a file read from a bag); ``suffix`` like ``".csv"``."""
    if len(data) > max_bytes:
        raise MetadataError.single(filename, f"file is {len(data)} bytes, more than the limit of {max_bytes}")
    start = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    suffix = suffix.lower()
    if start == b"<" or data.startswith(_UTF16_OR_32_BOMS) or (suffix == ".xml" and start != b"{"):
        return _from_xml(data, filename, max_bytes)
    if start in (b"{", b"[") or suffix == ".json":
        return _from_json(data, filename)
    if suffix in _BINARY_MARC_SUFFIXES or is_binary_marc(data):
        return _from_marc(data, filename)
    return _from_csv(data, filename)


def record_from_dc_fields(
    fields: Mapping[str, str | Sequence[str]],
    filename: str,
    *,
    ignore: Collection[str] = (),
    separator: str | None = VALUE_SEPARATOR,
) -> MetadataRecord:
    """A record from DC field values, e.g. one row of a batch CSV.

    A string value is split on ``separator`` (``None``: never split); a sequence holds one
    value per item. Keys in ``ignore`` (the batch's own columns, such as a folder name) are
    skipped; any other key that is not a DC element is a problem.
    """
    skipped = {k.strip().lower() for k in ignore}
    pairs: list[tuple[str, str, int | None]] = []
    for key, value in fields.items():
        if key.strip().lower() in skipped:
            continue
        if not isinstance(value, str):
            items = list(value)
        elif separator:
            items = value.split(separator)
        else:
            items = [value]
        pairs.extend((key, item, None) for item in items)
    return _from_pairs(pairs, filename)


def record_from_stored(
    dc_xml: bytes, mods_xml: bytes, filename: str = "metadata", marc_xml: bytes | None = None
) -> MetadataRecord:
    """The record again from the ``dc.xml``, ``mods.xml`` (and ``marc.xml``) Muniment wrote into a bag."""
    tree = parse_xml(dc_xml, f"{filename}/dc.xml")
    found, _ = dc_from_xml(tree.getroot())
    parse_xml(mods_xml, f"{filename}/mods.xml")  # refuse a hostile or broken document early
    if marc_xml is not None:
        parse_xml(marc_xml, f"{filename}/marc.xml")
    return MetadataRecord(
        dc=_as_tuples(found), mods_xml=mods_xml, dc_xml=dc_xml, language=_language(found), marc_xml=marc_xml
    )


# --- XML ---


def _from_xml(data: bytes, filename: str, max_bytes: int) -> MetadataRecord:
    tree = parse_xml(data, filename, max_bytes=max_bytes)
    root = tree.getroot()
    if root.tag in (q(MODS, "mods"), q(MODS, "modsCollection")):
        return _from_mods(tree, data, filename)
    if etree.QName(root).namespace == MARC:
        return _from_marc(data, filename)
    if root.tag == q(OAI_DC, "dc"):
        return _from_dc_xml(tree, filename, oai_dc_schema(), as_received=data)
    if root.tag == "simpledc" or any(etree.QName(c).namespace == DC for c in root if isinstance(c.tag, str)):
        root.tag = "simpledc"  # our own parsed copy: validate it as DCMI's container
        return _from_dc_xml(tree, filename, simple_dc_schema(), as_received=None)
    raise MetadataError.single(
        filename,
        f"unrecognized XML root element {etree.QName(root).text!r}: expected MODS (mods, "
        "modsCollection), oai_dc:dc, or a container of Dublin Core elements",
        root.sourceline,
    )


def _from_mods(tree: etree._ElementTree, data: bytes, filename: str) -> MetadataRecord:
    root = tree.getroot()
    records = [root] if root.tag == q(MODS, "mods") else root.findall(q(MODS, "mods"))
    problems: list[Problem] = []
    if len(records) != 1:
        problems.append(
            Problem(filename, f"modsCollection holds {len(records)} records; one expected", root.sourceline)
        )
    problems += validate(tree, mods_schema(), filename)
    dc = mods_to_dc(records[0]) if records else {}
    problems += _rights_problems(dc, filename)
    if records and not dc.get("title"):
        problems.append(Problem(filename, "no title: the MODS record has no titleInfo/title", records[0].sourceline))
    if problems:
        raise MetadataError(problems)
    # Keep a single record's bytes as received; a collection's record stands alone.
    mods_xml = data if root.tag == q(MODS, "mods") else to_bytes(etree.fromstring(etree.tostring(records[0])))
    return MetadataRecord(dc=_as_tuples(dc), mods_xml=mods_xml, dc_xml=dc_to_oai_dc_xml(dc), language=_language(dc))


def _from_marc(data: bytes, filename: str) -> MetadataRecord:
    marc_xml, marc = read_marc(data, filename)
    mods_xml = marc_to_mods(marc)
    tree = parse_xml(mods_xml, "mods.xml")
    problems = validate(tree, mods_schema(), f"{filename} (as MODS)")
    if problems:  # a crosswalk bug, not the user's: still say what happened
        raise MetadataError(problems)
    dc = mods_to_dc(tree)
    if not dc.get("title"):
        raise MetadataError.single(filename, "no title: the MARC record has no 245 $a")
    if problems := _rights_problems(dc, filename):
        raise MetadataError(problems)
    return MetadataRecord(
        dc=_as_tuples(dc), mods_xml=mods_xml, dc_xml=dc_to_oai_dc_xml(dc), language=_language(dc), marc_xml=marc_xml
    )


def _from_dc_xml(
    tree: etree._ElementTree, filename: str, schema: etree.XMLSchema, *, as_received: bytes | None
) -> MetadataRecord:
    """A DC record kept as submitted: an oai_dc document byte for byte, another container's DC
    elements (their ``xml:lang`` too) moved into an oai_dc document."""
    problems = validate(tree, schema, filename)
    found, _ = dc_from_xml(tree.getroot())
    pairs = [(name, value, None) for name, values in found.items() for value in values]
    dc_xml = as_received if as_received is not None else oai_dc_from_elements(tree.getroot())
    return _from_pairs(pairs, filename, problems, dc_xml=dc_xml)


# --- CSV and JSON ---


def _decode(data: bytes, filename: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MetadataError.single(filename, f"not UTF-8 text (byte {exc.start})") from None


def _from_json(data: bytes, filename: str) -> MetadataRecord:
    try:
        parsed = json.loads(_decode(data, filename))
    except json.JSONDecodeError as exc:
        raise MetadataError.single(filename, f"not valid JSON: {exc.msg}", exc.lineno) from None
    if not isinstance(parsed, dict):
        raise MetadataError.single(filename, "JSON metadata must be an object of DC element -> value(s)")
    problems: list[Problem] = []
    pairs: list[tuple[str, str, int | None]] = []
    for key, value in parsed.items():
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            problems.append(Problem(filename, f"{key!r}: value must be a string or a list of strings"))
            continue
        pairs.extend((key, v, None) for v in values)
    return _from_pairs(pairs, filename, problems)


def _from_csv(data: bytes, filename: str) -> MetadataRecord:
    reader = csv.reader(io.StringIO(_decode(data, filename), newline=""))
    rows: list[tuple[int, list[str]]] = []
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append((reader.line_num, row))
    except csv.Error as exc:
        raise MetadataError.single(filename, f"not valid CSV: {exc}", reader.line_num) from None
    if not rows:
        raise MetadataError.single(filename, "the CSV file is empty")
    labels = [cell.strip() for cell in rows[0][1]]
    if all(element_name(h) for h in labels if h):
        return _from_wide_csv(rows, filename)
    if len(labels) == 2 and (labels[0].lower(), labels[1].lower()) in _LONG_FORM_HEADERS:
        return _from_long_csv(rows[1:], filename)
    # Without a header, the long form is recognized by its first column: mostly DC names.
    named_rows = sum(1 for _, r in rows if r and element_name(r[0]))
    if named_rows * 2 > len(rows) and all(len([c for c in r if c.strip()]) <= 2 for _, r in rows):
        return _from_long_csv(rows, filename)
    return _from_wide_csv(rows, filename)  # reports the unknown column names


def _from_wide_csv(rows: list[tuple[int, list[str]]], filename: str) -> MetadataRecord:
    (header_line, header), data_rows = rows[0], rows[1:]
    problems: list[Problem] = []
    if len(data_rows) != 1:
        problems.append(
            Problem(
                filename,
                f"{len(data_rows)} data rows under the header; a record file has exactly one "
                "(several records go through a batch import)",
            )
        )
    data_line, data = data_rows[0] if data_rows else (header_line, [])
    if len(data) > len(header) and any(c.strip() for c in data[len(header) :]):
        problems.append(Problem(filename, "more cells than header columns", data_line))
    pairs: list[tuple[str, str, int | None]] = []
    for index, key in enumerate(header):
        cell = data[index] if index < len(data) else ""
        if key.strip():
            pairs.extend((key, value, header_line) for value in cell.split(VALUE_SEPARATOR))
        elif cell.strip():
            problems.append(Problem(filename, f"a value in column {index + 1}, which has no name", data_line))
    return _from_pairs(pairs, filename, problems)


def _from_long_csv(rows: list[tuple[int, list[str]]], filename: str) -> MetadataRecord:
    problems: list[Problem] = []
    pairs: list[tuple[str, str, int | None]] = []
    for line, row in rows:
        cells = [c for c in row if c.strip()]
        if len(cells) > 2:
            problems.append(Problem(filename, "expected two cells: element, value", line))
        value = row[1] if len(row) > 1 else ""
        pairs.extend((row[0], v, line) for v in value.split(VALUE_SEPARATOR))
    return _from_pairs(pairs, filename, problems)


# --- shared ---


def _from_pairs(
    pairs: Iterable[tuple[str, str, int | None]],
    filename: str,
    problems: Sequence[Problem] = (),
    *,
    dc_xml: bytes | None = None,
) -> MetadataRecord:
    """Check (element, value, line) triples; build the record or raise every problem."""
    found_problems = list(problems)
    dc: dict[str, list[str]] = {}
    unknown: set[str] = set()
    for key, raw, line in pairs:
        name = element_name(key)
        if name is None:
            if key not in unknown:
                unknown.add(key)
                found_problems.append(
                    Problem(
                        filename,
                        f"unknown Dublin Core element {key.strip()!r} (expected one of: {', '.join(ELEMENTS)})",
                        line,
                    )
                )
            continue
        if _bad_chars(raw):
            found_problems.append(Problem(filename, f"{name}: value has control characters XML cannot hold", line))
            continue
        value = clean_value(raw)
        if name == "rights" and (reason := rights_problem(value)) is not None:
            found_problems.append(Problem(filename, f"rights: {reason}", line))
            continue
        if value:
            dc.setdefault(name, []).append(value)
    if not dc.get("title"):
        found_problems.append(Problem(filename, "no title: every record needs a Dublin Core title"))
    if found_problems:
        raise MetadataError(found_problems)
    mods_xml = dc_to_mods(dc)
    mods_problems = validate(parse_xml(mods_xml, "mods.xml"), mods_schema(), f"{filename} (as MODS)")
    if mods_problems:  # a crosswalk bug, not the user's: still say what happened
        raise MetadataError(mods_problems)
    return MetadataRecord(
        dc=_as_tuples(dc), mods_xml=mods_xml, dc_xml=dc_xml or dc_to_oai_dc_xml(dc), language=_language(dc)
    )


def _rights_problems(dc: Mapping[str, Sequence[str]], filename: str) -> list[Problem]:
    return [Problem(filename, f"rights: {reason}") for v in dc.get("rights", ()) if (reason := rights_problem(v))]


def _as_tuples(dc: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    return {name: tuple(values) for name, values in dc.items()}


def _language(dc: Mapping[str, Sequence[str]]) -> str | None:
    return next((tag for v in dc.get("language", ()) if (tag := language_tag(v)) is not None), None)
