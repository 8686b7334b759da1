"""The six verbs answering as the specification says (errors are in test_errors.py)."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta

import pytest
from starlette.testclient import TestClient

from app.web import create_app
from repo.services import Services
from tests.oai.conftest import PAGE_SIZE
from tests.oai.helpers import (
    NS,
    OAI,
    PREFIX,
    TOKEN_TEXT,
    OAIClient,
    deletions,
    error_code,
    expected,
    header_of,
    identifiers,
    open_services,
    request_attributes,
    token_of,
)

DC = "{http://purl.org/dc/elements/1.1/}"
MODS = "{http://www.loc.gov/mods/v3}"


def test_identify(oai: OAIClient) -> None:
    root = oai.get(verb="Identify")
    assert request_attributes(root) == {"verb": "Identify"}
    identify = root.find(f"{OAI}Identify")
    assert identify is not None
    assert identify.findtext(f"{OAI}repositoryName") == "Muniment"
    assert identify.findtext(f"{OAI}baseURL") == "http://127.0.0.1:8000/oai"
    assert identify.findtext(f"{OAI}protocolVersion") == "2.0"
    assert identify.findtext(f"{OAI}adminEmail") == "admin@example.org"
    assert identify.findtext(f"{OAI}earliestDatestamp") == "2021-01-01T10:00:00Z"
    assert identify.findtext(f"{OAI}deletedRecord") == "persistent"
    assert identify.findtext(f"{OAI}granularity") == "YYYY-MM-DDThh:mm:ssZ"
    assert identify.findtext(f"{OAI}compression") == "gzip"
    description = "{http://www.openarchives.org/OAI/2.0/oai-identifier}"
    assert identify.findtext(f".//{description}repositoryIdentifier") == "muniment.example.org"
    assert (identify.findtext(f".//{description}sampleIdentifier") or "").startswith(PREFIX)


def test_identify_of_an_empty_repository(empty_oai: OAIClient) -> None:
    root = empty_oai.get(verb="Identify")
    assert root.findtext(f".//{OAI}earliestDatestamp")


def test_response_date_is_now_in_utc(oai: OAIClient) -> None:
    stamp = oai.get(verb="Identify").findtext(f"{OAI}responseDate") or ""
    moment = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs(datetime.now(UTC) - moment) < timedelta(seconds=5)


@pytest.mark.parametrize("identifier", [None, f"{PREFIX}l01", f"{PREFIX}withdrawn", f"{PREFIX}purged"])
def test_list_metadata_formats(oai: OAIClient, identifier: str | None) -> None:
    arguments = {"identifier": identifier} if identifier else {}
    root = oai.get(verb="ListMetadataFormats", **arguments)
    formats = {
        f.findtext(f"{OAI}metadataPrefix"): (f.findtext(f"{OAI}schema"), f.findtext(f"{OAI}metadataNamespace"))
        for f in root.iterfind(".//oai:metadataFormat", NS)
    }
    expected = {
        "oai_dc": ("http://www.openarchives.org/OAI/2.0/oai_dc.xsd", "http://www.openarchives.org/OAI/2.0/oai_dc/"),
        "mods": ("http://www.loc.gov/standards/mods/v3/mods-3-8.xsd", "http://www.loc.gov/mods/v3"),
    }
    # the repository, and every tombstone, has marcxml; l01 was catalogued without a MARC record
    if identifier != f"{PREFIX}l01":
        expected["marcxml"] = ("http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd", MARC)
    assert formats == expected


MARC = "http://www.loc.gov/MARC21/slim"


def test_list_sets_with_descriptions(oai: OAIClient) -> None:
    root = oai.get(verb="ListSets")
    sets = {s.findtext(f"{OAI}setSpec"): s for s in root.iterfind(".//oai:set", NS)}
    assert set(sets) == {"letters", "maps", "empty"}
    assert sets["maps"].findtext(f"{OAI}setName") == "Maps"
    assert sets["maps"].findtext(f"{OAI}setDescription/*/{DC}description") == "The maps"
    assert token_of(root) is None


@pytest.mark.parametrize(("prefix", "title_path"), [("oai_dc", f"{DC}title"), ("mods", f"{MODS}titleInfo/{MODS}title")])
def test_get_record(oai: OAIClient, prefix: str, title_path: str) -> None:
    root = oai.get(verb="GetRecord", identifier=f"{PREFIX}m02", metadataPrefix=prefix)
    arguments = {"verb": "GetRecord", "identifier": f"{PREFIX}m02", "metadataPrefix": prefix}
    assert request_attributes(root) == arguments
    record = root.find(f"{OAI}GetRecord/{OAI}record")
    assert record is not None
    header = header_of(record)
    assert header.get("status") is None
    assert header.findtext(f"{OAI}identifier") == f"{PREFIX}m02"
    assert header.findtext(f"{OAI}datestamp") == "2021-01-02T10:00:00Z"
    assert [s.text for s in header.iterfind(f"{OAI}setSpec")] == ["maps"]
    metadata = record.find(f"{OAI}metadata")
    assert metadata is not None and len(metadata) == 1
    assert metadata[0].findtext(title_path) == "Letter m02 to Ada & <Charles> – «ünïcode»"


def test_a_record_stored_as_received_is_served_as_it_is(oai: OAIClient) -> None:
    root = oai.get(verb="GetRecord", identifier=f"{PREFIX}loc-book", metadataPrefix="mods")
    mods = root.find(f".//{OAI}metadata/{MODS}mods")
    assert mods is not None and mods.get("version") == "3.4"
    assert mods.findtext(f"{MODS}titleInfo/{MODS}subTitle") == "the making of the punditocracy"
    dc = oai.get(verb="GetRecord", identifier=f"{PREFIX}loc-book", metadataPrefix="oai_dc")
    assert dc.findtext(f".//{OAI}metadata/*/{DC}title", "").startswith("Sound and fury")


@pytest.mark.parametrize("item", ["withdrawn", "purged"])
@pytest.mark.parametrize("prefix", ["oai_dc", "mods"])
def test_get_record_of_a_deleted_item_is_a_marked_header(oai: OAIClient, item: str, prefix: str) -> None:
    root = oai.get(verb="GetRecord", identifier=PREFIX + item, metadataPrefix=prefix)
    record = root.find(f".//{OAI}record")
    assert record is not None
    assert header_of(record).get("status") == "deleted"
    assert record.find(f"{OAI}metadata") is None


def test_an_item_past_its_embargo_is_disseminated(oai: OAIClient) -> None:
    root = oai.get(verb="GetRecord", identifier=f"{PREFIX}embargo-past", metadataPrefix="oai_dc")
    assert root.find(f".//{OAI}metadata") is not None


@pytest.mark.parametrize("prefix", ["oai_dc", "mods"])
def test_list_records_returns_every_record_once(oai: OAIClient, services: Services, prefix: str) -> None:
    records = oai.harvest("ListRecords", metadataPrefix=prefix)
    ids = identifiers(records)
    assert len(ids) == len(set(ids))
    assert deletions(records) == expected(services.catalog, prefix)
    assert f"{PREFIX}embargo-past" in ids and f"{PREFIX}bare" not in ids and f"{PREFIX}restricted" not in ids
    for record in records:
        has_metadata = record.find(f"{OAI}metadata") is not None
        assert has_metadata == (header_of(record).get("status") != "deleted")


def test_records_come_in_datestamp_order(oai: OAIClient) -> None:
    stamps = [
        header_of(r).findtext(f"{OAI}datestamp") or "" for r in oai.harvest("ListIdentifiers", metadataPrefix="oai_dc")
    ]
    assert stamps == sorted(stamps)


def test_list_identifiers_matches_list_records(oai: OAIClient) -> None:
    headers = oai.harvest("ListIdentifiers", metadataPrefix="mods")
    assert identifiers(headers) == identifiers(oai.harvest("ListRecords", metadataPrefix="mods"))
    assert all(h.tag == f"{OAI}header" for h in headers)


def test_resumption_tokens_carry_cursor_size_and_expiry(oai: OAIClient, services: Services) -> None:
    total = len(expected(services.catalog))
    root = oai.get(verb="ListRecords", metadataPrefix="oai_dc")
    cursors = []
    while True:
        token = token_of(root)
        assert token is not None
        cursors.append(int(token.get("cursor", "-1")))
        if not token.text:  # the last page: the size is known now, without counting
            assert token.get("expirationDate") is None
            assert int(token.get("completeListSize", "0")) == total
            break
        assert token.get("completeListSize") is None  # optional: the first page never counts the list
        assert TOKEN_TEXT.match(token.text)
        expires = datetime.strptime(token.get("expirationDate", ""), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        assert timedelta(hours=23) < expires - datetime.now(UTC) <= timedelta(hours=24)
        root = oai.get(verb="ListRecords", resumptionToken=token.text)
        assert request_attributes(root) == {"verb": "ListRecords", "resumptionToken": token.text}
    assert cursors == list(range(0, total, PAGE_SIZE))


def test_a_list_that_fits_one_page_has_no_token(oai: OAIClient) -> None:
    root = oai.get(verb="ListRecords", metadataPrefix="oai_dc", set="maps")
    assert len(root.findall(f".//{OAI}record")) == 3
    assert token_of(root) is None


@pytest.mark.parametrize("collection", ["letters", "maps"])
def test_selective_harvest_by_set(oai: OAIClient, services: Services, collection: str) -> None:
    headers = oai.harvest("ListIdentifiers", metadataPrefix="oai_dc", set=collection)
    assert set(identifiers(headers)) == set(expected(services.catalog, collection=collection))
    assert all([s.text for s in h.iterfind(f"{OAI}setSpec")] == [collection] for h in headers)


WINDOWS = {
    "days, inclusive": ({"from": "2021-01-02", "until": "2021-01-03"}, "2021-01-02T00:00:00Z", "2021-01-03T23:59:59Z"),
    "seconds, inclusive": (
        {"from": "2021-01-02T10:00:00Z", "until": "2021-01-03T10:00:00Z"},
        "2021-01-02T10:00:00Z",
        "2021-01-03T10:00:00Z",
    ),
    "from only": ({"from": "2021-01-09"}, "2021-01-09T00:00:00Z", "9999"),
    "until only": ({"until": "2021-01-02T09:59:59Z"}, "", "2021-01-02T09:59:59Z"),
    "deleted items only": ({"from": "2021-02-01", "until": "2021-02-02"}, "2021-02-01", "2021-02-02T23:59:59Z"),
}


@pytest.mark.parametrize(("arguments", "lower", "upper"), WINDOWS.values(), ids=WINDOWS.keys())
def test_selective_harvest_by_date(
    oai: OAIClient, services: Services, arguments: dict[str, str], lower: str, upper: str
) -> None:
    records = oai.harvest("ListRecords", metadataPrefix="oai_dc", **arguments)
    want = expected(services.catalog, lower=lower, upper=upper)
    assert want
    assert deletions(records) == want


def test_post_answers_like_get(oai: OAIClient) -> None:
    get = oai.get(verb="ListIdentifiers", metadataPrefix="oai_dc", set="maps")
    post = oai.post(verb="ListIdentifiers", metadataPrefix="oai_dc", set="maps")
    assert identifiers(get.iterfind(f".//{OAI}header")) == identifiers(post.iterfind(f".//{OAI}header"))
    assert request_attributes(post) == request_attributes(get)


def test_post_resumes_with_a_token(oai: OAIClient) -> None:
    token = token_of(oai.post(verb="ListRecords", metadataPrefix="oai_dc"))
    assert token is not None and token.text
    assert error_code(oai.post(verb="ListRecords", resumptionToken=token.text)) is None


def test_gzip_when_asked(oai: OAIClient) -> None:
    arguments = {"verb": "ListRecords", "metadataPrefix": "mods"}
    zipped = oai.http.get("/oai", params=arguments, headers={"accept-encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    oai.check(zipped)  # httpx has decompressed it
    plain = oai.http.get("/oai", params=arguments, headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers
    oai.check(plain)
    with oai.http.stream("GET", "/oai", params=arguments, headers={"accept-encoding": "gzip"}) as raw:
        body = gzip.decompress(b"".join(raw.iter_raw()))
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')


def test_tokens_resume_on_another_worker_and_not_under_another_key(tmp_path, services: Services) -> None:
    token = token_of(OAIClient(services).get(verb="ListIdentifiers", metadataPrefix="oai_dc"))
    assert token is not None and token.text
    url = services.settings.catalog_url
    same_key = open_services(tmp_path / "a", database_url=url)
    other_key = open_services(tmp_path / "b", database_url=url, secret_key="another")
    try:
        assert error_code(OAIClient(same_key).get(verb="ListIdentifiers", resumptionToken=token.text)) is None
        root = OAIClient(other_key).get(verb="ListIdentifiers", resumptionToken=token.text)
        assert error_code(root) == "badResumptionToken"
    finally:
        same_key.close()
        other_key.close()


def test_an_expired_token_is_refused(tmp_path, services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    oai = OAIClient(services)
    token = token_of(oai.get(verb="ListIdentifiers", metadataPrefix="oai_dc"))
    assert token is not None and token.text
    later = datetime.now(UTC) + timedelta(hours=25)

    class Later(datetime):
        @classmethod
        def now(cls, tz=None):
            return later

    monkeypatch.setattr("app.web.oai.datetime", Later)
    assert error_code(oai.get(verb="ListIdentifiers", resumptionToken=token.text)) == "badResumptionToken"


def test_the_application_serves_oai_pmh(tmp_path) -> None:
    services = open_services(tmp_path)
    try:
        with TestClient(create_app(services.settings, services)) as client:
            response = client.get("/oai", params={"verb": "Identify"})
            assert response.status_code == 200
            assert response.headers["content-type"] == "text/xml; charset=utf-8"
            OAIClient(services).check(response)
            assert OAIClient(services).check(client.post("/oai", data={"verb": "ListSets"})) is not None
    finally:
        services.close()
