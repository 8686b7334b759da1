"""Run a metadata edit over a preservation storage that announces every write and slows it down,
so that a test can kill -9 this process at a chosen point of the version being written.

    python -m tests.lifecycle.slow_edit DATA_DIR ITEM_ID METADATA_FILE
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import BinaryIO

from repo.audit import Preservation
from repo.lifecycle import edit_metadata
from repo.metadata.loader import load_record
from repo.services import Services
from repo.settings import Settings
from storage import ObjectInfo
from tests.lifecycle.conftest import USER, RecordingStorage

DELAY = 0.25


class _SlowStream:
    def __init__(self, inner: BinaryIO) -> None:
        self.inner = inner
        self.first = True

    def read(self, n: int = -1) -> bytes:
        if self.first:  # the destination's temporary file exists by now: a kill leaves it behind
            self.first = False
            time.sleep(DELAY)
        return self.inner.read(n)


class SlowStorage(RecordingStorage):
    def put(self, key: str, stream: BinaryIO, *, sha512: str | None = None) -> ObjectInfo:
        print(f"put {key}", flush=True)
        return self.inner.put(key, _SlowStream(stream), sha512=sha512)  # type: ignore[arg-type]

    def copy(self, source: str, dest: str) -> ObjectInfo:
        print(f"copy {dest}", flush=True)
        time.sleep(DELAY)
        return self.inner.copy(source, dest)


def main() -> None:
    data, item_id, metadata = sys.argv[1:4]
    services = Services.open(Settings(data_dir=Path(data)))
    services.preservation = SlowStorage(services.preservation)
    preservation = Preservation(services)
    result = edit_metadata(preservation, item_id, load_record(Path(metadata)), USER)
    print(f"done v{result.version}", flush=True)


if __name__ == "__main__":
    main()
