"""The watchdog that stops renders past their deadline (iiif.image.deadline)."""

from __future__ import annotations

import threading
import time

import pytest
import pyvips

from iiif.image.deadline import Watchdog


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
