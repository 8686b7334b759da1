"""Process-wide memory settings of a worker that renders images in threads.

glibc's malloc gives threads that allocate at the same time arenas of their own (up to eight per
core), and memory freed in one arena is not reused by another: with render threads, anyio's
threads and libvips' own, a worker's RSS rose for many minutes under a steady load, well past
what it held. Two arenas kept it flat (a soak of a fixed set of items: bench/soak.py).
"""

from __future__ import annotations

import ctypes

_M_ARENA_MAX = -8  # glibc's malloc.h


def limit_malloc_arenas(arenas: int) -> bool:
    """At most ``arenas`` malloc arenas from now on (glibc); False where that cannot be set."""
    try:
        return bool(ctypes.CDLL(None).mallopt(_M_ARENA_MAX, arenas))
    except (OSError, AttributeError):  # not glibc, or no C library to ask
        return False
