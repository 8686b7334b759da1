"""Ingest progress: a bar on a terminal, plain lines otherwise, only errors with --quiet, JSON lines with --json."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from typing import Any, TextIO


@dataclass
class Progress:
    total_items: int
    mode: str = "auto"  # auto | plain | quiet | json
    stream: TextIO = field(default_factory=lambda: sys.stderr)
    items_done: int = 0
    pages_done: int = 0
    bytes_done: int = 0
    started: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        if self.mode == "auto":
            self.mode = "bar" if self.stream.isatty() else "plain"

    def item_finished(
        self, name: str, status: str, item_id: str | None, pages: int, size: int, problems: list[str]
    ) -> None:
        self.items_done += 1
        self.pages_done += pages
        self.bytes_done += size
        if self.mode == "json":
            self._json(
                {
                    "event": "item",
                    "item": name,
                    "status": status,
                    "id": item_id,
                    "pages": pages,
                    "bytes": size,
                    "problems": problems,
                }
            )
        elif self.mode == "plain":
            line = f"[{self.items_done}/{self.total_items}] {status}: {name}" + (f" -> {item_id}" if item_id else "")
            print(line, file=self.stream, flush=True)
            for problem in problems:
                print(f"    {problem}", file=self.stream, flush=True)
        elif self.mode == "bar":
            for problem in problems:
                print(f"\r\033[K{name}: {problem}", file=self.stream)
            self._bar()
        else:  # quiet: the errors, each naming its item, and nothing else
            for problem in problems:
                print(f"{name}: {problem}", file=self.stream, flush=True)

    def _bar(self) -> None:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = self.bytes_done / elapsed / 1e6
        fraction = self.items_done / max(self.total_items, 1)
        left = elapsed / fraction - elapsed if fraction else 0
        width = 30
        filled = int(width * fraction)
        print(
            f"\r\033[K[{'#' * filled}{'.' * (width - filled)}] {self.items_done}/{self.total_items} items, "
            f"{self.pages_done} pages, {rate:.1f} MB/s, {left:.0f}s left",
            end="",
            file=self.stream,
            flush=True,
        )

    def finish(self, summary: dict[str, Any]) -> None:
        if self.mode == "bar":
            print(file=self.stream)
        if self.mode == "json":
            self._json({"event": "summary", **summary})
        elif self.mode != "quiet":
            parts = ", ".join(f"{v} {k}" for k, v in summary.items() if isinstance(v, int))
            print(f"done: {parts}", file=self.stream, flush=True)

    def _json(self, record: dict[str, Any]) -> None:
        print(json.dumps(record), file=sys.stdout, flush=True)
