"""Every accepted format loads; every problem of a bad file is reported, naming the file."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from repo.metadata.errors import MetadataError, Problem
from repo.metadata.loader import load_record, record_from_bytes, record_from_dc_fields, record_from_stored
from repo.metadata.safe_xml import parse_xml
from repo.metadata.schemas import mods_schema, oai_dc_schema, validate

FIXTURES = Path(__file__).parent / "fixtures"


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(MetadataError) as caught:
        load_record(path)
    assert all(p.file == path.name for p in caught.value.problems)
    return caught.value.problems


def assert_valid_documents(record: object) -> None:
    mods_xml, dc_xml = record.mods_xml, record.dc_xml  # type: ignore[attr-defined]
    assert validate(parse_xml(mods_xml, "m"), mods_schema(), "mods.xml") == []
    assert validate(parse_xml(dc_xml, "d"), oai_dc_schema(), "dc.xml") == []


def test_mods_record_keeps_its_bytes() -> None:
    path = FIXTURES / "loc-mods-book-sound-and-fury-lccn99042030.xml"
    record = load_record(path)
    assert record.mods_xml == path.read_bytes()
    assert record.title == "Sound and fury: the making of the punditocracy"
    assert record.creators == ("Alterman, Eric",)
    assert record.language == "en"
    assert_valid_documents(record)


def test_mods_collection_with_one_record() -> None:
    record = load_record(FIXTURES / "iu-modsCollection-photo-cushman-telescope-peak.xml")
    assert record.title == "Telescope Peak from Zabriskie Point"
    root = parse_xml(record.mods_xml, "m").getroot()
    assert root.tag == "{http://www.loc.gov/mods/v3}mods"  # the record, out of its collection
    assert_valid_documents(record)


def test_mods_collection_with_two_records_is_refused(tmp_path: Path) -> None:
    text = (FIXTURES / "iu-modsCollection-photo-cushman-telescope-peak.xml").read_text()
    start, end = text.index("<mods "), text.index("</mods>") + len("</mods>")
    path = tmp_path / "two.xml"
    path.write_text(text[:end] + text[start:end] + text[end:])
    assert any("holds 2 records" in p.reason for p in problems_of(path))


def test_mods_schema_errors_are_all_reported() -> None:
    problems = problems_of(FIXTURES / "mods-two-schema-errors.xml")
    assert [p.line for p in problems] == [6, 10]
    assert str(MetadataError(problems)).splitlines()[0].startswith("mods-two-schema-errors.xml:6: ")


def test_oai_dc() -> None:
    record = load_record(FIXTURES / "oai_dc-arxiv-cs0112017-from-oai-spec.xml")
    assert record.title == "Using Structural Metadata to Localize Experience of Digital Content"
    assert record.creators == ("Dushay, Naomi",)
    assert record.date == "2001-12-14"
    assert record.date_start == record.date_end == 2001
    assert len(record.dc["description"]) == 2
    assert_valid_documents(record)


def test_empty_oai_dc_has_no_title() -> None:
    problems = problems_of(FIXTURES / "oai_dc-from-oai-spec-sec3.2.xml")
    assert [p.reason for p in problems] == ["no title: every record needs a Dublin Core title"]


def test_oai_dc_with_unknown_element_and_no_title_reports_both(tmp_path: Path) -> None:
    path = tmp_path / "bad-oai_dc.xml"
    path.write_text(
        '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"\n'
        '  xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
        "  <dc:creator>Someone</dc:creator>\n"
        "  <dc:author>Someone</dc:author>\n"
        "</oai_dc:dc>\n"
    )
    problems = problems_of(path)
    assert problems[0].line == 4 and "author" in problems[0].reason
    assert "no title" in problems[1].reason


def test_simple_dc_container() -> None:
    record = load_record(FIXTURES / "simpledc-container.xml")
    assert record.title == "Minutes of the vestry meeting"
    assert record.date_start == 1872
    assert record.type == "Text"
    assert_valid_documents(record)


def test_simple_dc_in_another_wrapper(tmp_path: Path) -> None:
    path = tmp_path / "record.xml"
    path.write_text(
        '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>A</dc:title>'
        "<dc:subject>B</dc:subject></metadata>"
    )
    assert load_record(path).subjects == ("B",)


def test_unrecognized_xml(tmp_path: Path) -> None:
    path = tmp_path / "other.xml"
    path.write_text("<catalogue><entry>x</entry></catalogue>")
    assert "unrecognized XML root element 'catalogue'" in problems_of(path)[0].reason


def test_csv_header_and_one_row() -> None:
    record = load_record(FIXTURES / "dc-one-record-wide.csv")
    assert record.title == "Letter to the vicar"
    assert record.creators == ("Whitby, Margaret",)
    assert record.subjects == ("Parish records", "Correspondence")  # "|" separates values
    assert (record.date, record.date_start, record.date_end) == ("ca. 1890", 1890, 1890)
    assert record.language == "en"  # "English"
    assert record.rights == "http://rightsstatements.org/vocab/NoC-US/1.0/"
    assert record.identifier == "https://example.org/letters/7"
    assert_valid_documents(record)


def test_csv_element_value_rows() -> None:
    record = load_record(FIXTURES / "dc-one-record-long.csv")
    assert record.title == "Map of the parish"
    assert record.subjects == ("Maps", "Little Snoring (England)")
    assert (record.date_start, record.date_end) == (1850, 1860)
    assert record.dc["format"] == ("image/tiff",)
    assert record.language == "fr"
    assert_valid_documents(record)


def test_csv_problems_are_all_reported(tmp_path: Path) -> None:
    path = tmp_path / "batch.csv"
    path.write_text("Author,creator,notes\nA,B,C\nD,E,F\n")
    reasons = [p.reason for p in problems_of(path)]
    assert any("2 data rows" in r for r in reasons)
    assert any("unknown Dublin Core element 'Author'" in r for r in reasons)
    assert any("unknown Dublin Core element 'notes'" in r for r in reasons)
    assert any("no title" in r for r in reasons)


def test_json_record() -> None:
    record = load_record(FIXTURES / "dc-record.json")
    assert record.title == "Portrait of a lady"
    assert record.type == "StillImage"
    assert record.date_start == 1890
    assert record.language == "de"
    assert record.rights == "http://creativecommons.org/publicdomain/zero/1.0/"
    assert_valid_documents(record)


def test_json_problems(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"creator": 5, "colour": "red", "subject": ["a", None]}))
    reasons = [p.reason for p in problems_of(path)]
    assert len(reasons) == 4, reasons
    assert any("'creator'" in r for r in reasons) and any("'subject'" in r for r in reasons)
    assert any("'colour'" in r for r in reasons) and any("no title" in r for r in reasons)


def test_broken_json_and_non_utf8(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"title": ')
    assert "not valid JSON" in problems_of(broken)[0].reason
    latin = tmp_path / "latin1.csv"
    latin.write_bytes("title\nCaf\xe9\n".encode("latin-1"))
    assert "not UTF-8" in problems_of(latin)[0].reason


def test_control_characters_are_a_problem() -> None:
    with pytest.raises(MetadataError, match="control characters"):
        record_from_dc_fields({"title": "bell\x07"}, "row 3")


def test_hostile_xml_through_the_loader(tmp_path: Path) -> None:
    path = tmp_path / "evil.xml"
    path.write_text('<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>')
    assert "DOCTYPE" in problems_of(path)[0].reason


def test_file_size_limit_is_checked_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.xml"
    path.write_bytes(b"<r>" + b" " * 2000 + b"</r>")
    with pytest.raises(MetadataError, match="more than the limit of 1000"):
        load_record(path, max_bytes=1000)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MetadataError, match="cannot read"):
        load_record(tmp_path / "nope.xml")


def test_record_from_batch_row() -> None:
    row = {"folder": "box1/item3", "Title": "Deed of sale", "dc.creator": "Brown, A.|Green, B.", "date": ""}
    record = record_from_dc_fields(row, "batch.csv row 4", ignore={"folder"})
    assert record.title == "Deed of sale"
    assert record.creators == ("Brown, A.", "Green, B.")
    assert record.date is None
    with pytest.raises(MetadataError, match=re.escape("batch.csv row 4: unknown Dublin Core element 'folder'")):
        record_from_dc_fields(row, "batch.csv row 4")


def test_record_from_bytes_sniffs_content() -> None:
    assert record_from_bytes(b'{"title": "J"}', "upload").title == "J"
    assert record_from_bytes(b"title,creator\nC,D\n", "upload").title == "C"


def test_record_from_stored_gives_back_the_same_record() -> None:
    for name in ("loc-mods-book-sound-and-fury-lccn99042030.xml", "dc-record.json"):
        record = load_record(FIXTURES / name)
        assert record_from_stored(record.dc_xml, record.mods_xml) == record


def test_csv_with_an_unknown_column_is_read_as_header_and_row(tmp_path: Path) -> None:
    path = tmp_path / "one.csv"
    path.write_text("title,Author\nMy title,Smith\n")
    problems = problems_of(path)
    assert [(p.line, p.reason.split(" (")[0]) for p in problems] == [(1, "unknown Dublin Core element 'Author'")]


def test_long_csv_reports_the_line_of_an_unknown_element(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("title,A\nauthor,B\nsubject,C\n")
    assert [(p.line, "author" in p.reason) for p in problems_of(path)] == [(2, True)]


def test_mods_without_title_and_with_a_schema_error_reports_both(tmp_path: Path) -> None:
    path = tmp_path / "untitled.xml"
    path.write_text('<mods xmlns="http://www.loc.gov/mods/v3">\n<note>n</note>\n<bogus/>\n</mods>')
    problems = problems_of(path)
    assert len(problems) == 2
    assert any(p.line == 3 and "bogus" in p.reason for p in problems)
    assert any("no title" in p.reason for p in problems)


def test_dc_records_are_kept_as_submitted_with_their_languages(tmp_path: Path) -> None:
    oai_dc = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
        '  <dc:title xml:lang="fr">Lettre à Ada</dc:title>\n  <dc:title xml:lang="en">Letter to Ada</dc:title>\n'
        "</oai_dc:dc>\n"
    ).encode()
    (tmp_path / "dc.xml").write_bytes(oai_dc)
    assert load_record(tmp_path / "dc.xml").dc_xml == oai_dc
    (tmp_path / "simple.xml").write_text(
        '<simpledc xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title xml:lang="fr">Lettre</dc:title>'
        "<dc:subject>Vestry</dc:subject></simpledc>"
    )
    record = load_record(tmp_path / "simple.xml")
    assert_valid_documents(record)
    titles = parse_xml(record.dc_xml, "d").getroot().findall("{http://purl.org/dc/elements/1.1/}title")
    assert [(t.get("{http://www.w3.org/XML/1998/namespace}lang"), t.text) for t in titles] == [("fr", "Lettre")]
