"""MODS -> DC on real records, DC -> MODS validity, and what survives a round trip."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from repo.metadata.crosswalk import dc_to_mods, dc_to_oai_dc_xml, mods_to_dc
from repo.metadata.dublin_core import ELEMENTS, canonical
from repo.metadata.safe_xml import parse_xml
from repo.metadata.schemas import mods_schema, oai_dc_schema, validate

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = [
    "loc-mods-book-sound-and-fury-lccn99042030.xml",
    "loc-mods-map-campbell-county-wyoming.xml",
    "iu-modsCollection-photo-cushman-telescope-peak.xml",
    "mods-book-with-constituent-chapters.xml",
]


def dc_of(name: str) -> dict[str, list[str]]:
    return mods_to_dc(parse_xml((FIXTURES / name).read_bytes(), name))


def test_loc_book() -> None:
    dc = dc_of("loc-mods-book-sound-and-fury-lccn99042030.xml")
    assert dc["title"] == ["Sound and fury: the making of the punditocracy"]
    assert dc["creator"] == ["Alterman, Eric"]
    assert "contributor" not in dc
    assert dc["subject"] == [
        "Journalism--Political aspects--United States",
        "United States--Politics and government--20th century",
        "Mass media--Political aspects--United States",
        "Television and politics--United States",
        "Press and politics--United States",
        "Talk shows--United States",
        "PN4888.P6 A48 1999",  # classification goes to subject (LoC), LCC then DDC
        "071/.3",
    ]
    assert dc["coverage"] == ["United States", "20th century"]  # geographic and temporal subject terms
    assert dc["type"] == ["Text", "bibliography"]
    assert dc["publisher"] == ["Cornell University Press"]
    assert dc["date"] == ["1999", "c1999"]  # the machine-readable date first, the transcribed one kept
    assert dc["language"] == ["eng"]
    assert dc["format"] == ["print", "vii, 322 p. ; 23 cm."]
    assert dc["identifier"] == ["isbn: 0801486394 (pbk. : acid-free, recycled paper)", "lccn: 99042030"]
    assert dc["description"] == [
        "Eric Alterman.",
        "Includes bibliographical references (p. 291-312) and index.",
    ]


def test_loc_map_is_an_image() -> None:
    dc = dc_of("loc-mods-map-campbell-county-wyoming.xml")
    assert dc["title"] == ["Campbell County, Wyoming"]
    assert dc["type"][0] == "Image"
    assert dc["contributor"] == ["Campbell County Chamber of Commerce"]  # no creator role
    assert dc["date"] == ["1982", "[1982?]"]
    assert dc["subject"] == ["Campbell County (Wyo.)--Maps", "G4263.C3 1982 .C3"]
    assert dc["coverage"] == ["Campbell County (Wyo.)"]
    assert dc["identifier"] == ["lccn: 83691515"]


def test_iu_photograph_in_a_mods_collection() -> None:
    dc = dc_of("iu-modsCollection-photo-cushman-telescope-peak.xml")
    assert dc["title"] == ["Telescope Peak from Zabriskie Point", "Telescope PK from Zabriskie Pt."]
    assert dc["contributor"] == ["Cushman, Charles Weever, 1896-1972"]  # photographer, not "creator"
    assert dc["type"] == ["StillImage", "Landscape photographs"]
    assert dc["date"] == ["1955-03-22", "2003"]  # key date first
    assert dc["format"] == ["image/jpeg"]
    assert dc["coverage"] == ["United States--California--Inyo"]
    assert "http://purl.dlib.indiana.edu/iudl/archives/cushman/P07803" in dc["identifier"]
    assert not any("thumbs" in i for i in dc["identifier"])  # preview URL is not an identifier
    assert dc["relation"] == ["Indiana University Digital Library Program: Charles W. Cushman Photograph Collection"]
    assert dc["rights"][0].startswith("Copyright and reproduction rights")


def test_constituents_are_not_relations_and_nonsort_joins_the_title() -> None:
    dc = dc_of("mods-book-with-constituent-chapters.xml")
    assert dc["title"] == ["The Parish registers of Little Snoring: baptisms, marriages and burials"]
    assert dc["creator"] == ["Whitby, Margaret"]  # role code "cre"
    assert dc["contributor"] == ["Little Snoring Historical Society"]
    assert dc["date"] == ["1850/1860"]
    assert dc["relation"] == ["Norfolk parish records"]
    assert dc["rights"] == ["Licensed CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/"]


@pytest.mark.parametrize("name", SAMPLES)
def test_dc_made_from_mods_validates_as_oai_dc(name: str) -> None:
    xml = dc_to_oai_dc_xml(dc_of(name))
    assert validate(parse_xml(xml, "dc.xml"), oai_dc_schema(), "dc.xml") == []


@pytest.mark.parametrize("name", SAMPLES)
def test_mods_made_from_dc_validates_and_keeps_the_dc(name: str) -> None:
    dc = dc_of(name)
    mods = dc_to_mods(dc)
    assert validate(parse_xml(mods, "mods.xml"), mods_schema(), "mods.xml") == []
    back = mods_to_dc(parse_xml(mods, "mods.xml"))
    assert back == dc


def test_aut_and_a_primary_name_without_role_are_creators() -> None:
    mods = b"""<mods xmlns="http://www.loc.gov/mods/v3" version="3.8"><titleInfo><title>t</title></titleInfo>
      <name usage="primary"><namePart>Tournier, Paul</namePart></name>
      <name><namePart>Gilmour, John S.</namePart><role><roleTerm type="code" authority="marcrelator">aut</roleTerm>
        </role></name>
      <name><namePart>Cole, Ann</namePart><role><roleTerm type="text">author.</roleTerm></role></name>
      <name><namePart>Doe, Jo</namePart><role><roleTerm type="code">trl</roleTerm></role></name>
      <name usage="primary"><namePart>Roe, Rex</namePart><role><roleTerm type="code">edt</roleTerm></role></name>
    </mods>"""
    dc = mods_to_dc(parse_xml(mods, "m"))
    assert dc["creator"] == ["Tournier, Paul", "Gilmour, John S.", "Cole, Ann"]
    assert dc["contributor"] == ["Doe, Jo", "Roe, Rex"]


def test_typed_identifiers_and_open_date_ranges() -> None:
    mods = b"""<mods xmlns="http://www.loc.gov/mods/v3" version="3.8"><titleInfo><title>t</title></titleInfo>
      <originInfo><dateIssued>1998-]</dateIssued><dateIssued encoding="marc" point="start">1998</dateIssued>
        <dateIssued encoding="marc" point="end">9999</dateIssued></originInfo>
      <identifier type="lccn">94759273</identifier><identifier type="oclc">(OCoLC)12345678</identifier>
      <identifier type="uri">http://hdl.loc.gov/loc.gmd/g1</identifier><identifier>LOCAL-1</identifier>
    </mods>"""
    dc = mods_to_dc(parse_xml(mods, "m"))
    assert dc["date"] == ["1998/..", "1998-]"]
    assert dc["identifier"] == ["lccn: 94759273", "oclc: (OCoLC)12345678", "http://hdl.loc.gov/loc.gmd/g1", "LOCAL-1"]
    back = parse_xml(dc_to_mods(dc), "m").getroot()
    typed = [(i.get("type"), i.text) for i in back.iter("{http://www.loc.gov/mods/v3}identifier")]
    assert typed == [
        ("lccn", "94759273"),
        ("oclc", "(OCoLC)12345678"),
        ("uri", "http://hdl.loc.gov/loc.gmd/g1"),
        (None, "LOCAL-1"),
    ]


def test_dc_type_in_any_case_is_a_type_of_resource() -> None:
    root = parse_xml(dc_to_mods({"title": ["t"], "type": ["text", "still image", "image"]}), "m").getroot()
    resource_types = [t.text for t in root.iter("{http://www.loc.gov/mods/v3}typeOfResource")]
    genres = [(g.get("authority"), g.text) for g in root.iter("{http://www.loc.gov/mods/v3}genre")]
    assert resource_types == ["text", "still image"]
    assert genres == [("dct", "Image")]


def test_dcmi_types_survive_the_round_trip() -> None:
    types = ["Text", "Image", "StillImage", "Collection", "Dataset", "Sound", "PhysicalObject", "letters"]
    back = mods_to_dc(parse_xml(dc_to_mods({"title": ["t"], "type": types}), "m"))
    assert sorted(back["type"]) == sorted(types)


def test_language_codes_and_names() -> None:
    mods = dc_to_mods({"title": ["t"], "language": ["eng", "en-GB", "English"]})
    root = parse_xml(mods, "m").getroot()
    terms = [(t.get("type"), t.get("authority"), t.text) for t in root.iter("{http://www.loc.gov/mods/v3}languageTerm")]
    assert terms == [("code", "iso639-2b", "eng"), ("code", "rfc5646", "en-GB"), ("text", None, "English")]


_text = st.text(
    alphabet=st.characters(exclude_categories=("Cs", "Cc"), exclude_characters="\ufffe\uffff"), min_size=1
).filter(lambda s: s.strip())


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(st.sampled_from(ELEMENTS), st.lists(_text, min_size=1, max_size=3)))
def test_any_dc_makes_valid_mods_and_oai_dc(dc: dict[str, list[str]]) -> None:
    dc = {"title": ["A title"], **dc}
    mods = dc_to_mods(dc)
    assert validate(parse_xml(mods, "m"), mods_schema(), "m") == []
    assert validate(parse_xml(dc_to_oai_dc_xml(dc), "d"), oai_dc_schema(), "d") == []
    back = canonical(mods_to_dc(parse_xml(mods, "m")))
    assert {k: set(v) for k, v in back.items()} == {k: set(v) for k, v in canonical(dc).items()}
