"""Where a pyramid's bytes come from: a local file (filesystem storage), byte ranges of a stored
object (S3), and a bounded folder of local copies for the decoder, which needs a file."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
import weakref
from collections import OrderedDict
from pathlib import Path

from storage import Storage

_BLOCK = 64 * 1024
_NOWAIT = getattr(os, "RWF_NOWAIT", 0)  # Linux 4.14+


class LocalFileSource:
    """Positional reads (``os.pread``) on one file handle, safe to share between threads.

    The handle is closed when the last user drops the object, never while a render still reads it.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._file = open(path, "rb", buffering=0)  # noqa: SIM115  # lives as long as this object
        self._fd = self._file.fileno()
        self._size = os.fstat(self._fd).st_size

    @property
    def size(self) -> int:
        return self._size

    def read_at(self, offset: int, length: int) -> bytes:
        return os.pread(self._fd, length, offset)

    def read_at_nowait(self, offset: int, length: int) -> bytearray | None:
        """The bytes if the operating system holds them in memory (no waiting for the disk), else
        None: safe to call on an event loop."""
        if not _NOWAIT:
            return None
        buffer = bytearray(length)
        try:
            n = os.preadv(self._fd, [buffer], offset, _NOWAIT)
        except (BlockingIOError, OSError):  # EAGAIN: not in memory; EOPNOTSUPP: not on this file system
            return None
        return buffer if n == length else None


class StorageRangeSource:
    """Reads of one stored object through ``Storage.open(key, start, end)``.

    The TIFF structure is read in many small pieces: those go through a small cache of aligned
    64 KiB blocks so that each directory costs one or two requests. Larger reads (tiles) go direct.
    """

    def __init__(self, storage: Storage, key: str, size: int, max_blocks: int = 64) -> None:
        self._storage = storage
        self._key = key
        self._size = size
        self._blocks: OrderedDict[int, bytes] = OrderedDict()
        self._max_blocks = max_blocks
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        return self._size

    def _block(self, index: int) -> bytes:
        with self._lock:
            data = self._blocks.get(index)
            if data is not None:
                self._blocks.move_to_end(index)
                return data
        start = index * _BLOCK
        data = self._storage.get_bytes(self._key, start, min(start + _BLOCK, self._size))
        with self._lock:
            self._blocks[index] = data
            while len(self._blocks) > self._max_blocks:
                self._blocks.popitem(last=False)
        return data

    def read_at(self, offset: int, length: int) -> bytes:
        if length >= _BLOCK // 4:
            return self._storage.get_bytes(self._key, offset, offset + length)
        first, last = offset // _BLOCK, (offset + length - 1) // _BLOCK
        data = b"".join(self._block(i) for i in range(first, last + 1))
        start = offset - first * _BLOCK
        return data[start : start + length]


class LocalCopies:
    """Whole-file copies of stored objects in a folder, least recently used removed past ``max_bytes``.

    A copy being read by a decoder may be removed: on POSIX the open handle keeps it readable.
    """

    def __init__(self, directory: str | None, max_bytes: int) -> None:
        self._base = Path(directory) if directory else Path(tempfile.gettempdir()) / "muniment-iiif-sources"
        self._folder: Path | None = None
        self._max_bytes = max_bytes
        self._files: OrderedDict[str, int] = OrderedDict()
        self._total = 0
        self._lock = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}

    @property
    def _dir(self) -> Path:
        """This process's own folder, made on first use and removed when the process ends."""
        if self._folder is None:
            self._base.mkdir(parents=True, exist_ok=True)
            self._folder = Path(tempfile.mkdtemp(prefix="copies-", dir=self._base))
            weakref.finalize(self, shutil.rmtree, self._folder, True)
        return self._folder

    def path_for(self, storage: Storage, key: str, version: str) -> str:
        """A local path holding the object's bytes, copied on first use."""
        name = hashlib.sha256(f"{storage.location}\0{key}\0{version}".encode()).hexdigest() + ".tif"
        with self._lock:
            path = self._dir / name
            if name in self._files:
                self._files.move_to_end(name)
                return str(path)
            key_lock = self._key_locks.setdefault(name, threading.Lock())
        with key_lock:  # one download per object, however many requests wait for it
            with self._lock:
                if name in self._files:
                    return str(path)
            fd, tmp = tempfile.mkstemp(dir=self._dir, suffix=".part")
            try:
                with os.fdopen(fd, "wb") as out:
                    for chunk in storage.iter_chunks(key):
                        out.write(chunk)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            size = path.stat().st_size
            with self._lock:
                self._files[name] = size
                self._total += size
                self._key_locks.pop(name, None)
                while self._total > self._max_bytes and len(self._files) > 1:
                    old, old_size = self._files.popitem(last=False)
                    self._total -= old_size
                    (self._dir / old).unlink(missing_ok=True)
        return str(path)
