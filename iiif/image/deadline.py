"""Render deadlines, kept by one watchdog thread per process.

libvips stops computing an image once its kill flag is set (it looks before each region it
prepares, so between tiles). A Python ``eval`` handler that read the clock set it too, but libvips
calls such a handler from its worker threads at every tile, each call taking the GIL: 4% of the
CPU of a ``full/1000,`` render with two render threads on one core (18.8 against 18.0 ms, measured
in process). Here a render hands its image and deadline to ``watching``, and a thread that sleeps
until the earliest deadline sets the flag of the renders still running then.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pyvips


class _Watched:
    __slots__ = ("image",)

    def __init__(self, image: pyvips.Image) -> None:
        self.image: pyvips.Image | None = image


class Watchdog:
    def __init__(self) -> None:
        self._due: list[tuple[float, int, _Watched]] = []  # a heap by deadline
        self._order = itertools.count()  # ties broken without comparing images
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    @contextmanager
    def watching(self, image: pyvips.Image, deadline: float) -> Iterator[None]:
        """Within the block, ``image`` is stopped (``set_kill``) once ``deadline``
        (``time.monotonic``) has passed. The image must be the render's own: the flag stops every
        computation of it. A flag set as the block ended stays set: clear it to use the image again
        (``Pyramid.level_image`` does)."""
        watched = _Watched(image)
        with self._changed:
            earliest = not self._due or deadline < self._due[0][0]
            heapq.heappush(self._due, (deadline, next(self._order), watched))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="iiif-render-deadlines", daemon=True)
                self._thread.start()
            elif earliest:
                self._changed.notify()
        try:
            yield
        finally:
            with self._changed:  # once the block has ended, the image is not stopped any more
                watched.image = None  # its entry is dropped unread at its deadline

    def _run(self) -> None:
        with self._changed:
            while True:
                now = time.monotonic()
                while self._due and self._due[0][0] <= now:
                    image = heapq.heappop(self._due)[2].image
                    if image is not None:
                        image.set_kill(True)
                self._changed.wait(self._due[0][0] - now if self._due else None)


WATCHDOG = Watchdog()
