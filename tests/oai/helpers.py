"""Seeding the catalog with OAI-relevant items, and a client that schema-checks every response."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from lxml import etree
from starlette.applications import Starlette
from starlette.testclient import TestClient

from app.web.oai import oai_routes
from repo.catalog import Catalog, Item, ItemMetadata
from repo.metadata.crosswalk import dc_to_mods
from repo.metadata.dublin_core import dc_to_oai_dc_xml
from repo.metadata.loader import record_from_bytes
from repo.metadata.schemas import oai_pmh_schema, validate
from repo.services import Services
from repo.settings import Settings

OAI = "{http://www.openarchives.org/OAI/2.0/}"
NS = {"oai": "http://www.openarchives.org/OAI/2.0/"}
FIXTURES = Path(__file__).parent / "fixtures"
REPOSITORY = "muniment.example.org"
PREFIX = f"oai:{REPOSITORY}:"


@dataclass(frozen=True)
class Spec:
    """One item as OAI-PMH sees it."""

    id: str
    datestamp: str
    collection: str = "letters"
    status: str = "active"
    visibility: str = "public"
    embargo_until: str | None = None
    metadata: bool = True
    mods_file: str | None = None  # a real record from fixtures/, read as ingest reads it

    def item(self) -> Item:
        return Item(
            id=self.id,
            collection=self.collection,
            title=self.id,
            content_key=f"key-{self.id}",
            page_count=1,
            created=self.datestamp,
            datestamp=self.datestamp,
            status=self.status,
            visibility=self.visibility,
            embargo_until=self.embargo_until,
        )


_STAND_IN = "ITEM-ID"


@cache
def _default_metadata() -> ItemMetadata:
    dc = {
        "title": [f"Letter {_STAND_IN} to Ada & <Charles> – «ünïcode»"],
        "creator": ["Babbage, C."],
        "date": ["1843"],
        "language": ["en"],
        "type": ["Text"],
    }
    return ItemMetadata(dc=dc, dc_xml=dc_to_oai_dc_xml(dc).decode(), mods_xml=dc_to_mods(dc).decode())


def metadata_for(spec: Spec) -> ItemMetadata:
    """Real oai_dc and MODS documents (from the project's own writers) naming the item in the title."""
    if spec.mods_file:
        record = record_from_bytes((FIXTURES / spec.mods_file).read_bytes(), spec.mods_file)
        return ItemMetadata(
            dc={k: list(v) for k, v in record.dc.items()},
            dc_xml=record.dc_xml.decode(),
            mods_xml=record.mods_xml.decode(),
        )
    template = _default_metadata()  # made once: the writers cost a millisecond per item
    return ItemMetadata(
        dc={"title": [template.dc["title"][0].replace(_STAND_IN, spec.id)]},
        dc_xml=template.dc_xml.replace(_STAND_IN, spec.id),
        mods_xml=template.mods_xml.replace(_STAND_IN, spec.id),
    )


def seed(catalog: Catalog, specs: Iterable[Spec]) -> None:
    with catalog.db.transaction():
        for spec in specs:
            _seed_one(catalog, spec)


def _seed_one(catalog: Catalog, spec: Spec) -> None:
    title = spec.collection.title()
    catalog.ensure_collection(spec.collection, title, description=f"The {spec.collection}")
    if spec.metadata:
        catalog.register_item(spec.item(), [], metadata_for(spec), [])
    else:  # an item the catalog holds without any stored record
        with catalog.db.transaction():
            i = spec.item()
            catalog.db.execute(
                "INSERT INTO items (id, collection, content_key, title, visibility, embargo_until,"
                " status, page_count, created, datestamp) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    i.id,
                    i.collection,
                    i.content_key,
                    i.title,
                    i.visibility,
                    i.embargo_until,
                    i.status,
                    i.page_count,
                    i.created,
                    i.datestamp,
                ),
            )


def expected(
    catalog: Catalog,
    prefix: str = "oai_dc",
    collection: str | None = None,
    lower: str = "",
    upper: str = "9999",
    now: str | None = None,
) -> dict[str, bool]:
    """identifier -> deleted for every record a harvest must return, by the catalog's own rules:
    deleted items always; active ones when ``Item.is_public`` and they hold a record in the format."""
    found = {}
    column = "dc_xml" if prefix == "oai_dc" else "mods_xml"
    for row in catalog.db.query(f"SELECT items.*, {column} AS stored FROM items LEFT JOIN metadata ON item_id = id"):
        item = Item.from_row(row)
        if collection not in (None, item.collection) or not lower <= item.datestamp <= upper:
            continue
        stored = bool(row["stored"])
        if item.status != "active" or (item.is_public(now) and stored):
            found[PREFIX + item.id] = item.status != "active"
    return found


def open_services(tmp: Path, database_url: str = "", page_size: int = 10, **settings: Any) -> Services:
    return Services.open(
        Settings(
            data_dir=tmp,
            database_url=database_url,
            oai_page_size=page_size,
            repository_identifier=REPOSITORY,
            **settings,
        )
    )


def assert_valid(content: bytes) -> etree._Element:
    """The parsed response; fails unless it validates against OAI-PMH + oai_dc + MODS."""
    root = etree.fromstring(content)
    problems = validate(root, oai_pmh_schema(), "response")
    assert not problems, "\n".join(str(p) for p in problems[:5])
    return root


class Response(Protocol):
    """What the checks read of an HTTP response (httpx's or httpx2's)."""

    status_code: int

    @property
    def text(self) -> str: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def content(self) -> bytes: ...


class OAIClient:
    """Requests to /oai in process; every response must be HTTP 200, text/xml and schema-valid."""

    def __init__(self, services: Services) -> None:
        self.http = TestClient(Starlette(routes=oai_routes(services)))

    def check(self, response: Response) -> etree._Element:
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "text/xml; charset=utf-8"
        return assert_valid(response.content)

    def get(self, **arguments: str) -> etree._Element:
        return self.check(self.http.get("/oai", params=arguments))

    def query(self, query_string: str) -> etree._Element:
        return self.check(self.http.get("/oai?" + query_string))

    def post(self, **arguments: str) -> etree._Element:
        return self.check(self.http.post("/oai", data=arguments))

    def harvest(self, verb: str = "ListRecords", **arguments: str) -> list[etree._Element]:
        """Every header or record of a list request, following resumption tokens to the end."""
        found: list[etree._Element] = []
        root = self.get(verb=verb, **arguments)
        while True:
            if error_code(root) == "noRecordsMatch":
                return found
            assert error_code(root) is None, root.findtext(f"{OAI}error")
            container = root.find(f"{OAI}{verb}")
            assert container is not None
            found += container.findall(f"{OAI}{'record' if verb == 'ListRecords' else 'header'}")
            token = container.find(f"{OAI}resumptionToken")
            if token is None or not token.text:
                return found
            root = self.get(verb=verb, resumptionToken=token.text)


def error_code(root: etree._Element) -> str | None:
    error = root.find(f"{OAI}error")
    return None if error is None else error.get("code")


def request_attributes(root: etree._Element) -> dict[str, str]:
    request = root.find(f"{OAI}request")
    assert request is not None
    return dict(request.attrib)


def header_of(element: etree._Element) -> etree._Element:
    return element if element.tag == f"{OAI}header" else element.find(f"{OAI}header")  # type: ignore[return-value]


def deletions(elements: Iterable[etree._Element]) -> dict[str, bool]:
    """identifier -> marked deleted, of harvested headers or records."""
    return {header_of(e).findtext(f"{OAI}identifier") or "": header_of(e).get("status") == "deleted" for e in elements}


def identifiers(elements: Iterable[etree._Element]) -> list[str]:
    return [header_of(e).findtext(f"{OAI}identifier") or "" for e in elements]


def token_of(root: etree._Element) -> etree._Element | None:
    return root.find(".//oai:resumptionToken", NS)


TOKEN_TEXT = re.compile(r"^[A-Za-z0-9_-]+$")
