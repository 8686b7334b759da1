"""What only the filesystem backend can show: it never touches a path outside its root."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from storage import FilesystemStorage, InvalidKey, NotFound


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
