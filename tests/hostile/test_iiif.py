"""IIIF identifiers that try to escape ('..', '%2e%2e', '%252e%252e', NUL, CR/LF, file: and http:
URLs) are 404s that open nothing and fetch nothing; sizes that try to make the server do huge work
(99999,99999; ^pct:10000; a 1-pixel region scaled to 3000 wide) are 400s naming the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.api.helpers import ingest_item
from tests.hostile.conftest import Hostile, raw_get

TAILS = [b"/info.json", b"/full/max/0/default.jpg", b""]


def identifiers(hostile: Hostile) -> list[bytes]:
    secret = str(hostile.outside.secret).encode()
    url = hostile.http.url.encode()
    return [
        b"..",
        b"../../../../../../.." + secret,
        b"MS-1~1/../../../..",
        b"%2e%2e",
        b"%2e%2e%2f%2e%2e" + secret,
        b"%252e%252e",
        b"%252e%252e%252f" + secret,
        b"MS-1~1%00",
        b"%00",
        b"MS-1~1%0d%0aSet-Cookie:%20a=b",
        b"MS-1~1%0aX",
        b"file:" + secret,
        b"file:%2f%2f" + secret.replace(b"/", b"%2f"),
        b"file://" + secret,
        url + b"/x",
        url.replace(b"/", b"%2f") + b"%2fx",
        b"http:%2F%2F127.0.0.1%2Fx",
        b"~",
        b".hidden",
    ]


@pytest.fixture
def item(hostile: Hostile, tmp_path: Path) -> Hostile:
    ingest_item(hostile.repo.services, tmp_path / "scans", "MS-1")
    hostile.mark()
    return hostile


def test_hostile_identifiers_are_not_found(item: Hostile) -> None:
    assert raw_get(item.repo.app, b"/iiif/3/MS-1~1/info.json").status_code == 200
    for identifier in identifiers(item):
        for tail in TAILS:
            response = raw_get(item.repo.app, b"/iiif/3/" + identifier + tail)
            assert response.status_code in (400, 404), (identifier + tail, response.status_code)
            assert "set-cookie" not in response.headers
            assert response.json()["error"]["status"] == response.status_code
            assert str(item.outside.folder) not in response.text


@pytest.mark.parametrize(
    ("request_text", "reason"),
    [
        ("full/99999,99999/0/default.jpg", "needs the ^ prefix"),
        ("full/^99999,99999/0/default.jpg", ""),
        ("full/^pct:10000/0/default.jpg", ""),
        ("0,0,1,1/3000,/0/default.jpg", "needs the ^ prefix"),
        ("0,0,1,1/^30000,/0/default.jpg", ""),
        ("full/pct:100000000000000000000/0/default.jpg", ""),
        ("full/!99999999999999999999,99999999999999999999/0/default.jpg", ""),
        ("99999999999,99999999999,1,1/max/0/default.jpg", ""),
    ],
)
def test_sizes_that_ask_for_huge_work_are_refused(item: Hostile, request_text: str, reason: str) -> None:
    response = raw_get(item.repo.app, b"/iiif/3/MS-1~1/" + request_text.encode())
    assert response.status_code == 400, (request_text, response.status_code, response.text)
    assert reason in response.json()["error"]["message"]


def test_the_largest_allowed_upscale_is_bounded(item: Hostile) -> None:
    # ^ asks for upscaling, which IIIF allows up to maxWidth/maxArea: served, at the bounded size.
    response = raw_get(item.repo.app, b"/iiif/3/MS-1~1/0,0,1,1/^3000,/0/default.jpg")
    assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
