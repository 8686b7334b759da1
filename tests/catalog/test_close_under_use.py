"""Closing the catalog while another thread of the process still runs statements (a server
shutting down with a task thread mid-work, a test client ending its lifespan beside a worker)
must not crash the process: the sqlite3 module dereferences a connection closed under it."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from repo.catalog import Catalog


def test_closing_while_another_thread_runs_statements_does_not_crash(tmp_path: Path) -> None:
    catalog = Catalog.open(f"sqlite:///{tmp_path / 'catalog.sqlite3'}")
    db = catalog.db
    answers: list[int] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def busy() -> None:
        try:
            while not stop.is_set():
                db.execute("UPDATE schema_migrations SET version = version WHERE version < 0")
                row = db.query_one("SELECT COUNT(*) AS n FROM items")
                answers.append(row["n"] if row else -1)
        except BaseException as exc:  # what the thread saw is asserted below
            errors.append(exc)

    thread = threading.Thread(target=busy)
    thread.start()
    try:
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            db.close()  # under the other thread's statements, again and again
            time.sleep(0.001)
    finally:
        stop.set()
        thread.join()
    assert not errors, errors
    assert answers and set(answers) == {0}
