"""The object lock contract: every implementation (flock files beside a SQLite catalog, advisory
locks on the PostgreSQL catalog's server) keeps a second writer out, across threads and real
processes, lets the holder re-enter, names the holder to a writer that gives up, and is free again
as soon as the holder dies (kill -9)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from repo.catalog.db import Database
from repo.catalog.object_locks import object_locks
from repo.preservation import ObjectBusy, ObjectLocks

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def database(catalog_url: str) -> Iterator[Database]:
    db = Database(catalog_url)
    yield db
    db.close()


@pytest.fixture
def locks(database: Database) -> ObjectLocks:
    return object_locks(database, wait_seconds=5)


def hold_in_child(url: str, name: str) -> subprocess.Popen[str]:
    """A separate process that takes the lock, says so, and keeps it until killed."""
    script = textwrap.dedent(
        f"""
        import sys, time
        from repo.catalog.db import Database
        from repo.catalog.object_locks import object_locks
        locks = object_locks(Database({url!r}), wait_seconds=30)
        with locks.hold({name!r}):
            print("held", flush=True)
            time.sleep(600)
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "held"
    return child


def test_a_second_thread_waits_for_the_holder(locks: ObjectLocks) -> None:
    order: list[str] = []
    with locks.hold("urn:muniment:item:a"):
        waiter = threading.Thread(target=lambda: _take(locks, "urn:muniment:item:a", order))
        waiter.start()
        time.sleep(0.3)
        order.append("holder done")
    waiter.join(10)
    assert order == ["holder done", "waiter in"]


def _take(locks: ObjectLocks, name: str, order: list[str]) -> None:
    with locks.hold(name):
        order.append("waiter in")


def test_the_holder_may_take_it_again_and_other_names_are_free(locks: ObjectLocks) -> None:
    with locks.hold("urn:muniment:item:a"):
        with locks.hold("urn:muniment:item:a"):
            assert locks.held("urn:muniment:item:a")
        assert locks.held("urn:muniment:item:a")  # still held after the inner release
        other = threading.Thread(target=lambda: _take(locks, "urn:muniment:item:b", []))
        other.start()
        other.join(5)
        assert not other.is_alive()
    assert not locks.held("urn:muniment:item:a")


def test_another_process_is_kept_out_and_told_who_holds_it(locks: ObjectLocks, catalog_url: str) -> None:
    child = hold_in_child(catalog_url, "urn:muniment:item:c")
    try:
        started = time.monotonic()
        with pytest.raises(ObjectBusy) as caught, locks.hold("urn:muniment:item:c", wait=0.5):
            pass
        assert time.monotonic() - started >= 0.5
        message = str(caught.value)
        assert "urn:muniment:item:c" in message
        assert f"process {child.pid} " in message  # the holder, by process id and host
    finally:
        child.kill()
        child.wait()


def test_the_lock_dies_with_its_holder(locks: ObjectLocks, catalog_url: str) -> None:
    child = hold_in_child(catalog_url, "urn:muniment:item:d")
    child.kill()  # SIGKILL: no cleanup runs in the holder
    child.wait()
    with locks.hold("urn:muniment:item:d", wait=5):
        assert locks.held("urn:muniment:item:d")


def test_many_threads_one_at_a_time(locks: ObjectLocks) -> None:
    inside = 0
    most = 0
    guard = threading.Lock()

    def work() -> None:
        nonlocal inside, most
        for _ in range(5):
            with locks.hold("urn:muniment:item:e"):
                with guard:
                    inside += 1
                    most = max(most, inside)
                time.sleep(0.002)
                with guard:
                    inside -= 1

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert most == 1
