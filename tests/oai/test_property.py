"""Whatever a client sends, the answer is HTTP 200 and a schema-valid OAI-PMH response."""

from __future__ import annotations

from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from lxml import etree

from repo.oai.arguments import ALLOWED
from tests.oai.helpers import OAI, PREFIX, OAIClient, error_code, request_attributes, token_of

VERBS = ["Identify", "ListMetadataFormats", "ListSets", "GetRecord", "ListIdentifiers", "ListRecords"]
NAMES = ["verb", "metadataPrefix", "identifier", "from", "until", "set", "resumptionToken"]
GOOD_VALUES = [
    *VERBS,
    "oai_dc",
    "mods",
    "marc21",
    f"{PREFIX}l01",
    f"{PREFIX}withdrawn",
    f"{PREFIX}restricted",
    f"{PREFIX}bare",
    "2021-01-02",
    "2021-01-03T10:00:00Z",
    "2021-02-30",
    "letters",
    "maps",
    "empty",
    "",
    "TOKEN",
    "TOKEN-CUT",
]

# Mostly a legal verb and legal names, so that most examples get past badVerb and badArgument.
verbs = st.sampled_from([*VERBS, None])
names = st.one_of(st.sampled_from([*NAMES[1:] * 3, "verb"]), st.text(max_size=10))
values = st.one_of(st.sampled_from(GOOD_VALUES), st.text(max_size=40))
anything = st.tuples(verbs, st.lists(st.tuples(names, values), max_size=4))
# Requests shaped like their verb (its own argument names, mostly meaningful values), so the
# checks after argument validation are reached too.
mostly_good = st.integers(0, 5).flatmap(lambda n: st.sampled_from(GOOD_VALUES) if n else st.text(max_size=20))
shaped = st.sampled_from(VERBS).flatmap(
    lambda verb: st.tuples(
        st.just(verb),
        st.fixed_dictionaries({}, optional=dict.fromkeys(sorted(ALLOWED[verb]), mostly_good)).map(
            lambda d: sorted(d.items())
        ),
    )
)
queries = st.one_of(anything, shaped)
Query = tuple[str | None, list[tuple[str, str]]]
examples = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def token(oai: OAIClient) -> str:
    element = token_of(oai.get(verb="ListRecords", metadataPrefix="oai_dc"))
    assert element is not None and element.text
    return element.text


def _pairs(query: Query, token: str) -> list[tuple[str, str]]:
    verb, rest = query
    swap = {"TOKEN": token, "TOKEN-CUT": token[:-5]}
    return ([("verb", verb)] if verb else []) + [(name, swap.get(value, value)) for name, value in rest]


def _check(root: etree._Element) -> None:
    code = error_code(root)
    event(code or "answered")
    if code in ("badVerb", "badArgument"):
        assert request_attributes(root) == {}
    if code is None:
        verb = request_attributes(root)["verb"]
        assert root.find(f"{OAI}{verb}") is not None


@given(queries)
@examples
def test_any_arguments_over_get(oai: OAIClient, token: str, query: Query) -> None:
    _check(oai.query(urlencode(_pairs(query, token))))


@given(queries)
@examples
def test_any_arguments_over_post(oai: OAIClient, token: str, query: Query) -> None:
    response = oai.http.post(
        "/oai",
        content=urlencode(_pairs(query, token)).encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    _check(oai.check(response))


@given(st.text(max_size=80))
@examples
def test_any_query_string(oai: OAIClient, raw: str) -> None:
    # Keep the separators and escapes as typed: malformed percent escapes are part of the test.
    _check(oai.query(quote(raw, safe="&=%+;/?:@")))
