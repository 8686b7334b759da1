"""Bounded work per request: pixels counted after rotation, GIF and PNG limits, a deadline, and
render slots that answer 503 with Retry-After instead of queueing without end."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import httpx
import pytest
import pyvips
from starlette.testclient import TestClient

from iiif.image import ImageEndpoint, ImageServerConfig
from iiif.image.request import SizeLimits, parse_request, resolve, rotated_size
from tests.iiif_image.conftest import DictResolver, decode, make_app

BASE = "/iiif/3/rgb-1000x800"


def test_rotation_counts_against_the_pixel_budget(make_client: Callable[..., TestClient]) -> None:
    client = make_client(max_area=1_000_000)
    assert client.get(f"{BASE}/full/1000,800/0/default.jpg").status_code == 200
    # 800,000 pixels unrotated, a 1273x1273 box at 45 degrees: what would be rendered is counted.
    refused = client.get(f"{BASE}/full/1000,800/45/default.jpg")
    assert refused.status_code == 400
    message = refused.json()["error"]["message"]
    assert "1273x1273" in message and "1000000" in message and "smaller size" in message
    # The case: twice maxArea once rotated.
    assert make_client().get(f"{BASE}/full/^7071,7071/45/default.png").status_code == 400


@pytest.mark.parametrize("rotation", ["45", "!30", "90"])
def test_max_shrinks_to_fit_the_budget_after_rotation(make_client: Callable[..., TestClient], rotation: str) -> None:
    client = make_client(max_area=500_000)
    for size in ("max", "^max"):
        response = client.get(f"{BASE}/full/{size}/{rotation}/default.jpg")
        assert response.status_code == 200, response.text
        image = decode(response.content)
        assert image.width * image.height <= 500_000
        assert image.width * image.height > 450_000  # shrunk to fit, not far below
        # The output is the rotated box of the resolved size, as predicted before rendering.
        resolved = resolve(
            parse_request(f"full/{size}/{rotation}/default.jpg"), 1000, 800, SizeLimits(max_area=500_000)
        )
        degrees = Fraction(rotation.lstrip("!"))
        assert rotated_size(resolved.out_width, resolved.out_height, degrees) == (image.width, image.height)
        assert resolved.pixels == image.width * image.height
        canonical = response.headers["link"].split(">")[0].lstrip("<")
        assert client.get(canonical.removeprefix("http://testserver")).content == response.content


@pytest.mark.parametrize(("fmt", "setting"), [("gif", "gif_max_area"), ("png", "png_max_area")])
def test_gif_and_png_limits(make_client: Callable[..., TestClient], fmt: str, setting: str) -> None:
    client = make_client(**{setting: 100_000})
    refused = client.get(f"{BASE}/full/1000,/0/default.{fmt}")
    assert refused.status_code == 400
    message = refused.json()["error"]["message"]
    assert f"{fmt.upper()} output is limited to 100000 pixels" in message
    assert "1000x800" in message and "jpg" in message
    assert client.get(f"{BASE}/full/1000,/0/default.jpg").status_code == 200  # the way to get it
    assert client.get(f"{BASE}/full/300,/0/default.{fmt}").status_code == 200  # 72,000 pixels
    largest = client.get(f"{BASE}/full/max/0/default.{fmt}")
    assert largest.status_code == 200
    image = decode(largest.content)
    assert 90_000 < image.width * image.height <= 100_000
    assert client.get(f"{BASE}/full/^max/0/default.{fmt}").status_code == 200


def test_info_json_advertises_only_sizes_it_serves(make_client: Callable[..., TestClient]) -> None:
    client = make_client(max_area=300_000, gif_max_area=50_000)
    info = client.get(f"{BASE}/info.json").json()
    assert info["maxArea"] == 300_000
    for size in info["sizes"]:
        assert client.get(f"{BASE}/full/{size['width']},{size['height']}/0/default.jpg").status_code == 200
    assert client.get(f"{BASE}/full/max/0/default.jpg").status_code == 200


def test_a_render_past_its_deadline_is_stopped(make_client: Callable[..., TestClient]) -> None:
    slow_request = f"{BASE}/full/^4000,/45/default.jpg"  # about 25 megapixels: a second or more of work
    started = time.monotonic()
    assert make_client(render_timeout=0).get(slow_request).status_code == 200
    whole_render = time.monotonic() - started
    client = make_client(render_timeout=0.05)
    started = time.monotonic()
    slow = client.get(slow_request)
    assert time.monotonic() - started < whole_render / 2  # stopped, not merely refused when done
    assert slow.status_code == 503
    assert "took longer than 0.05 s" in slow.json()["error"]["message"]
    assert int(slow.headers["retry-after"]) >= 1
    # The pyramid's decoder handles were not stopped with it.
    assert client.get(f"{BASE}/full/200,/0/default.jpg").status_code == 200


def _async_client(resolver: DictResolver, config: ImageServerConfig) -> tuple[httpx.AsyncClient, ImageEndpoint]:
    app = make_app(resolver, config)
    endpoint = app.routes[0].endpoint  # type: ignore[attr-defined]
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver"), endpoint


def test_busy_render_slots_answer_503_with_retry_after(resolver: DictResolver, tmp_path: Path) -> None:
    config = ImageServerConfig(
        render_concurrency=2, render_queue=1, render_queue_wait=0.3, source_cache_dir=str(tmp_path)
    )

    async def scenario() -> None:
        client, endpoint = _async_client(resolver, config)
        gate = endpoint.service.gate
        async with client:
            assert (await client.get(f"{BASE}/info.json")).status_code == 200  # the pyramid is open
            await gate.acquire()
            await gate.acquire()  # both slots held, as by two long renders
            started = time.monotonic()
            waiting = asyncio.create_task(client.get(f"{BASE}/full/321,/0/default.jpg"))
            while gate.waiting == 0:
                await asyncio.sleep(0.01)
            # The queue (one) is full: the next is refused at once.
            refused = await client.get(f"{BASE}/full/322,/0/default.jpg")
            assert refused.status_code == 503
            assert refused.headers["retry-after"] == "1"
            assert "busy" in refused.json()["error"]["message"]
            # The one waiting gives up after the wait, with the same answer.
            timed_out = await waiting
            assert timed_out.status_code == 503 and "retry-after" in timed_out.headers
            assert 0.3 <= time.monotonic() - started < 5  # it waited, and no longer than it may
            # A slot freed while a request waits is handed to it.
            waiting = asyncio.create_task(client.get(f"{BASE}/full/323,/0/default.jpg"))
            while gate.waiting == 0:
                await asyncio.sleep(0.01)
            gate.release()
            assert (await waiting).status_code == 200
            assert gate.running == 1  # the held one; the render gave its slot back
            gate.release()
            assert (await client.get(f"{BASE}/full/324,/0/default.jpg")).status_code == 200
            assert (gate.running, gate.waiting) == (0, 0)

    asyncio.run(scenario())


def test_large_renders_leave_a_slot_for_tiles(resolver: DictResolver, tmp_path: Path) -> None:
    config = ImageServerConfig(render_concurrency=2, render_queue=0, source_cache_dir=str(tmp_path))

    async def scenario() -> None:
        client, endpoint = _async_client(resolver, config)
        gate = endpoint.service.gate
        async with client:
            await gate.acquire(heavy=True)  # as a large render in progress
            large = await client.get(f"{BASE}/full/^2500,/0/default.jpg")  # 5 megapixels
            assert large.status_code == 503
            tile = await client.get(f"{BASE}/0,0,512,512/256,/0/default.jpg")
            assert tile.status_code == 200
            gate.release(heavy=True)
            assert (await client.get(f"{BASE}/full/^2500,/0/default.jpg")).status_code == 200

    asyncio.run(scenario())


def test_rotated_size_is_what_libvips_makes() -> None:
    rng = random.Random(13)
    for _ in range(200):
        width, height = rng.randrange(1, 3000), rng.randrange(1, 3000)
        degrees = Fraction(rng.choice(["45", "30", "1", "89.5", "0.001", "123.25", "180.5", "271", "359.999"]))
        rotated = pyvips.Image.black(width, height).rotate(float(degrees))
        assert rotated_size(width, height, degrees) == (rotated.width, rotated.height), (width, height, degrees)
