"""Every error condition of OAI-PMH 2.0 in its exact situation: HTTP 200, the right code, the
right ``<request>`` element (no attributes for badVerb and badArgument), never a 500."""

from __future__ import annotations

import base64

import pytest

from repo.oai.errors import OAIError
from repo.oai.tokens import ListState, TokenCodec
from tests.oai.helpers import PREFIX, OAIClient, error_code, request_attributes, token_of

BAD_VERB = {
    "missing verb": "metadataPrefix=oai_dc",
    "empty verb": "verb=",
    "unknown verb": "verb=ListEverything",
    "verb in the wrong case": "verb=identify",
    "repeated verb": "verb=Identify&verb=Identify",
    "two different verbs": "verb=Identify&verb=ListSets",
    "no arguments at all": "",
}


@pytest.mark.parametrize("query", BAD_VERB.values(), ids=BAD_VERB.keys())
def test_bad_verb(oai: OAIClient, query: str) -> None:
    root = oai.query(query)
    assert error_code(root) == "badVerb"
    assert request_attributes(root) == {}


BAD_ARGUMENT = {
    "Identify with an argument": "verb=Identify&metadataPrefix=oai_dc",
    "unknown argument": "verb=ListRecords&metadataPrefix=oai_dc&color=red",
    "argument of another verb": "verb=ListSets&metadataPrefix=oai_dc",
    "GetRecord without identifier": "verb=GetRecord&metadataPrefix=oai_dc",
    "GetRecord without metadataPrefix": f"verb=GetRecord&identifier={PREFIX}l01",
    "ListRecords without metadataPrefix": "verb=ListRecords",
    "ListIdentifiers without metadataPrefix": "verb=ListIdentifiers&from=2021-01-01",
    "repeated metadataPrefix": "verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=mods",
    "repeated identical set": "verb=ListRecords&metadataPrefix=oai_dc&set=maps&set=maps",
    "empty metadataPrefix": "verb=ListRecords&metadataPrefix=",
    "illegal metadataPrefix": "verb=ListRecords&metadataPrefix=oai%20dc",
    "illegal set": "verb=ListRecords&metadataPrefix=oai_dc&set=a%20b",
    "set with an empty level": "verb=ListRecords&metadataPrefix=oai_dc&set=a::b",
    "identifier that is no URI": "verb=GetRecord&metadataPrefix=oai_dc&identifier=not%20a%20uri",
    "from is not a date": "verb=ListRecords&metadataPrefix=oai_dc&from=yesterday",
    "from is not a real date": "verb=ListRecords&metadataPrefix=oai_dc&from=2021-02-30",
    "until with a time zone offset": "verb=ListRecords&metadataPrefix=oai_dc&until=2021-01-01T00:00:00%2B01",
    "until with minutes granularity": "verb=ListRecords&metadataPrefix=oai_dc&until=2021-01-01T00:00Z",
    "until with fractions of seconds": "verb=ListRecords&metadataPrefix=oai_dc&until=2021-01-01T00:00:00.5Z",
    "mixed granularity": "verb=ListRecords&metadataPrefix=oai_dc&from=2021-01-01&until=2021-01-02T00:00:00Z",
    "from later than until": "verb=ListIdentifiers&metadataPrefix=oai_dc&from=2021-02-01&until=2021-01-01",
    "resumptionToken with metadataPrefix": "verb=ListRecords&metadataPrefix=oai_dc&resumptionToken=abc",
    "resumptionToken with from": "verb=ListIdentifiers&from=2021-01-01&resumptionToken=abc",
    "empty resumptionToken": "verb=ListRecords&resumptionToken=",
    "control character in a value": "verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:x:%01",
    "value too long": "verb=ListRecords&resumptionToken=" + "A" * 5000,
}


@pytest.mark.parametrize("query", BAD_ARGUMENT.values(), ids=BAD_ARGUMENT.keys())
def test_bad_argument(oai: OAIClient, query: str) -> None:
    root = oai.query(query)
    assert error_code(root) == "badArgument"
    assert request_attributes(root) == {}


def test_bad_argument_for_a_post_that_is_not_a_form(oai: OAIClient) -> None:
    response = oai.http.post("/oai", content=b'{"verb": "Identify"}', headers={"content-type": "application/json"})
    root = oai.check(response)
    assert error_code(root) == "badArgument"


def _first_token(oai: OAIClient, verb: str = "ListRecords", **arguments: str) -> str:
    token = token_of(oai.get(verb=verb, metadataPrefix="oai_dc", **arguments))
    assert token is not None and token.text
    return token.text


def _flip(token: str, index: int) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    return token[:index] + alphabet[(alphabet.index(token[index]) + 1) % 64] + token[index + 1 :]


def _assert_bad_token(oai: OAIClient, verb: str, token: str) -> None:
    root = oai.get(verb=verb, resumptionToken=token)
    assert error_code(root) == "badResumptionToken"
    assert request_attributes(root) == {"verb": verb, "resumptionToken": token}


@pytest.mark.parametrize("where", ["start", "middle", "signature"])
def test_a_token_with_one_character_changed_is_refused(oai: OAIClient, where: str) -> None:
    token = _first_token(oai)
    index = {"start": 0, "middle": len(token) // 2, "signature": len(token) - 3}[where]
    _assert_bad_token(oai, "ListRecords", _flip(token, index))


@pytest.mark.parametrize("cut", [1, 2, 3, 22, 40])
def test_a_truncated_token_is_refused(oai: OAIClient, cut: int) -> None:
    token = _first_token(oai)
    _assert_bad_token(oai, "ListRecords", token[:-cut])


def test_a_token_with_something_appended_is_refused(oai: OAIClient) -> None:
    _assert_bad_token(oai, "ListRecords", _first_token(oai) + "AA")


def test_a_token_of_another_verb_is_refused(oai: OAIClient) -> None:
    _assert_bad_token(oai, "ListRecords", _first_token(oai, "ListIdentifiers"))
    _assert_bad_token(oai, "ListIdentifiers", _first_token(oai, "ListRecords"))


def test_a_list_token_given_to_list_sets_is_refused(oai: OAIClient) -> None:
    _assert_bad_token(oai, "ListSets", _first_token(oai))


@pytest.mark.parametrize("token", ["abc", "not a token!", "A" * 64, "%%%", "WzEsIkxpc3RSZWNvcmRzIl0"])
def test_invented_tokens_are_refused(oai: OAIClient, token: str) -> None:
    _assert_bad_token(oai, "ListRecords", token)


def test_cannot_disseminate_an_unknown_format_in_get_record(oai: OAIClient) -> None:
    root = oai.get(verb="GetRecord", identifier=f"{PREFIX}l01", metadataPrefix="marc21")
    assert error_code(root) == "cannotDisseminateFormat"
    assert request_attributes(root) == {"verb": "GetRecord", "identifier": f"{PREFIX}l01", "metadataPrefix": "marc21"}


@pytest.mark.parametrize("verb", ["ListRecords", "ListIdentifiers"])
def test_cannot_disseminate_an_unknown_format_in_lists(oai: OAIClient, verb: str) -> None:
    root = oai.get(verb=verb, metadataPrefix="marc21", set="maps")
    assert error_code(root) == "cannotDisseminateFormat"
    assert request_attributes(root) == {"verb": verb, "metadataPrefix": "marc21", "set": "maps"}


def test_cannot_disseminate_a_format_the_item_lacks(oai: OAIClient) -> None:
    root = oai.get(verb="GetRecord", identifier=f"{PREFIX}bare", metadataPrefix="oai_dc")
    assert error_code(root) == "cannotDisseminateFormat"


ABSENT = {
    "unknown item": f"{PREFIX}nothing-here",
    "another repository's identifier": "oai:other.example.org:l01",
    "not an oai identifier": "http://example.org/l01",
    "the bare prefix": PREFIX,
    "restricted item": f"{PREFIX}restricted",
    "item under embargo": f"{PREFIX}embargo-future",
}


@pytest.mark.parametrize("identifier", ABSENT.values(), ids=ABSENT.keys())
@pytest.mark.parametrize("verb", ["GetRecord", "ListMetadataFormats"])
def test_id_does_not_exist(oai: OAIClient, verb: str, identifier: str) -> None:
    arguments = {"identifier": identifier} | ({"metadataPrefix": "oai_dc"} if verb == "GetRecord" else {})
    root = oai.get(verb=verb, **arguments)
    assert error_code(root) == "idDoesNotExist"
    assert request_attributes(root) == {"verb": verb, **arguments}


NO_RECORDS = {
    "window before every record": {"until": "2000-01-01"},
    "window after every record": {"from": "2999-01-01T00:00:00Z"},
    "window between records": {"from": "2021-01-01T10:00:01Z", "until": "2021-01-02T09:59:59Z"},
    "set without items": {"set": "empty"},
    "set that does not exist": {"set": "no-such-collection"},
    "set and window that do not meet": {"set": "maps", "from": "2021-01-04"},
}


@pytest.mark.parametrize("arguments", NO_RECORDS.values(), ids=NO_RECORDS.keys())
@pytest.mark.parametrize("verb", ["ListRecords", "ListIdentifiers"])
def test_no_records_match(oai: OAIClient, verb: str, arguments: dict[str, str]) -> None:
    root = oai.get(verb=verb, metadataPrefix="oai_dc", **arguments)
    assert error_code(root) == "noRecordsMatch"
    assert request_attributes(root) == {"verb": verb, "metadataPrefix": "oai_dc", **arguments}


def test_no_metadata_formats_for_an_item_without_records(oai: OAIClient) -> None:
    root = oai.get(verb="ListMetadataFormats", identifier=f"{PREFIX}bare")
    assert error_code(root) == "noMetadataFormats"
    assert request_attributes(root) == {"verb": "ListMetadataFormats", "identifier": f"{PREFIX}bare"}


def test_no_set_hierarchy_in_list_sets(empty_oai: OAIClient) -> None:
    root = empty_oai.get(verb="ListSets")
    assert error_code(root) == "noSetHierarchy"
    assert request_attributes(root) == {"verb": "ListSets"}


@pytest.mark.parametrize("verb", ["ListRecords", "ListIdentifiers"])
def test_no_set_hierarchy_for_a_selective_harvest(empty_oai: OAIClient, verb: str) -> None:
    root = empty_oai.get(verb=verb, metadataPrefix="oai_dc", set="letters")
    assert error_code(root) == "noSetHierarchy"


def test_an_empty_repository_has_no_records(empty_oai: OAIClient) -> None:
    assert error_code(empty_oai.get(verb="ListRecords", metadataPrefix="mods")) == "noRecordsMatch"


def test_errors_are_the_same_over_post(oai: OAIClient) -> None:
    assert error_code(oai.post(verb="ListRecords", metadataPrefix="marc21")) == "cannotDisseminateFormat"
    assert error_code(oai.post(verb="Nope")) == "badVerb"


def _same_bytes_other_spelling(token: str) -> list[str]:
    """Tokens differing from ``token`` only in the unused low bits of its last base64 character."""

    def decoded(t: str) -> bytes:
        return base64.urlsafe_b64decode(t + "=" * (-len(t) % 4))

    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    spellings = (token[:-1] + c for c in alphabet if c != token[-1])
    return [t for t in spellings if decoded(t) == decoded(token)]


def test_a_token_spelled_with_other_spare_bits_is_refused() -> None:
    codec = TokenCodec("secret")
    spare_bits_seen = set()
    for set_spec in (None, "x", "xy", "xyz"):  # payload lengths that end on every partial character
        state = ListState("ListRecords", "oai_dc", set_spec, None, "2026-01-01T00:00:00Z", "", "", 0, 10, 2**40)
        token = codec.encode(state)
        assert codec.decode(token, "ListRecords", now=0) == state
        variants = _same_bytes_other_spelling(token)
        assert len(variants) == {0: 0, 2: 15, 3: 3}[len(token) % 4]
        spare_bits_seen.add(len(token) % 4)
        for variant in variants:
            with pytest.raises(OAIError):
                codec.decode(variant, "ListRecords", now=0)
    assert {2, 3} <= spare_bits_seen
