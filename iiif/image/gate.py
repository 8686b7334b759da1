"""Admission to the render threads: a request the server cannot start soon is told to come back.

``slots`` renders run at once. Renders of many pixels (``heavy``) take at most ``heavy_slots`` of
them, so that a burst of huge images never holds every slot while a viewer's tiles wait. Beyond
the slots at most ``queue`` requests wait, each at most ``wait`` seconds; any other is refused at
once with ``ServerBusy`` (503 with Retry-After) instead of joining a queue that only grows.

Used on one event loop only (no locks): waiting is an asyncio future, handed a slot on release.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from dataclasses import dataclass, field

from iiif.image.errors import ServerBusy


@dataclass(eq=False)
class _Waiter:
    heavy: bool
    future: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class RenderGate:
    def __init__(self, slots: int, *, queue: int, wait: float, heavy_slots: int | None = None) -> None:
        self.slots = slots
        self.heavy_slots = heavy_slots if heavy_slots is not None else max(1, slots - 1)
        self.queue = queue
        self.wait = wait
        self.running = 0
        self.heavy_running = 0
        self._waiters: deque[_Waiter] = deque()

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil(self.wait))

    def _busy(self) -> ServerBusy:
        return ServerBusy(f"the image server is busy: try again in {self.retry_after} s", self.retry_after)

    def _can_start(self, heavy: bool) -> bool:
        return self.running < self.slots and (not heavy or self.heavy_running < self.heavy_slots)

    def _start(self, heavy: bool) -> None:
        self.running += 1
        self.heavy_running += heavy

    async def acquire(self, heavy: bool = False) -> None:
        """Take a slot, waiting at most ``wait`` seconds behind at most ``queue`` others; else ``ServerBusy``."""
        if self._can_start(heavy):  # then no waiter could start either (``release`` would have started it)
            self._start(heavy)
            return
        if len(self._waiters) >= self.queue or self.wait <= 0:
            raise self._busy()
        waiter = _Waiter(heavy)
        self._waiters.append(waiter)
        try:
            await asyncio.wait_for(asyncio.shield(waiter.future), self.wait)
        except TimeoutError:
            if waiter.future.done() and not waiter.future.cancelled():
                return  # handed a slot just as the time ran out: keep it
            raise self._busy() from None
        except asyncio.CancelledError:
            if waiter.future.done() and not waiter.future.cancelled():
                self.release(heavy)  # the client left after it was handed a slot: pass it on
            raise
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)

    def release(self, heavy: bool = False) -> None:
        self.running -= 1
        self.heavy_running -= heavy
        for waiter in list(self._waiters):
            if self._can_start(waiter.heavy):
                self._waiters.remove(waiter)
                self._start(waiter.heavy)
                waiter.future.set_result(None)
