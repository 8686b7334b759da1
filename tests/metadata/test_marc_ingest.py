"""A MARC record ingested with its scans: kept in the bag, harvested as marcxml over OAI-PMH."""

from __future__ import annotations

import shutil
from pathlib import Path

from lxml import etree
from starlette.testclient import TestClient

from app.web.app import create_app
from ingest.context import ItemSource
from ingest.runner import Ingester
from repo.identifiers import object_id
from repo.metadata.safe_xml import parse_xml
from repo.metadata.schemas import marc_schema, oai_pmh_schema, validate
from repo.preservation import ObjectStore
from repo.services import Services
from repo.settings import Settings
from storage import FilesystemStorage
from tests.ingest.conftest import write_page

MARC_DIR = Path(__file__).parent / "fixtures" / "marc"
OAI = "{http://www.openarchives.org/OAI/2.0/}"
MARC = "{http://www.loc.gov/MARC21/slim}"


def test_marc_item_keeps_its_record_and_every_item_is_harvested_as_marcxml(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", base_url="http://testserver", ingest_workers=1)
    services = Services.open(settings)
    ingester = Ingester(services, workers=1)
    try:
        book = tmp_path / "book"
        book.mkdir()
        write_page(book / "p1.png", 120, 160, seed=3)
        shutil.copy(MARC_DIR / "book-marc8-escape-from-loneliness.mrc", book / "marc.mrc")
        assert ingester.ingest(ItemSource(book, "books", identifier="tournier")).status == "ingested"
        letter = tmp_path / "letter"
        letter.mkdir()
        write_page(letter / "p1.png", 120, 160, seed=4)
        (letter / "metadata.json").write_text('{"title": "Letter to Ada", "creator": "Babbage, Charles"}')
        assert ingester.ingest(ItemSource(letter, "books", identifier="letter")).status == "ingested"
    finally:
        ingester.close()
    bag = ObjectStore(FilesystemStorage(tmp_path / "data" / "preservation")).export_version(
        object_id("tournier"), None, tmp_path / "bag"
    )
    kept = parse_xml((bag / "metadata" / "marc.xml").read_bytes(), "marc.xml")
    assert validate(kept, marc_schema(), "marc.xml") == []
    assert kept.findtext(f"{MARC}controlfield[@tag='001']") == "2"

    with TestClient(create_app(settings, services)) as client:
        prefix = f"oai:{settings.repository_identifier}:"
        for item, title in (("tournier", "Escape from loneliness /"), ("letter", "Letter to Ada")):
            formats = client.get("/oai", params={"verb": "ListMetadataFormats", "identifier": prefix + item})
            assert "<metadataPrefix>marcxml</metadataPrefix>" in formats.text
            response = client.get(
                "/oai", params={"verb": "GetRecord", "identifier": prefix + item, "metadataPrefix": "marcxml"}
            )
            root = etree.fromstring(response.content)
            assert validate(root, oai_pmh_schema(), "GetRecord") == []
            record = root.find(f"{OAI}GetRecord/{OAI}record/{OAI}metadata/{MARC}record")
            assert record is not None and validate(record, marc_schema(), item) == []
            path = f"{MARC}datafield[@tag='245']/{MARC}subfield[@code='a']"
            assert record.findtext(path) == title
    services.close()
