"""The normalized values the catalog and the pages read from a record."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from repo.metadata.loader import load_record, record_from_dc_fields
from repo.metadata.record import MetadataRecord, TocEntry

FIXTURES = Path(__file__).parent / "fixtures"


def test_table_of_contents_from_constituent_related_items() -> None:
    record = load_record(FIXTURES / "mods-book-with-constituent-chapters.xml")
    assert record.table_of_contents == (
        TocEntry("Baptisms", 1, 40),  # extent unit="pages" start/end
        TocEntry("Marriages", 41, 76),  # no end: the page before the next entry
        TocEntry("Burials", 77, 102),  # detail type="page" numbers
        TocEntry("Index of names", 103, 103),  # a single page
    )  # the entry without pages is left out


def test_values_for_catalog_and_display() -> None:
    record = load_record(FIXTURES / "mods-book-with-constituent-chapters.xml")
    assert record.title == "The Parish registers of Little Snoring: baptisms, marriages and burials"
    assert record.creators == ("Whitby, Margaret",)
    assert record.description == "Transcribed registers of the parish, with an index of names."
    assert (record.date, record.date_start, record.date_end) == ("1850/1860", 1850, 1860)
    assert record.type == "Text"
    assert record.rights == "http://creativecommons.org/licenses/by/4.0/"
    assert record.identifier == "https://example.org/records/little-snoring"
    assert record.language == "en"


def test_key_date_decides_the_years() -> None:
    record = load_record(FIXTURES / "iu-modsCollection-photo-cushman-telescope-peak.xml")
    assert (record.date, record.date_start, record.date_end) == ("1955-03-22", 1955, 1955)
    assert record.type == "StillImage"
    assert record.rights is None  # a rights statement, but no CC or RightsStatements.org URI
    assert record.identifier == "http://purl.dlib.indiana.edu/iudl/archives/cushman/P07803"
    assert record.creators == ()
    assert record.contributors == ("Cushman, Charles Weever, 1896-1972",)


def test_full_text_holds_all_mods_text() -> None:
    record = load_record(FIXTURES / "loc-mods-book-sound-and-fury-lccn99042030.xml")
    text = record.full_text()
    for expected in ("Sound and fury", "punditocracy", "Talk shows", "Cornell University Press", "PN4888.P6"):
        assert expected in text
    assert "  " not in text and "\n" not in text


def test_dc_is_canonical_and_frozen() -> None:
    record = record_from_dc_fields({"subject": "b|a|b", "title": "  T \n t "}, "x")
    assert list(record.dc) == [
        "title", "creator", "subject", "description", "publisher", "contributor", "date", "type",
        "format", "identifier", "source", "language", "relation", "coverage", "rights",
    ]  # fmt: skip
    assert record.dc["title"] == ("T t",)
    assert record.dc["subject"] == ("b", "a")
    with pytest.raises(AttributeError):
        record.language = "fr"  # type: ignore[misc]


def test_unknown_dc_key_is_refused_by_the_record() -> None:
    with pytest.raises(ValueError, match="colour"):
        MetadataRecord(dc={"title": ("t",), "colour": ("red",)}, mods_xml=b"", dc_xml=b"")


def test_records_pickle_for_worker_processes() -> None:
    record = load_record(FIXTURES / "mods-book-with-constituent-chapters.xml")
    assert record.table_of_contents and record.date_start and record.full_text()  # fill caches
    copy = pickle.loads(pickle.dumps(record))
    assert copy == record
    assert copy.table_of_contents == record.table_of_contents
