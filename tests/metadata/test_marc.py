"""MARC 21 in (binary UTF-8 and MARC-8, MARCXML) and MARCXML out, on real records.

The MODS made from each record is held field by field against the MODS that the Library of
Congress's own MARC-to-MODS stylesheet makes from the same record.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from lxml import etree

from repo.metadata.errors import MetadataError
from repo.metadata.loader import load_record, record_from_bytes
from repo.metadata.marc_mods import chop
from repo.metadata.mods_marc import mods_to_marcxml
from repo.metadata.safe_xml import parse_xml
from repo.metadata.schemas import marc_schema, mods_schema, oai_dc_schema, validate

MARC_DIR = Path(__file__).parent / "fixtures" / "marc"
M = "{http://www.loc.gov/mods/v3}"
MARC = "{http://www.loc.gov/MARC21/slim}"
RECORDS = [
    "book-marc8-escape-from-loneliness.mrc",
    "book-marc8-escape-from-loneliness.marcxml",
    "photo-prokudin-gorskii-shokhanka-river.mrc",
    "photo-prokudin-gorskii-shokhanka-river.marcxml",
    "pymarc-one.dat",
    "pymarc-utf8.xml",
]


def batch_records(tmp_path: Path) -> list[Path]:
    """pymarc-batch.xml holds two records: an item's record is one, so each goes in a file."""
    root = parse_xml((MARC_DIR / "pymarc-batch.xml").read_bytes(), "batch").getroot()
    paths = []
    for index, record in enumerate(root.iterfind(f"{MARC}record")):
        path = tmp_path / f"batch-{index}.xml"
        path.write_bytes(etree.tostring(record, xml_declaration=True, encoding="UTF-8"))
        paths.append(path)
    return paths


def all_records(tmp_path: Path) -> list[Path]:
    return [MARC_DIR / name for name in RECORDS] + batch_records(tmp_path)


def test_every_record_gives_valid_mods_dc_and_marcxml(tmp_path: Path) -> None:
    for path in all_records(tmp_path):
        record = load_record(path)
        assert record.marc_xml is not None and record.title, path.name
        assert validate(parse_xml(record.mods_xml, "m"), mods_schema(), path.name) == []
        assert validate(parse_xml(record.dc_xml, "d"), oai_dc_schema(), path.name) == []
        assert validate(parse_xml(record.marc_xml, "x"), marc_schema(), path.name) == []


def test_marcxml_is_kept_as_submitted_and_binary_becomes_the_same_marcxml() -> None:
    xml = MARC_DIR / "book-marc8-escape-from-loneliness.marcxml"
    assert load_record(xml).marc_xml == xml.read_bytes()
    from_binary = load_record(MARC_DIR / "book-marc8-escape-from-loneliness.mrc")
    assert etree.tostring(parse_xml(from_binary.marc_xml or b"", "b").getroot(), method="c14n") == etree.tostring(
        parse_xml(xml.read_bytes(), "x").getroot(), method="c14n"
    )
    assert from_binary.dc == load_record(xml).dc  # MARC-8 "à", "é" read as Unicode


def loc_mods(name: str) -> etree._Element:
    return parse_xml((MARC_DIR / name).read_bytes(), name).getroot()


def values(root: etree._Element, path: str, untyped: bool = False) -> list[str]:
    """Texts at ``path``; with ``untyped``, only of elements without a ``type`` attribute."""
    found = root.iterfind(path, namespaces={"m": M.strip("{}")})
    # NFC: LoC's stylesheet keeps the record's decomposed letters, we compose them (as search does)
    texts = (" ".join("".join(e.itertext()).split()) for e in found if not (untyped and e.get("type")))
    return [unicodedata.normalize("NFC", t) for t in texts]


@pytest.mark.parametrize("stem", ["book-marc8-escape-from-loneliness", "photo-prokudin-gorskii-shokhanka-river"])
def test_mods_matches_the_library_of_congress_mapping_field_by_field(stem: str) -> None:
    ours = parse_xml(load_record(MARC_DIR / f"{stem}.mrc").mods_xml, "m").getroot()
    loc = loc_mods(f"{stem}.loc-mods.xml")
    for path in (
        "m:titleInfo[@type='uniform']/m:title",
        "m:typeOfResource",
        "m:language/m:languageTerm",
        "m:subject/m:topic",
        "m:classification",
        "m:identifier[@type='lccn']",
        "m:name/m:role/m:roleTerm",
        "m:name/m:namePart[@type='date']",
        "m:physicalDescription/m:extent",
        "m:tableOfContents",
        "m:abstract",
        "m:location/m:url",
    ):
        assert sorted(set(values(ours, path))) == sorted(set(values(loc, path))), path
    # LoC keeps ISBD punctuation on a few values; the mapping's own rule removes it
    main_title = [t for i in loc.iterfind(f"{M}titleInfo") if not i.get("type") for t in values(i, "m:title")]
    assert values(ours, "m:titleInfo[1]/m:title") == [chop(t) for t in main_title]
    ours_names = values(ours, "m:name/m:namePart", untyped=True)
    assert ours_names == [chop(n) for n in values(loc, "m:name/m:namePart", untyped=True)]
    assert ours.find(f"{M}name").get("usage") == "primary"
    our_dates = [d for d in values(ours, "m:originInfo/*") if d[:1].isdigit() or d[:1] in "c["]
    assert set(values(loc, "m:originInfo/m:dateIssued")) <= set(our_dates) | {chop(d) for d in our_dates}


def test_dc_from_marc_has_roles_dates_subjects_classification_and_typed_identifiers() -> None:
    book = load_record(MARC_DIR / "book-marc8-escape-from-loneliness.mrc").dc
    assert book["title"][0] == "Escape from loneliness"
    assert book["creator"] == ("Tournier, Paul",)  # the 100 main entry, without relator
    assert book["date"] == ("1962", "c1962")
    assert book["subject"] == ("Loneliness", "Self", "Social psychology", "Social Isolation", "BF697 .T623")
    assert book["identifier"] == ("lccn: 61014599/L/r83", "oclc: DCLC6114599B")
    assert book["language"] == ("eng", "und")
    photo = load_record(MARC_DIR / "photo-prokudin-gorskii-shokhanka-river.mrc").dc
    assert photo["contributor"] == ("Prokudin-Gorskiĭ, Sergeĭ Mikhaĭlovich, 1863-1944",)  # photographer
    assert photo["type"][0] == "StillImage"
    assert "http://hdl.loc.gov/loc.pnp/prok.01233" in photo["identifier"]


def test_marcxml_made_from_mods_is_valid_and_keeps_the_title_names_and_subjects() -> None:
    mods = (Path(__file__).parent / "fixtures" / "loc-mods-book-sound-and-fury-lccn99042030.xml").read_bytes()
    marc = parse_xml(mods_to_marcxml(parse_xml(mods, "m")), "x").getroot()
    assert validate(marc, marc_schema(), "marc.xml") == []

    def subfields(tag: str, code: str) -> list[str]:
        path = f"x:datafield[@tag='{tag}']/x:subfield[@code='{code}']"
        return [s.text or "" for s in marc.iterfind(path, namespaces={"x": MARC.strip("{}")})]

    assert subfields("245", "a") == ["Sound and fury"] and subfields("245", "b") == ["the making of the punditocracy"]
    assert subfields("100", "a") == ["Alterman, Eric"] and subfields("100", "e") == ["creator"]
    assert subfields("010", "a") == ["99042030"]
    assert subfields("050", "a") == ["PN4888.P6 A48 1999"]
    assert subfields("650", "a")[:2] == ["Journalism", "Mass media"]
    assert subfields("651", "a")[0] == "United States" and "Politics and government" in subfields("651", "x")
    assert (marc.findtext(f"{MARC}controlfield[@tag='008']") or "")[7:11] == "1999"


def corrupt(name: str, change: object) -> bytes:
    data = (MARC_DIR / name).read_bytes()
    return change(data)  # type: ignore[operator,no-any-return]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (corrupt("pymarc-one.dat", lambda d: d[:20] + b"9999" + d[24:]), "leader"),
        (corrupt("pymarc-one.dat", lambda d: d[:30] + b"xx" + d[32:]), "directory is broken"),
        (corrupt("pymarc-one.dat", lambda d: d[:12] + b"99999" + d[17:]), "base address"),
        (corrupt("pymarc-one.dat", lambda d: d[:400]), "shorter than its leader says"),
        (
            # the same length: a combining grave and the 2 letters after it become ESC ( Z
            corrupt(
                "book-marc8-escape-from-loneliness.mrc",
                lambda d: d[: d.find(b"\xe1")] + b"\x1b(Z" + d[d.find(b"\xe1") + 3 :],
            ),
            "bad MARC-8 escape",
        ),
        (corrupt("pymarc-batch.xml", lambda d: d), "holds 2 records"),
        (corrupt("pymarc-utf8.xml", lambda d: d.replace(b'ind1="0"', b'ind1="A"', 1)), "ind1"),
    ],
    ids=["leader", "directory", "base-address", "truncated", "marc8-escape", "two-records", "schema"],
)
def test_bad_marc_is_one_clear_problem_naming_the_file_and_record(data: bytes, reason: str) -> None:
    with pytest.raises(MetadataError) as caught:
        record_from_bytes(data, "bad.mrc")
    assert all(p.file.startswith("bad.mrc") for p in caught.value.problems)
    assert reason in str(caught.value), str(caught.value)
    if data[:1].isdigit():
        assert "record 1" in str(caught.value)
