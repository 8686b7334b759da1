"""Change a collection's title over a preservation storage that announces every write and slows it
down, so that a test can kill -9 this process while the collection's record is being written.

    python -m tests.lifecycle.slow_collection SLUG TITLE     (settings from MUNIMENT_* variables)
"""

from __future__ import annotations

import sys

from repo.lifecycle.collections import update_collection
from repo.services import Services
from repo.settings import Settings
from tests.lifecycle.slow_edit import SlowStorage


def main() -> None:
    slug, title = sys.argv[1:3]
    services = Services.open(Settings.load())
    services.preservation = SlowStorage(services.preservation)
    collection = update_collection(services, slug, title=title)
    print(f"done {collection.title}", flush=True)


if __name__ == "__main__":
    main()
