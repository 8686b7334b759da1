"""A file-like view of a byte range of another stream."""

from __future__ import annotations

import io
from typing import BinaryIO


class RangeReader(io.RawIOBase):
    def __init__(self, handle: BinaryIO, start: int, end: int | None) -> None:
        self._handle = handle
        handle.seek(start)
        self._remaining = None if end is None else max(0, end - start)

    def readable(self) -> bool:
        return True

    def read(self, n: int | None = -1) -> bytes:
        if self._remaining is not None:
            n = self._remaining if n is None or n < 0 else min(n, self._remaining)
        data = self._handle.read(-1 if n is None else n)
        if self._remaining is not None:
            self._remaining -= len(data)
        return data

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._handle.close()
        super().close()
