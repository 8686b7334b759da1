"""One writer per OCFL object at a time, across threads, processes and machines.

Every write to an object (a new version, the recovery of an interrupted one, an edit that reads
the head and writes the next version) holds the object's lock from its first read to its last
write. The lock dies with its holder: a process killed mid-write holds nothing afterwards, so the
next writer recovers what it left. ``ObjectLocks`` is the interface; ``FileObjectLocks`` (this
module: ``flock`` on a file beside the SQLite catalog, one machine) and ``PostgresObjectLocks``
(``repo.catalog.object_locks``: advisory locks on the catalog's server, any number of machines)
are its implementations, and ``tests/preservation/test_object_locks.py`` their contract.

A thread that holds a lock may take it again (the edit holds it, then writes a version that takes
it too); another thread or process waits up to ``wait`` seconds, then gets ``ObjectBusy`` naming
the holder.
"""

from __future__ import annotations

import abc
import errno
import fcntl
import hashlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from repo.preservation.errors import ObjectBusy


def holder_description() -> str:
    """Who holds a lock, for the message of the writer that waits: host, process, since when."""
    return f"process {os.getpid()} on {socket.gethostname()} since {datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}"


class ObjectLocks(abc.ABC):
    """Exclusive locks by name (an OCFL object id, or another key one writer at a time may use)."""

    def __init__(self, wait_seconds: float) -> None:
        self.wait_seconds = wait_seconds
        self._local = threading.local()

    @contextmanager
    def hold(self, name: str, wait: float | None = None) -> Iterator[None]:
        held: dict[str, int] = self._held()
        if name in held:  # re-entered by the thread that holds it
            held[name] += 1
            try:
                yield
            finally:
                held[name] -= 1
            return
        handle = self._acquire(name, self.wait_seconds if wait is None else wait)
        held[name] = 1
        try:
            yield
        finally:
            del held[name]
            self._release(handle)

    def held(self, name: str) -> bool:
        """Whether this thread holds ``name``."""
        return name in self._held()

    def _held(self) -> dict[str, int]:
        held = getattr(self._local, "held", None)
        if held is None:
            held = self._local.held = {}
        return held

    @abc.abstractmethod
    def _acquire(self, name: str, wait: float) -> Any:
        """Take the lock or raise ``ObjectBusy`` after ``wait`` seconds; a handle for release."""

    @abc.abstractmethod
    def _release(self, handle: Any) -> None: ...


def backoff(deadline: float, delay: float) -> float:
    """Sleep before the next try (at most until the deadline); the next delay. At most 0.1 s: a
    writer waits behind an edit of a second or less, and each extra tenth is added to its wait."""
    time.sleep(max(0.0, min(delay, deadline - time.monotonic())))
    return min(delay * 1.5, 0.1)


class FileObjectLocks(ObjectLocks):
    """``flock`` on one small file per name in ``folder``, which the kernel releases when the
    holding process ends however it ends. For one machine (the SQLite catalog's machine); the
    folder must not be on NFS. The file holds the holder's description and is removed at
    release; a waiter that wins the lock on a file already removed tries again."""

    def __init__(self, folder: Path, wait_seconds: float) -> None:
        super().__init__(wait_seconds)
        self.folder = folder

    def _path(self, name: str) -> Path:
        digest = hashlib.sha256(name.encode()).hexdigest()
        return self.folder / digest[:2] / f"{digest[2:40]}.lock"

    def _acquire(self, name: str, wait: float) -> Any:
        path = self._path(name)
        deadline = time.monotonic() + wait
        delay = 0.01
        while True:
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            except FileNotFoundError:  # the folder went with another holder's release
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                os.close(fd)
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                    raise
                if time.monotonic() >= deadline:
                    raise ObjectBusy(name, _read_holder(path), wait) from None
                delay = backoff(deadline, delay)
                continue
            if _same_file(fd, path):
                os.ftruncate(fd, 0)
                os.pwrite(fd, holder_description().encode(), 0)
                return fd, path
            os.close(fd)  # locked a file its holder removed meanwhile: not the lock any more

    def _release(self, handle: Any) -> None:
        fd, path = handle
        try:
            os.unlink(path)  # still locked: no one can hold this file's lock after us
        except FileNotFoundError:
            pass
        finally:
            os.close(fd)  # closing releases the flock


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.fstat(fd).st_ino == os.stat(path).st_ino
    except FileNotFoundError:
        return False


def _read_holder(path: Path) -> str:
    try:
        return path.read_text(errors="replace").strip() or "another process"
    except OSError:
        return "another process"


class ProcessObjectLocks(ObjectLocks):
    """Locks between the threads of one process only: for an ``ObjectStore`` made without the
    catalog's locks (tools and tests that are the only writer). ``Services.object_locks`` gives
    every command and server the cross-process kind."""

    def __init__(self, wait_seconds: float = 300) -> None:
        super().__init__(wait_seconds)
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def _acquire(self, name: str, wait: float) -> Any:
        with self._guard:
            lock = self._locks.setdefault(name, threading.Lock())
        if not lock.acquire(timeout=wait):
            raise ObjectBusy(name, "another thread of this process", wait)
        return lock

    def _release(self, handle: Any) -> None:
        handle.release()
