"""OAI-PMH resumption tokens bit-flipped, truncated, from another verb, or with extra arguments,
through the whole application: each a 200 whose <error> names the fault; never a 500."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from lxml import etree
from starlette.testclient import TestClient

from app.web import create_app
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
