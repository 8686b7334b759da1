"""OAI-PMH resumption tokens bit-flipped, truncated, from another verb, or with extra arguments,
through the whole application: each a 200 whose <error> names the fault; never a 500."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree
from starlette.testclient import TestClient

from app.web import create_app
from repo.oai.errors import OAIError
from repo.oai.tokens import TokenCodec
from repo.services import Services
from tests.oai.helpers import Spec, assert_valid, error_code, open_services, seed, token_of


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    services: Services = open_services(tmp_path_factory.mktemp("oai-hostile"), page_size=2)
    seed(services.catalog, [Spec(f"i{n}", f"2021-01-0{n}T00:00:00Z") for n in range(1, 6)])
    with TestClient(create_app(services.settings, services)) as test_client:
        yield test_client


def _get(client: TestClient, **args: str) -> etree._Element:
    response = client.get("/oai", params=args)
    assert response.status_code == 200
    return assert_valid(response.content)


def _token(client: TestClient, verb: str) -> str:
    element = token_of(_get(client, verb=verb, metadataPrefix="oai_dc"))
    assert element is not None and element.text
    return element.text


def _flip(token: str, bit: int) -> str:
    """The token with one bit of its bytes flipped (encoded again the way tokens are)."""
    data = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    data[bit // 8] ^= 1 << (bit % 8)
    return base64.urlsafe_b64encode(bytes(data)).decode().rstrip("=")


def test_a_bit_flipped_token(client: TestClient) -> None:
    token = _token(client, "ListRecords")
    bits = len(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))) * 8
    for bit in (0, 7, 100, bits // 2, bits - 9, bits - 1):  # the payload, and the signature at its end
        assert error_code(_get(client, verb="ListRecords", resumptionToken=_flip(token, bit))) == (
            "badResumptionToken"
        ), bit


def test_a_truncated_token(client: TestClient) -> None:
    token = _token(client, "ListRecords")
    for cut in (1, 5, len(token) // 2, len(token) - 1):
        assert error_code(_get(client, verb="ListRecords", resumptionToken=token[:-cut])) == "badResumptionToken"


def test_a_token_from_another_verb(client: TestClient) -> None:
    token = _token(client, "ListIdentifiers")
    assert error_code(_get(client, verb="ListRecords", resumptionToken=token)) == "badResumptionToken"
    assert error_code(_get(client, verb="ListSets", resumptionToken=token)) == "badResumptionToken"


def test_a_token_with_extra_arguments(client: TestClient) -> None:
    token = _token(client, "ListRecords")
    for extra in ({"metadataPrefix": "oai_dc"}, {"from": "2021-01-01"}, {"set": "letters"}):
        root = _get(client, verb="ListRecords", resumptionToken=token, **extra)
        assert error_code(root) == "badArgument"
    assert error_code(_get(client, verb="ListRecords", resumptionToken=token)) is None, "the token itself is good"


def test_without_a_secret_key_tokens_are_signed_with_a_random_key_kept_in_the_catalog(
    tmp_path: Path, catalog_url: str
) -> None:
    first = open_services(tmp_path / "first", database_url=catalog_url, page_size=2)
    seed(first.catalog, [Spec(f"i{n}", f"2021-01-0{n}T00:00:00Z") for n in range(1, 6)])
    token = _token(TestClient(create_app(first.settings, first)), "ListIdentifiers")
    public_constant = TokenCodec("change-me-muniment-secret")  # the default once: anyone could sign with it
    with pytest.raises(OAIError):
        public_constant.decode(token, "ListIdentifiers", now=0)
    # Another worker, another data folder, the same catalog: the same key, so the token resumes.
    again = open_services(tmp_path / "again", database_url=catalog_url, page_size=2)
    other = open_services(tmp_path / "other", page_size=2)  # a catalog of its own: a key of its own
    seed(other.catalog, [Spec(f"i{n}", f"2021-01-0{n}T00:00:00Z") for n in range(1, 6)])
    try:
        resumed = _get(TestClient(create_app(again.settings, again)), verb="ListIdentifiers", resumptionToken=token)
        assert error_code(resumed) is None
        refused = _get(TestClient(create_app(other.settings, other)), verb="ListIdentifiers", resumptionToken=token)
        assert error_code(refused) == "badResumptionToken"
    finally:
        for services in (first, again, other):
            services.close()
