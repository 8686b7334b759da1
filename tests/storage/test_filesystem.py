"""What only the filesystem backend can show: it never touches a path outside its root."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from storage import FilesystemStorage, InvalidKey, NotFound

ROOT = Path(__file__).resolve().parents[2]


def test_symlink_leading_outside_the_root_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("secret")
    store = FilesystemStorage(tmp_path / "root")
    store.put_bytes("a/x", b"x")
    os.symlink(outside, tmp_path / "root" / "link")
    with pytest.raises(InvalidKey):
        store.get_bytes("link/secret")
    with pytest.raises(InvalidKey):
        store.put_bytes("link/new", b"y")
    assert not (outside / "new").exists()


def test_failed_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    store = FilesystemStorage(tmp_path)

    class Exploding:
        def read(self, n: int = -1) -> bytes:
            raise OSError("disk went away")

    with pytest.raises(OSError):
        store.put("d/f", Exploding())  # type: ignore[arg-type]
    assert [p.name for p in (tmp_path / "d").iterdir()] == []
    with pytest.raises(NotFound):
        store.head("d/f")


def test_changed_file_does_not_claim_its_old_checksum(tmp_path: Path) -> None:
    store = FilesystemStorage(tmp_path)
    store.put_bytes("f", b"original")
    path = tmp_path / "f"
    path.write_bytes(b"tampered")
    later = path.stat().st_mtime + 10
    os.utime(path, (later, later))
    assert store.head("f").sha512 is None


def crash_while_writing(root: Path, key: str) -> None:
    """A real process killed (SIGKILL) halfway through ``put``: its temporary file stays behind."""
    script = (
        "import os, signal, sys\n"
        "from storage import FilesystemStorage\n"
        "class Dies:\n"
        "    sent = False\n"
        "    def read(self, n=-1):\n"
        "        if self.sent: os.kill(os.getpid(), signal.SIGKILL)\n"
        "        self.sent = True\n"
        "        return b'half of it'\n"
        "FilesystemStorage(sys.argv[1]).put(sys.argv[2], Dies())\n"
    )
    run = subprocess.run([sys.executable, "-c", script, str(root), key], cwd=ROOT, capture_output=True)
    assert run.returncode == -signal.SIGKILL, run.stderr


def temporary_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob(".muniment-tmp-*"))


def test_crashed_writers_temporary_files_go_and_live_writers_stay(tmp_path: Path) -> None:
    store = FilesystemStorage(tmp_path)
    store.put_bytes("a/kept", b"data")
    crash_while_writing(tmp_path, "top-level")
    crash_while_writing(tmp_path, "a/b/c/deep")
    crashed = temporary_files(tmp_path)
    assert len(crashed) == 2 and list(store.list("")) == ["a/kept"]  # hidden from listings
    foreign = tmp_path / "a" / ".muniment-tmp-0badc0de-1-abcdefgh"  # another host's writer, recent
    foreign.write_bytes(b"someone else's")

    release = threading.Event()

    class Slow:
        def __init__(self) -> None:
            self.parts = [b"first part", b"second part"]

        def read(self, n: int = -1) -> bytes:
            if len(self.parts) == 1:
                release.wait(10)
            return self.parts.pop(0) if self.parts else b""

    live = threading.Thread(target=store.put, args=("a/b/live", Slow()))
    live.start()
    while len(temporary_files(tmp_path)) < 4:  # the live writer's temporary file is there
        time.sleep(0.01)

    removed = store.discard_temporary("")
    assert sorted(removed) == crashed
    left = temporary_files(tmp_path)
    assert left[0] == "a/.muniment-tmp-0badc0de-1-abcdefgh" and left[1].startswith("a/b/.muniment-tmp-")
    assert len(left) == 2
    assert not (tmp_path / "a" / "b" / "c").exists()  # the crashed writer's folder, left empty
    release.set()
    live.join()
    assert store.get_bytes("a/b/live") == b"first partsecond part"

    old = time.time() - 2 * 24 * 3600
    os.utime(foreign, (old, old))
    assert store.discard_temporary("a/", recursive=False) == ["a/.muniment-tmp-0badc0de-1-abcdefgh"]
    assert temporary_files(tmp_path) == [] and list(store.list("")) == ["a/b/live", "a/kept"]


def test_writes_survive_a_cleaner_removing_their_empty_folders(tmp_path: Path) -> None:
    """Recovery removes empty folders while other items write: a write never fails for it."""
    store = FilesystemStorage(tmp_path, fsync=False)
    done = threading.Event()
    failures: list[BaseException] = []

    def clean() -> None:
        while not done.is_set():
            store.discard_temporary("shared/")

    cleaner = threading.Thread(target=clean)
    cleaner.start()
    try:
        for i in range(400):
            try:
                store.put_bytes(f"shared/x/y/{i}", b"page")
                store.copy(f"shared/x/y/{i}", f"shared/x/z/{i}")
            except OSError as exc:
                failures.append(exc)
            store.delete(f"shared/x/y/{i}")  # leaves the folders empty again
            store.delete(f"shared/x/z/{i}")
    finally:
        done.set()
        cleaner.join()
    assert failures == []
