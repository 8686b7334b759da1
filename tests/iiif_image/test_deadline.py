"""The watchdog that stops renders past their deadline (iiif.image.deadline)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import pyvips

from iiif.image.deadline import Watchdog
from iiif.image.pyramid import Pyramid
from iiif.image.render import RenderTimeout, render
from iiif.image.request import SizeLimits, parse_request, resolve
from iiif.image.source import LocalFileSource
from iiif.image.tiff import read_pyramid
from tests.iiif_image.conftest import save_pyramid, textured


def _slow_image() -> pyvips.Image:
    """Seconds of libvips work, computed tile by tile (noise, blurred)."""
    return pyvips.Image.gaussnoise(6000, 6000, seed=3).gaussblur(8).copy()


def test_an_image_past_its_deadline_is_stopped_and_one_in_time_is_not() -> None:
    watchdog = Watchdog()
    late = _slow_image()
    with watchdog.watching(pyvips.Image.black(10, 10), time.monotonic() + 0.01):
        pass  # finished in time: nothing is stopped when its deadline comes
    # A deadline earlier than every one already watched wakes the watchdog (this one is 60 s out).
    with watchdog.watching(_slow_image(), time.monotonic() + 60):
        started = time.monotonic()
        with watchdog.watching(late, started + 0.1), pytest.raises(pyvips.Error):
            late.write_to_memory()
        assert 0.1 <= time.monotonic() - started < 5
    small = pyvips.Image.black(64, 64).copy()
    with watchdog.watching(small, time.monotonic() + 5):
        assert len(small.write_to_memory()) == 64 * 64


def test_renders_in_threads_are_stopped_each_at_its_own_deadline() -> None:
    watchdog = Watchdog()
    stopped: dict[float, float] = {}

    def render(after: float) -> None:
        image = _slow_image()
        started = time.monotonic()
        with watchdog.watching(image, started + after):
            try:
                image.write_to_memory()
            except pyvips.Error:
                stopped[after] = time.monotonic() - started

    threads = [threading.Thread(target=render, args=(after,)) for after in (0.4, 0.1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(stopped) == {0.1, 0.4}
    assert 0.1 <= stopped[0.1] < stopped[0.4]


def test_a_stopped_render_does_not_stop_another_of_the_same_level(tmp_path: Path) -> None:
    # libvips passes a stopped render's kill flag up its pipeline to the decoder handle: with one
    # handle shared by the level's renders, 7 of 10 renders beside a stopped one failed.
    path = str(save_pyramid(textured(3000, 3000), tmp_path / "pyramid.tif"))
    source = LocalFileSource(path)
    pyramid = Pyramid(read_pyramid(source), source, lambda: path)
    limits = SizeLimits(10000, 10000, 50_000_000)
    other: list[bytes | Exception] = []

    def render_in_time() -> None:  # most of the level, a crop of it: seconds of PNG
        req = resolve(parse_request("0,0,2999,3000/max/0/default.png"), 3000, 3000, limits)
        try:
            other.append(render(pyramid, req, jpeg_quality=75, timeout=60))
        except Exception as exc:  # what stopped it is the finding
            other.append(exc)

    thread = threading.Thread(target=render_in_time)
    thread.start()
    time.sleep(0.05)
    started = time.monotonic()
    with pytest.raises(RenderTimeout):
        req = resolve(parse_request("full/max/0/default.png"), 3000, 3000, limits)
        render(pyramid, req, jpeg_quality=75, timeout=0.1)
    assert time.monotonic() - started < 2
    thread.join()
    assert isinstance(other[0], bytes), getattr(other[0], "detail", other[0])
    assert pyvips.Image.new_from_buffer(other[0], "").width == 2999
    assert pyramid.files == 2  # the byte source and the handle that rendered in time; the other dropped
    with pyramid.level_image(pyramid.info.levels[0]) as handle:  # the one kept is not stopped
        assert handle.crop(0, 0, 64, 64).avg() > 0
