"""Property tests over HTTP, through the whole application: any IIIF image request and any OAI-PMH
query string is answered 2xx, 3xx or 4xx (an error in the one JSON shape, or an OAI <error>),
never a 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from repo.settings import Settings
from tests.api.helpers import Repository, ingest_item, open_repository
from tests.hostile.conftest import raw_get

examples = settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck), database=None)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Repository]:
    root = tmp_path_factory.mktemp("properties")
    # Small render limits: every valid request stays a quick render (^max would otherwise be 50 MP).
    settings = Settings(
        data_dir=root / "data",
        ingest_workers=2,
        oai_page_size=2,
        base_url="http://testserver",
        iiif_max_width=1500,
        iiif_max_height=1500,
        iiif_max_area=1_000_000,
    )
    for repository in open_repository(settings):
        ingest_item(repository.services, root / "scans", "MS-1")
        ingest_item(repository.services, root / "scans", "MS-2")
        yield repository


number = st.one_of(
    st.integers(0, 1200).map(str),
    st.integers(-5, 10**12).map(str),
    st.floats(0, 500, allow_nan=False).map(lambda f: f"{f:g}"),
    st.sampled_from(["", "-0", "1e3"]),
)
junk = st.text(max_size=20)
identifier = st.one_of(st.sampled_from(["MS-1~1", "MS-1~2", "MS-2~1", "MS-1~01", "MS-1", "~1"]), junk)
region = st.one_of(
    st.sampled_from(["full", "square"]),
    st.tuples(number, number, number, number).map(",".join),
    st.tuples(number, number, number, number).map(lambda t: "pct:" + ",".join(t)),
    junk,
)
size = st.one_of(
    st.sampled_from(["max", "^max"]),
    st.tuples(st.sampled_from(["", "^", "!", "^!"]), number, st.sampled_from([",", ",,"]), number).map("".join),
    number.map(lambda n: "pct:" + n),
    number.map(lambda n: "^pct:" + n),
    junk,
)
rotation = st.one_of(st.sampled_from(["0", "90", "180", "270", "!0", "!90", "22.5", "360", "-90"]), number, junk)
quality = st.tuples(
    st.sampled_from(["default", "color", "gray", "bitonal", ""]) | junk,
    st.sampled_from(["jpg", "png", "webp", "tif", "gif", "jp2", "pdf"]) | junk,
).map(".".join)


def _segment(text: str) -> bytes:
    return quote(text, safe="!,:^~").encode()


@given(identifier=identifier, region=region, size=size, rotation=rotation, quality=quality)
@examples
def test_any_image_request_is_answered_without_a_server_error(
    repo: Repository, identifier: str, region: str, size: str, rotation: str, quality: str
) -> None:
    path = b"/".join(
        [b"/iiif/3", _segment(identifier), _segment(region), _segment(size), _segment(rotation), _segment(quality)]
    )
    response = raw_get(repo.app, path)
    assert response.status_code < 500, (path, response.status_code, response.text[:200])
    if response.status_code >= 400:
        assert response.json()["error"]["status"] == response.status_code


@given(identifier=identifier, tail=st.sampled_from(["", "/", "/info.json", "/info.json/x"]) | junk)
@examples
def test_any_info_request_is_answered_without_a_server_error(repo: Repository, identifier: str, tail: str) -> None:
    path = b"/iiif/3/" + _segment(identifier) + quote(tail, safe="/").encode()
    response = raw_get(repo.app, path)
    assert response.status_code < 500, (path, response.status_code)


oai_names = st.one_of(
    st.sampled_from(["verb", "metadataPrefix", "identifier", "from", "until", "set", "resumptionToken"]),
    st.text(max_size=8),
)
oai_values = st.one_of(
    st.sampled_from(
        [
            "Identify",
            "ListRecords",
            "ListIdentifiers",
            "GetRecord",
            "ListSets",
            "ListMetadataFormats",
            "oai_dc",
            "mods",
            "oai:muniment.example.org:MS-1",
            "2021-01-01",
            "2999-12-31T00:00:00Z",
            "letters",
            "x" * 3000,
        ]
    ),
    st.text(max_size=30),
)


@given(pairs=st.lists(st.tuples(oai_names, oai_values), max_size=5), raw=st.text(max_size=60))
@examples
def test_any_oai_request_is_answered_without_a_server_error(
    repo: Repository, pairs: list[tuple[str, str]], raw: str
) -> None:
    query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)
    for text in (query, quote(raw, safe="&=%+;/?:@"), raw.encode("utf-8", "surrogatepass").hex()):
        response = raw_get(repo.app, b"/oai?" + text.encode("ascii", "ignore"))
        assert response.status_code in (200, 400, 405), (text, response.status_code)
        post = repo.client.post(
            "/oai",
            content=text.encode("utf-8", "surrogatepass"),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert post.status_code < 500
