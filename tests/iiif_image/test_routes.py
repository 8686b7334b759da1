"""HTTP behaviour: redirects, info.json and content negotiation, CORS, conditional requests, Link
headers, caching, error codes, and identifiers that try to escape."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from iiif.image import ImageServerConfig, ResolvedImage, image_mount
from iiif.image.fastpath import standalone_jpeg
from iiif.image.request import parse_request, resolve
from iiif.image.source import LocalFileSource
from iiif.image.tiff import read_pyramid
from storage import FilesystemStorage
from tests.iiif_image.conftest import MODIFIED, DictResolver, RemoteOnly, decode

IMAGE = "/iiif/3/rgb-1000x800"
TILE = f"{IMAGE}/0,0,256,256/256,256/0/default.jpg"
LD_JSON = 'application/ld+json;profile="http://iiif.io/api/image/3/context.json"'


def test_base_uri_redirects_to_info(client: TestClient) -> None:
    for path in (IMAGE, IMAGE + "/"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "http://testserver/iiif/3/rgb-1000x800/info.json"
        assert response.headers["access-control-allow-origin"] == "*"


def test_info_json(client: TestClient) -> None:
    response = client.get(f"{IMAGE}/info.json")
    assert response.status_code == 200
    info = response.json()
    assert next(iter(info)) == "@context"
    assert info["@context"] == "http://iiif.io/api/image/3/context.json"
    assert info["id"] == "http://testserver/iiif/3/rgb-1000x800"
    assert info["type"] == "ImageService3" and info["protocol"] == "http://iiif.io/api/image"
    assert info["profile"] == "level2"
    assert (info["width"], info["height"]) == (1000, 800)
    assert (info["maxWidth"], info["maxHeight"], info["maxArea"]) == (10000, 10000, 50_000_000)
    assert info["sizes"] == [
        {"width": 250, "height": 200},
        {"width": 500, "height": 400},
        {"width": 1000, "height": 800},
    ]
    assert info["tiles"] == [{"width": 256, "scaleFactors": [1, 2, 4]}]
    assert info["extraFormats"] == ["webp", "tif", "gif"]
    assert info["extraQualities"] == ["color", "gray", "bitonal"]
    for feature in (
        "mirroring",
        "rotationArbitrary",
        "regionSquare",
        "sizeUpscaling",
        "profileLinkHeader",
        "canonicalLinkHeader",
        "jsonldMediaType",
        "baseUriRedirect",
        "cors",
    ):
        assert feature in info["extraFeatures"]
    assert "rights" not in info
    for size in info["sizes"]:  # every listed size is served as is
        url = f"{IMAGE}/full/{size['width']},{size['height']}/0/default.jpg"
        assert decode(client.get(url).content).width == size["width"]


def test_info_rights_and_gray(client: TestClient) -> None:
    info = client.get("/iiif/3/rights-1000x800/info.json").json()
    assert info["rights"] == "http://rightsstatements.org/vocab/InC/1.0/"
    assert info["id"].endswith("/rights-1000x800")
    assert client.get("/iiif/3/gray-600x400/info.json").json()["extraQualities"] == ["gray", "bitonal"]


def test_info_content_negotiation(client: TestClient) -> None:
    ld = client.get(f"{IMAGE}/info.json", headers={"Accept": "application/ld+json"})
    assert ld.headers["content-type"] == LD_JSON
    plain = client.get(f"{IMAGE}/info.json", headers={"Accept": "application/json"})
    assert plain.headers["content-type"] == "application/json"
    assert 'rel="http://www.w3.org/ns/json-ld#context"' in plain.headers["link"]
    assert plain.content == ld.content
    assert plain.headers["vary"] == "Accept"
    # without an Accept header the spec asks for JSON-LD
    client.headers.pop("accept", None)
    assert client.get(f"{IMAGE}/info.json").headers["content-type"] == LD_JSON


def test_base_url_setting(make_client: Callable[..., TestClient]) -> None:
    client = make_client(base_url="https://images.example.org/iiif/3/")
    assert client.get(f"{IMAGE}/info.json").json()["id"] == "https://images.example.org/iiif/3/rgb-1000x800"
    link = client.get(TILE).headers["link"]
    assert "<https://images.example.org/iiif/3/rgb-1000x800/0,0,256,256/max/0/default.jpg>" in link


def test_hostile_host_header_is_not_echoed(client: TestClient) -> None:
    info = client.get(f"{IMAGE}/info.json", headers={"Host": 'evil"><script>'}).json()
    assert info["id"].startswith("http://testserver/")


def test_image_headers(make_client: Callable[..., TestClient]) -> None:
    client = make_client(cache_control="public, max-age=60")
    response = client.get(f"{IMAGE}/full/!200,200/90/default.png")
    assert response.status_code == 200
    headers = response.headers
    assert headers["content-type"] == "image/png"
    assert headers["access-control-allow-origin"] == "*"
    assert headers["cache-control"] == "public, max-age=60"
    assert headers["last-modified"] == "Wed, 01 May 2024 12:00:00 GMT"
    assert headers["etag"].startswith('"')
    assert int(headers["content-length"]) == len(response.content)
    assert headers["link"] == (
        '<http://testserver/iiif/3/rgb-1000x800/full/200,160/90/default.png>;rel="canonical", '
        '<http://iiif.io/api/image/3/level2.json>;rel="profile"'
    )


def test_head(client: TestClient) -> None:
    get = client.get(TILE)
    head = client.head(TILE)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(get.content))
    assert head.headers["etag"] == get.headers["etag"]


def test_cors_preflight(client: TestClient) -> None:
    response = client.options(
        TILE,
        headers={
            "Origin": "https://viewer.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "Range, X-Requested-With",
        },
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert "GET" in response.headers["access-control-allow-methods"]
    assert response.headers["access-control-allow-headers"] == "Range, X-Requested-With"
    weird = client.options(TILE, headers={"Access-Control-Request-Headers": "a\tb;c"})
    assert "access-control-allow-headers" not in weird.headers


@pytest.mark.parametrize("path", [TILE, f"{IMAGE}/full/120,/0/gray.png", f"{IMAGE}/info.json"])
def test_conditional_requests(client: TestClient, path: str) -> None:
    first = client.get(path)
    etag = first.headers["etag"]
    for value in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = client.get(path, headers={"If-None-Match": value})
        assert again.status_code == 304, value
        assert again.content == b"" and again.headers["etag"] == etag
        assert again.headers["access-control-allow-origin"] == "*"
        assert "content-length" not in again.headers
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
    later = format_datetime(MODIFIED + timedelta(hours=1), usegmt=True)
    earlier = format_datetime(MODIFIED - timedelta(seconds=1), usegmt=True)
    assert client.get(path, headers={"If-Modified-Since": later}).status_code == 304
    assert client.get(path, headers={"If-Modified-Since": first.headers["last-modified"]}).status_code == 304
    assert client.get(path, headers={"If-Modified-Since": earlier}).status_code == 200
    assert client.get(path, headers={"If-Modified-Since": "not a date"}).status_code == 200
    # If-None-Match wins over If-Modified-Since
    both = {"If-None-Match": '"other"', "If-Modified-Since": later}
    assert client.get(path, headers=both).status_code == 200


def test_etag_depends_on_request_and_encoding(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    a = client.get(TILE).headers["etag"]
    assert client.get(f"{IMAGE}/0,0,256,256/max/0/default.jpg").headers["etag"] == a  # same canonical
    assert client.get(f"{IMAGE}/0,0,256,256/max/0/color.jpg").headers["etag"] != a
    assert make_client(jpeg_quality=60).get(TILE).headers["etag"] != a


@pytest.mark.parametrize(
    ("path", "status"),
    [
        (f"{IMAGE}/foo/max/0/default.jpg", 400),
        (f"{IMAGE}/full/foo/0/default.jpg", 400),
        (f"{IMAGE}/full/max/foo/default.jpg", 400),
        (f"{IMAGE}/full/max/0/foo.jpg", 400),
        (f"{IMAGE}/full/max/0/default.foo", 400),
        (f"{IMAGE}/full/full/0/default.jpg", 400),
        (f"{IMAGE}/2000,0,10,10/max/0/default.jpg", 400),
        (f"{IMAGE}/full/2000,/0/default.jpg", 400),
        (f"{IMAGE}/full/^20000,/0/default.jpg", 400),
        ("/iiif/3/no-such-image/info.json", 404),
        ("/iiif/3/no-such-image/full/max/0/default.jpg", 404),
        ("/iiif/3/no-such-image", 404),
        ("/iiif/3/missing-file/info.json", 404),
        ("/iiif/3/login-first/info.json", 401),
        ("/iiif/3/withdrawn/full/max/0/default.jpg", 410),
        (f"{IMAGE}/full/max/0", 404),
        (f"{IMAGE}/full/max/0/default.jpg/more", 404),
        (f"{IMAGE}/info.xml", 404),
        ("/iiif/3/", 404),
    ],
)
def test_error_codes(client: TestClient, path: str, status: int) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert response.headers["access-control-allow-origin"] == "*"
    error = response.json()["error"]
    assert error["status"] == status and error["message"]
    assert "/tmp" not in response.text and "pyramids/" not in response.text and "Traceback" not in response.text


def test_method_not_allowed(client: TestClient) -> None:
    response = client.post(TILE)
    assert response.status_code == 405 and "GET" in response.headers["allow"]


HOSTILE = [
    "..",
    "%2e%2e",
    "%2E%2E",
    "%252e%252e",
    "..%2f..%2fetc%2fpasswd",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "rgb-1000x800%00",
    "rgb-1000x800%00.png",
    "rgb%0d%0aSet-Cookie:%20x=1",
    "file:%2F%2F%2Fetc%2Fpasswd",
    "file:etc",
    "http:%2F%2Fexample.com%2Fx",
    "https:%2F%2F127.0.0.1",
    "a%2Fb",
    "a%2fb",
    "a%5Cb",
    "%5c..%5c",
    ".hidden",
    "rgb-1000x800%20",
    "caf%C3%A9",
    "%ff",
    "[frob]",
    "x" * 201,
    "~",
]


@pytest.mark.parametrize("identifier", HOSTILE)
def test_hostile_identifiers_are_404_without_resolving(
    client: TestClient, resolver: DictResolver, identifier: str
) -> None:
    for suffix in ("/info.json", "/full/max/0/default.jpg", "/full/bad/0/default.jpg", ""):
        response = client.get(f"/iiif/3/{identifier}{suffix}", follow_redirects=False)
        assert response.status_code == 404, (identifier, suffix)
    assert resolver.calls == []


def _raw_get(app: Any, raw_path: bytes) -> tuple[int, dict[bytes, bytes], bytes]:
    """One request with exactly this path, as uvicorn would pass it (clients normalise dots)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": unquote(raw_path.decode("latin-1")),
        "raw_path": raw_path,
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 1234),
    }
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    anyio.run(app, scope, receive, send)
    start = messages[0]
    return start["status"], dict(start["headers"]), b"".join(m.get("body", b"") for m in messages[1:])


@pytest.mark.parametrize(
    "raw",
    [
        b"/iiif/3/../../etc/passwd",
        b"/iiif/3/../3/rgb-1000x800/info.json",
        b"/iiif/3/./rgb-1000x800/info.json",
        b"/iiif/3//rgb-1000x800/info.json",
        b"/iiif/3/rgb-1000x800/../../../etc/passwd",
        b"/iiif/3/%2e%2e/%2e%2e/info.json",
        b"/iiif/3/rgb-1000x800%2Ffull/max/0/default.jpg",
    ],
)
def test_raw_traversal_paths(resolver: DictResolver, tmp_path: Path, raw: bytes) -> None:
    app = Starlette(routes=[image_mount("/iiif/3", resolver, ImageServerConfig(source_cache_dir=str(tmp_path)))])
    status, _, body = _raw_get(app, raw)
    assert status == 404, raw
    assert b"passwd" not in body and resolver.calls == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(min_size=0, max_size=20), min_size=1, max_size=6))
def test_never_a_server_error(client: TestClient, segments: list[str]) -> None:
    from urllib.parse import quote

    path = "/iiif/3/rgb-1000x800/" + "/".join(quote(s, safe="") for s in segments)
    response = client.get(path, follow_redirects=False)
    assert response.status_code in (200, 303, 400, 404, 501), path
    if response.status_code >= 400 and "\n" not in unquote(path):  # Mount itself refuses newlines
        assert json.loads(response.text)["error"]["status"] == response.status_code


def test_resolver_answers_are_reused(make_client: Callable[..., TestClient], resolver: DictResolver) -> None:
    client = make_client()
    for _ in range(5):
        client.get(f"{IMAGE}/info.json")
        client.get(TILE)
        client.get("/iiif/3/no-such-image/info.json")
    assert resolver.calls.count("rgb-1000x800") == 1 and resolver.calls.count("no-such-image") == 1
    uncached = make_client(resolve_ttl=0)
    uncached.get(TILE)
    uncached.get(TILE)
    assert resolver.calls.count("rgb-1000x800") == 3


def test_a_replaced_image_is_not_served_from_cache(access_storage: FilesystemStorage, tmp_path: Path) -> None:
    images = {"page": ResolvedImage(access_storage, "pyramids/rgb-1000x800.tif", MODIFIED)}
    resolver = DictResolver(images)
    config = ImageServerConfig(resolve_ttl=0, source_cache_dir=str(tmp_path))
    client = TestClient(Starlette(routes=[image_mount("/iiif/3", resolver, config)]))
    first = client.get("/iiif/3/page/full/100,/0/default.jpg")
    images["page"] = ResolvedImage(access_storage, "pyramids/gray-600x400.tif", MODIFIED + timedelta(days=1))
    second = client.get("/iiif/3/page/full/100,/0/default.jpg")
    assert first.headers["etag"] != second.headers["etag"]
    assert decode(first.content).bands == 3 and decode(second.content).bands == 1
    assert client.get("/iiif/3/page/info.json").json()["width"] == 600


def test_passthrough(make_client: Callable[..., TestClient], pyramid_files: dict[str, Path]) -> None:
    source = LocalFileSource(str(pyramid_files["rgb-1000x800"]))
    level = read_pyramid(source).levels[0]
    stored = standalone_jpeg(level.jpeg_tables, source.read_at(level.tile_offsets[0], level.tile_byte_counts[0]))
    assert make_client(allow_passthrough=True).get(TILE).content == stored
    reencoded = make_client(allow_passthrough=False).get(TILE).content
    assert reencoded != stored and len(reencoded) < len(stored)  # Q75 from the stored Q90
    assert (decode(reencoded) - decode(stored)).abs().avg() < 8  # JPEG at two qualities


def test_storage_without_local_files(client: TestClient, resolver: DictResolver, tmp_path: Path) -> None:
    remote = resolver.images["remote-1001x777"].storage
    assert isinstance(remote, RemoteOnly)
    info = client.get("/iiif/3/remote-1001x777/info.json").json()
    assert (info["width"], info["height"]) == (1001, 777)
    assert all(end is not None for _, _, end in remote.opens)  # structure read by ranges only
    tile = client.get("/iiif/3/remote-1001x777/256,256,256,256/256,256/0/default.jpg")
    assert tile.status_code == 200 and decode(tile.content).width == 256
    assert not list((tmp_path / "copies").rglob("*.tif"))  # an aligned tile needs no local copy
    ranges = len(remote.opens)
    scaled = client.get("/iiif/3/remote-1001x777/full/300,/0/default.png")
    assert scaled.status_code == 200 and decode(scaled.content).width == 300
    assert len(list((tmp_path / "copies").rglob("*.tif"))) == 1
    assert remote.opens[ranges][1:] == (0, None)  # one whole-object read for the copy
    client.get("/iiif/3/remote-1001x777/full/310,/0/default.png")
    assert len(remote.opens) == ranges + 1


def test_s3_storage(s3_storage: Any, pyramid_files: dict[str, Path], tmp_path: Path) -> None:
    with pyramid_files["rgb-1001x777"].open("rb") as stream:
        stored = s3_storage.put("access/page-1.tif", stream)
    resolver = DictResolver({"page-1": ResolvedImage(s3_storage, "access/page-1.tif", stored.modified)})
    config = ImageServerConfig(source_cache_dir=str(tmp_path))
    with TestClient(Starlette(routes=[image_mount("/iiif/3", resolver, config)])) as client:
        info = client.get("/iiif/3/page-1/info.json").json()
        assert info["tiles"] == [{"width": 256, "scaleFactors": [1, 2, 4]}]
        assert client.get("/iiif/3/page-1/0,0,512,512/256,256/0/default.jpg").status_code == 200
        image = decode(client.get("/iiif/3/page-1/full/!300,300/0/default.jpg").content)
        assert (image.width, image.height) == (300, 233)


def test_response_cache_is_bounded(resolver: DictResolver, tmp_path: Path) -> None:
    from iiif.image.routes import ImageEndpoint
    from iiif.image.service import ImageService

    config = ImageServerConfig(cache_bytes=200_000, source_cache_dir=str(tmp_path))
    endpoint = ImageEndpoint(ImageService(resolver, config), config)
    client = TestClient(Starlette(routes=[Mount("/iiif/3", app=endpoint)]))
    for width in range(100, 400, 10):
        assert client.get(f"{IMAGE}/full/{width},/0/default.jpg").status_code == 200
    cache = endpoint.service.responses
    assert 0 < cache.size_bytes <= 200_000
    body = client.get(f"{IMAGE}/full/390,/0/default.jpg").content
    request = resolve(parse_request("full/390,/0/default.jpg"), 1000, 800, config.limits)
    assert cache.get("rgb-1000x800", request, _version(resolver)) == body


def _version(resolver: DictResolver) -> str:
    image = resolver.images["rgb-1000x800"]
    return f"{image.storage.location}\0{image.key}\0{image.modified.astimezone(UTC).isoformat()}"


def test_naive_modified_times_are_utc(access_storage: FilesystemStorage, tmp_path: Path) -> None:
    naive = datetime(2024, 5, 1, 12, 0, 0)
    resolver = DictResolver({"p": ResolvedImage(access_storage, "pyramids/rgb-1000x800.tif", naive)})
    config = ImageServerConfig(source_cache_dir=str(tmp_path))
    client = TestClient(Starlette(routes=[image_mount("/iiif/3", resolver, config)]))
    assert client.get("/iiif/3/p/info.json").headers["last-modified"] == "Wed, 01 May 2024 12:00:00 GMT"
