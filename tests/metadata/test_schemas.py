"""Schemas compile from the project's own copies, offline, and report every error with its line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

from repo.metadata import schemas
from repo.metadata.safe_xml import parse_xml

FIXTURES = Path(__file__).parent / "fixtures"


def test_catalog_is_set_for_libxml2() -> None:
    catalog = Path(os.environ["XML_CATALOG_FILES"])
    assert catalog.is_file()


def test_every_catalog_entry_points_at_a_file_in_the_project() -> None:
    entries = schemas._catalog()
    assert "http://www.loc.gov/standards/mods/v3/mods-3-8.xsd" in entries
    for url, local in entries.items():
        assert Path(local).is_file(), url
        assert Path(local).is_relative_to(schemas.SCHEMA_DIR)


@pytest.mark.parametrize(
    "loader",
    [
        schemas.mods_schema,
        schemas.mods_3_7_schema,
        schemas.oai_dc_schema,
        schemas.simple_dc_schema,
        schemas.oai_pmh_schema,
    ],
)
def test_schemas_compile_once(loader: object) -> None:
    assert callable(loader)
    first = loader()
    assert isinstance(first, etree.XMLSchema)
    assert loader() is first


def test_import_of_an_unknown_url_fails_instead_of_fetching(tmp_path: Path) -> None:
    xsd = tmp_path / "remote-import.xsd"
    xsd.write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        '<xs:import namespace="urn:x" schemaLocation="http://schemas.invalid/x.xsd"/>'
        '<xs:element name="a"/></xs:schema>'
    )
    with pytest.raises(etree.XMLSchemaParseError, match=r"schemas\.invalid"):
        schemas.load_schema(str(xsd))


@pytest.mark.parametrize(
    "name",
    [
        "loc-mods-book-sound-and-fury-lccn99042030.xml",
        "loc-mods-map-campbell-county-wyoming.xml",
        "iu-modsCollection-photo-cushman-telescope-peak.xml",
        "mods-book-with-constituent-chapters.xml",
    ],
)
def test_real_mods_records_are_valid_mods_3_8(name: str) -> None:
    tree = parse_xml((FIXTURES / name).read_bytes(), name)
    assert schemas.validate(tree, schemas.mods_schema(), name) == []


def test_oai_dc_sample_is_valid() -> None:
    name = "oai_dc-arxiv-cs0112017-from-oai-spec.xml"
    assert schemas.validate(parse_xml((FIXTURES / name).read_bytes(), name), schemas.oai_dc_schema(), name) == []


def test_whole_oai_pmh_response_validates_against_the_driver_schema() -> None:
    name = "oai-pmh-getrecord-oai_dc-from-oai-spec-sec4.1.xml"
    tree = parse_xml((FIXTURES / name).read_bytes(), name)
    assert schemas.validate(tree, schemas.oai_pmh_schema(), name) == []
    # and it is a real check: a wrong verb in the envelope is caught
    request = tree.getroot().find("{http://www.openarchives.org/OAI/2.0/}request")
    assert request is not None
    request.set("verb", "GetRecords")
    assert schemas.validate(tree, schemas.oai_pmh_schema(), name)


def test_two_schema_errors_are_both_reported_with_lines() -> None:
    name = "mods-two-schema-errors.xml"
    problems = schemas.validate(parse_xml((FIXTURES / name).read_bytes(), name), schemas.mods_schema(), name)
    assert [(p.file, p.line) for p in problems] == [(name, 6), (name, 10)]
    assert "person" in problems[0].reason
    assert "author" in problems[1].reason


def test_first_compilation_from_many_threads_at_once_succeeds() -> None:
    """A batch ingests items on parallel threads; each may be the first to need a schema.

    libxml2 sets up its built-in schema types lazily and without a lock, so unserialised
    first compilations failed with "the given type is not a built-in type". Each run is a
    fresh interpreter, because only the first compilation in a process is exposed.
    """
    program = (
        "import threading\n"
        "from repo.metadata import schemas\n"
        "loaders = [schemas.mods_schema, schemas.oai_dc_schema, schemas.simple_dc_schema,\n"
        "           schemas.mods_3_7_schema, schemas.oai_pmh_schema] * 3\n"
        "results = []\n"
        "barrier = threading.Barrier(len(loaders))\n"
        "def run(loader):\n"
        "    barrier.wait()\n"
        "    results.append(loader())\n"
        "threads = [threading.Thread(target=run, args=(f,)) for f in loaders]\n"
        "[t.start() for t in threads]; [t.join() for t in threads]\n"
        "assert len(results) == len(loaders), 'a thread failed'\n"
        "assert len({id(r) for r in results}) == 5, 'each schema is compiled once'\n"
    )
    for _ in range(4):
        done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
