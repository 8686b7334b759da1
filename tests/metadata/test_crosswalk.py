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
    ]
    assert dc["type"] == ["Text", "bibliography"]
    assert dc["publisher"] == ["Cornell University Press"]
    assert dc["date"] == ["c1999"]  # the MARC-encoded duplicate "1999" is dropped
    assert dc["language"] == ["eng"]
    assert dc["format"] == ["print", "vii, 322 p. ; 23 cm."]
    assert dc["identifier"] == ["0801486394 (pbk. : acid-free, recycled paper)", "99042030"]
    assert dc["description"] == [
        "Eric Alterman.",
        "Includes bibliographical references (p. 291-312) and index.",
    ]


def test_loc_map_is_an_image() -> None:
    dc = dc_of("loc-mods-map-campbell-county-wyoming.xml")
    assert dc["title"] == ["Campbell County, Wyoming"]
    assert dc["type"][0] == "Image"
    assert dc["contributor"] == ["Campbell County Chamber of Commerce"]  # no creator role
    assert dc["date"] == ["[1982?]"]
    assert dc["subject"] == ["Campbell County (Wyo.)--Maps"]


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
    # coverage comes back as a subject (see CROSSWALK.md); everything else is unchanged
    coverage = dc.pop("coverage", [])
    assert back.pop("subject", []) == dc.pop("subject", []) + coverage
    assert back == dc


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
@given(
    st.dictionaries(st.sampled_from([e for e in ELEMENTS if e != "coverage"]), st.lists(_text, min_size=1, max_size=3))
)
def test_any_dc_makes_valid_mods_and_oai_dc(dc: dict[str, list[str]]) -> None:
    dc = {"title": ["A title"], **dc}
    mods = dc_to_mods(dc)
    assert validate(parse_xml(mods, "m"), mods_schema(), "m") == []
    assert validate(parse_xml(dc_to_oai_dc_xml(dc), "d"), oai_dc_schema(), "d") == []
    back = canonical(mods_to_dc(parse_xml(mods, "m")))
    assert {k: set(v) for k, v in back.items()} == {k: set(v) for k, v in canonical(dc).items()}
