"""MARC 21 records: binary (ISO 2709, UTF-8 or MARC-8) and MARCXML in, MARCXML out.

Binary records are read with pymarc, strictly: a wrong leader, a broken directory or a bad
MARC-8 escape is a problem naming the file and the record, never a silently mangled field.
Every record becomes MARCXML (``http://www.loc.gov/MARC21/slim``) validated against LoC's
MARC21slim.xsd; that document is what the bag keeps (``metadata/marc.xml``) and what the
crosswalks read, through ``MarcRecord``.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

import pymarc
from lxml import etree
from pymarc import marc8_mapping
from pymarc.marc8 import MARC8ToUnicode

from repo.metadata.errors import MetadataError, Problem
from repo.metadata.namespaces import MARC, MARC_SCHEMA_LOCATION, XSI, q
from repo.metadata.safe_xml import parse_xml
from repo.metadata.schemas import marc_schema, validate
from repo.metadata.xml_build import element, sub, to_bytes

_ESC = 0x1B


@dataclass(frozen=True)
class DataField:
    tag: str
    ind1: str
    ind2: str
    subfields: tuple[tuple[str, str], ...]

    def values(self, codes: str) -> list[str]:
        """The values of the subfields whose code is in ``codes``, in field order."""
        return [value for code, value in self.subfields if code in codes]

    def first(self, codes: str) -> str:
        return next(iter(self.values(codes)), "")

    def joined(self, codes: str, separator: str = " ") -> str:
        return separator.join(v.strip() for v in self.values(codes) if v.strip())


class MarcRecord:
    """Read access to one MARCXML ``record`` element: leader, control fields, data fields."""

    def __init__(self, record: etree._Element) -> None:
        self.element = record
        self.leader = (record.findtext(q(MARC, "leader")) or "").ljust(24)
        self.control = {c.get("tag", ""): c.text or "" for c in record.iterfind(q(MARC, "controlfield"))}
        self.fields = [
            DataField(
                d.get("tag", ""),
                d.get("ind1", " "),
                d.get("ind2", " "),
                tuple(
                    (s.get("code", ""), unicodedata.normalize("NFC", s.text or ""))
                    for s in d.iterfind(q(MARC, "subfield"))
                ),
            )
            for d in record.iterfind(q(MARC, "datafield"))
        ]

    def field_008(self) -> str:
        return self.control.get("008", "").ljust(40)

    def all(self, *tags: str) -> Iterator[DataField]:
        """Data fields with one of ``tags`` (``"6XX"`` style wildcards allowed), in record order."""
        for data in self.fields:
            if any(data.tag == t or (t.endswith("XX") and data.tag[:1] == t[:1]) for t in tags):
                yield data


def read_marc(data: bytes, filename: str) -> tuple[bytes, MarcRecord]:
    """The MARCXML of the one record in ``data`` (binary MARC or MARCXML), and that record.

    MARCXML is kept byte for byte when it is a single ``record``; a ``collection`` of one
    record and a binary record are written as a MARCXML ``record`` document.
    """
    if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<":
        return _from_marcxml(data, filename)
    return _from_binary(data, filename)


def is_binary_marc(data: bytes) -> bool:
    """Five digits of record length, and field terminators (no text format holds 0x1E)."""
    return len(data) >= 24 and data[:5].isdigit() and b"\x1e" in data[:100_000]


def _from_marcxml(data: bytes, filename: str) -> tuple[bytes, MarcRecord]:
    tree = parse_xml(data, filename)
    root = tree.getroot()
    problems = validate(tree, marc_schema(), filename)
    records = [root] if root.tag == q(MARC, "record") else root.findall(q(MARC, "record"))
    if root.tag not in (q(MARC, "record"), q(MARC, "collection")):
        problems.insert(0, Problem(filename, "not MARCXML: the root must be record or collection in " + MARC))
    elif len(records) != 1:
        problems.append(Problem(filename, f"the collection holds {len(records)} records; one expected"))
    if problems:
        raise MetadataError(problems)
    record = records[0]
    problems = _leader_problems(record.findtext(q(MARC, "leader")) or "", filename, record.sourceline)
    if problems:
        raise MetadataError(problems)
    kept = data if record is root else to_bytes(etree.fromstring(etree.tostring(record)))
    return kept, MarcRecord(parse_xml(kept, filename).getroot())


def _leader_problems(leader: str, filename: str, line: int | None = None) -> list[Problem]:
    """What the schema does not check: leader/10-11 "22" (indicator and subfield-code counts), /20-23 "4500"."""
    if leader[10:12] != "22" or leader[20:24] != "4500":
        return [Problem(filename, f"leader {leader!r} is not MARC 21 (positions 10-11 must be 22, 20-23 4500)", line)]
    return []


def _from_binary(data: bytes, filename: str) -> tuple[bytes, MarcRecord]:
    if not is_binary_marc(data):
        raise MetadataError.single(filename, "not a MARC 21 record: the leader must start with 5 digits of length")
    directory = _directory_problem(data)
    if directory:
        raise MetadataError.single(filename, f"record 1: {directory}")
    # Raw fields first: MARC-8 text is converted below, where a bad escape can be reported.
    reader = pymarc.MARCReader(io.BytesIO(data), to_unicode=False, permissive=True)
    records: list[pymarc.Record] = []
    for number, record in enumerate(reader, start=1):
        if record is None:
            reason = reader.current_exception or "unreadable"
            raise MetadataError.single(filename, f"record {number}: {_describe(reason)}")
        records.append(record)
    if len(records) != 1:
        raise MetadataError.single(filename, f"the file holds {len(records)} MARC records; one expected")
    record = records[0]
    leader = str(record.leader)
    problems = _leader_problems(leader, f"{filename} (record 1)")
    if int(leader[:5]) != len(data.rstrip(b"\r\n\x1a")):
        problems.append(
            Problem(f"{filename} (record 1)", f"leader says {int(leader[:5])} bytes, the file has {len(data)}")
        )
    if problems:
        raise MetadataError(problems)
    marcxml = _to_marcxml(record, utf8=leader[9] == "a", filename=f"{filename} (record 1)")
    tree = parse_xml(marcxml, filename)
    problems = validate(tree, marc_schema(), f"{filename} (as MARCXML)")
    if problems:
        raise MetadataError(problems)
    return marcxml, MarcRecord(tree.getroot())


def _directory_problem(data: bytes) -> str | None:
    """Why the directory (leader/12-16 gives where it ends) is not 12-digit entries, if it is not."""
    base = data[12:17]
    if not base.isdigit() or not 24 < int(base) <= len(data):
        return f"the leader's base address of data {base.decode('latin-1')!r} is not a position in the record"
    directory = data[24 : int(base) - 1]
    if data[int(base) - 1] != 0x1E or len(directory) % 12 or not directory.isdigit():
        return "the directory is broken (it must be 12-digit entries ending with a field terminator)"
    return None


def _describe(reason: object) -> str:
    names = {
        "RecordLengthInvalid": "the record length in the leader is not a number",
        "RecordLeaderInvalid": "the leader is not 24 characters",
        "BaseAddressInvalid": "the leader's base address of data is beyond the record",
        "BaseAddressNotFound": "no field terminator ends the directory",
        "RecordDirectoryInvalid": "the directory is broken (entries are not 12 digits)",
        "NoFieldsFound": "the directory lists no fields",
        "TruncatedRecord": "the record is shorter than its leader says",
        "EndOfRecordNotFound": "no record terminator",
    }
    return names.get(type(reason).__name__, str(reason) or type(reason).__name__)


def _to_marcxml(record: pymarc.Record, *, utf8: bool, filename: str) -> bytes:
    root = element(q(MARC, "record"), {None: MARC, "xsi": XSI})
    root.set(q(XSI, "schemaLocation"), f"{MARC} {MARC_SCHEMA_LOCATION}")
    leader = str(record.leader)
    # The MARCXML is Unicode, whatever the binary record was: LoC's rule sets leader/09 to "a".
    sub(root, q(MARC, "leader"), leader[:9] + "a" + leader[10:])
    problems: list[Problem] = []

    def text(raw: bytes, tag: str) -> str:
        try:
            value = raw.decode("utf-8") if utf8 else _marc8(raw)
        except ValueError as exc:
            problems.append(Problem(filename, f"field {tag}: {exc}"))
            return ""
        return unicodedata.normalize("NFC", value)

    for field in record.fields:
        if field.is_control_field():
            raw = field.data if isinstance(field.data, bytes) else str(field.data).encode("latin-1")
            _marc_sub(root, "controlfield", text(raw, field.tag), tag=field.tag)
            continue
        data = _marc_sub(root, "datafield", None, tag=field.tag, ind1=field.indicator1, ind2=field.indicator2)
        for subfield in field.subfields:
            raw = subfield.value if isinstance(subfield.value, bytes) else str(subfield.value).encode("latin-1")
            _marc_sub(data, "subfield", text(raw, field.tag), code=subfield.code)
    if problems:
        raise MetadataError(problems)
    return to_bytes(root)


def marc_sub(parent: etree._Element, local: str, text: str | None, attributes: dict[str, str]) -> etree._Element:
    """A MARCXML child (its attributes are named ``tag``, ``code``...: a dict, not keywords)."""
    child: etree._Element = etree.SubElement(parent, q(MARC, local), attributes)
    child.text = text
    return child


def _marc_sub(parent: etree._Element, local: str, text: str | None, **attributes: str) -> etree._Element:
    return marc_sub(parent, local, text, attributes)


class _StrictMarc8(MARC8ToUnicode):
    """pymarc's MARC-8 converter, counting the characters it cannot map.

    pymarc consults ``quiet`` exactly when a byte has no mapping in the current character set
    (then writes a warning to stderr and puts a space); reading it here counts those instead.
    """

    def __init__(self) -> None:
        self.unmapped = 0
        super().__init__(quiet=True)

    @property
    def quiet(self) -> bool:
        self.unmapped += 1
        return True

    @quiet.setter
    def quiet(self, value: bool) -> None:
        pass


def _marc8(raw: bytes) -> str:
    """MARC-8 bytes as Unicode; ``ValueError`` naming a bad escape or an unmappable byte."""
    for index, byte in enumerate(raw):
        if byte == _ESC:
            final = _escape_final(raw, index)
            if final is not None and final not in marc8_mapping.CODESETS:
                raise ValueError(f"bad MARC-8 escape at byte {index} (character set {chr(final)!r} is not MARC-8)")
    converter = _StrictMarc8()
    try:
        value: str = converter.translate(raw)
    except (IndexError, KeyError) as exc:
        raise ValueError(f"bad MARC-8 text ({exc})") from None
    if converter.unmapped:
        raise ValueError(f"{converter.unmapped} bytes are not MARC-8 characters (a bad escape?)")
    return value


def _escape_final(raw: bytes, index: int) -> int | None:
    """The final byte of the character-set designation starting at ``raw[index]`` (ESC)."""
    rest = raw[index + 1 : index + 4]
    if rest[:1] in (b"g", b"b", b"p", b"s"):  # technique 1: Greek, subscript, superscript, back to ASCII
        return None
    if rest[:1] in (b"(", b",", b")", b"-"):
        return rest[1] if len(rest) > 1 else 0
    if rest[:1] == b"$":
        return (
            (rest[2] if len(rest) > 2 else 0) if rest[1:2] in (b",", b")", b"-") else (rest[1] if len(rest) > 1 else 0)
        )
    return 0  # an escape that designates nothing (reported as character set "\x00")


__all__ = ["DataField", "MarcRecord", "is_binary_marc", "read_marc"]
