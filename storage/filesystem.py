"""Local filesystem backend: the embedded default.

Writes go to a temporary file in the destination folder, are fsynced, then renamed, so an
object is either absent or complete. Keys are resolved strictly under the root. A temporary
file's name says which process writes it, so that ``discard_temporary`` removes what a crashed
writer left and never a live writer's file in progress.
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, TypeVar, cast

from storage.base import (
    CHUNK_SIZE,
    PART_SIZE,
    HashingReader,
    ObjectInfo,
    PartCheckingReader,
    PartDigests,
    PendingPut,
    Storage,
    _StagedCopy,
    check_expected,
    digest_parts,
    validate_key,
    validate_prefix,
)
from storage.errors import AlreadyExists, ChecksumMismatch, NotFound, StorageUnavailable
from storage.ranged import RangeReader

_TMP_PREFIX = ".muniment-tmp-"
# Temporary names are ``.muniment-tmp-<host>-<pid>-<random>``: a writer on this host is gone when
# its pid is; another host's (a folder shared between containers) or an unnamed one (older
# releases) is taken as gone only when untouched this long.
_HOST = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]
_FOREIGN_TEMP_AGE = 24 * 3600
# How long a write keeps trying when a cleaner removes the (empty) folder it has just made. Bounded
# by time, not by tries: on a loaded machine the cleaner can win several rounds in a row (five tries
# ran out about once in 2,000 writes under a load of 5), yet every round costs only microseconds.
_FOLDER_PATIENCE_S = 2.0
T = TypeVar("T")
# The sha512 travels with the file as an extended attribute: set on the temporary file, it
# becomes visible with the rename, and no extra file appears in the tree (an OCFL root must
# hold only its own files). The mtime stored beside it detects a file changed in place.
_XATTR = "user.muniment.sha512"


class FilesystemStorage(Storage):
    def __init__(self, root: Path | str, *, fsync: bool = True) -> None:
        self.root = Path(root).resolve()
        self.location = f"file://{self.root}"
        self._fsync = fsync
        self._root = str(self.root)
        self._inside = self._root.rstrip(os.sep) + os.sep

    def _path(self, key: str) -> Path:
        # Strings, not Path objects: this runs for every key of every call (a dozen per stored
        # file), and pathlib's resolve and parents cost most of a small item's ingest.
        path = os.path.realpath(os.path.join(self._root, validate_key(key)))
        # validate_key already rejects '..'; this also stops symlinks leading outside the root.
        if path != self._root and not path.startswith(self._inside):
            from storage.errors import InvalidKey

            raise InvalidKey(key, "resolves outside the storage root")
        return Path(path)

    def check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.root, prefix=_tmp_prefix()):
                pass
        except OSError as exc:
            raise StorageUnavailable(f"storage folder {self.root} is not writable: {exc.strerror}") from None

    def put(self, key: str, stream: BinaryIO, *, sha512: str | None = None) -> ObjectInfo:
        return self._write(key, stream, sha512, exclusive=False)

    def create(self, key: str, data: bytes, *, sha512: str | None = None) -> ObjectInfo:
        return self._write(key, io.BytesIO(data), sha512, exclusive=True)

    def digest_for_put(self, stream: BinaryIO) -> PartDigests:
        # A crc32 per part lets put_pending check the copy without a second sha512 of every byte.
        return digest_parts(stream, PART_SIZE, "crc32")

    def _write(
        self, key: str, stream: BinaryIO, sha512: str | None, *, exclusive: bool, parts: PartDigests | None = None
    ) -> ObjectInfo:
        """A temporary file beside the key, then a rename over it (or, exclusive, a hard link
        that fails when the key exists: ``link`` is the one atomic create-if-absent). With
        ``parts`` (the stream hashed already), the copy is checked part by part, not hashed."""
        path = self._path(key)
        reader: HashingReader | PartCheckingReader
        if parts is not None and PartCheckingReader.usable(parts) and (sha512 is None or sha512 == parts.sha512):
            reader = PartCheckingReader(stream, parts)
        else:
            reader = HashingReader(stream)
        fd, tmp_name = _temporary_beside(path)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := reader.read(CHUNK_SIZE):
                    out.write(chunk)
                out.flush()
                if self._fsync:
                    os.fsync(out.fileno())
            if isinstance(reader, PartCheckingReader):
                checked = reader.sha512
                if checked is None:
                    raise ChecksumMismatch(key, expected=reader.expected, actual="other bytes (changed since hashed)")
                digest = checked
            else:
                digest = reader.sha512.hexdigest()
            check_expected(key, digest, sha512)
            _set_checksum(tmp_name, digest)
            if exclusive:
                _link_new(tmp_name, path, key, self.location)
                os.unlink(tmp_name)
            else:
                os.replace(tmp_name, path)
            if self._fsync:
                _fsync_dir(path.parent)
        except BaseException:
            _remove_quietly(tmp_name)
            raise
        stat = path.stat()
        return ObjectInfo(key, reader.size, _mtime(stat.st_mtime), digest)

    def put_pending(
        self,
        key: str,
        stream: BinaryIO,
        *,
        sha512: str | None,
        staging_key: str,
        parts: PartDigests | None = None,
    ) -> PendingPut:
        """The bytes under ``staging_key``; the commit links them to ``key`` (no copy, never over
        an existing file) and removes the staging name."""
        self._path(key)  # refuse a bad key before sending anything
        info = self._write(staging_key, stream, sha512, exclusive=False, parts=parts)
        return _LinkedPut(self, key, staging_key, info)

    def open(self, key: str, start: int = 0, end: int | None = None, *, read_ahead: bool = True) -> BinaryIO:
        # read_ahead: the operating system reads ahead in files by itself
        path = self._path(key)
        try:
            handle = path.open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise NotFound(key, self.location) from None
        if start == 0 and end is None:
            return handle
        return cast(BinaryIO, RangeReader(handle, start, end))

    def head(self, key: str) -> ObjectInfo:
        path = self._path(key)
        try:
            stat = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            raise NotFound(key, self.location) from None
        if not path.is_file():
            raise NotFound(key, self.location)
        return ObjectInfo(key, stat.st_size, _mtime(stat.st_mtime), _get_checksum(path, stat.st_mtime_ns))

    def list_page(self, prefix: str = "", *, start_after: str = "", limit: int = 1000) -> list[str]:
        keys: list[str] = []
        for key in self._walk(validate_prefix(prefix)):
            if key <= start_after:
                continue
            keys.append(key)
            if len(keys) >= limit:
                break
        return keys

    def _walk(self, prefix: str) -> Iterator[str]:
        """Keys under the prefix in sorted order (byte order of the full key, as S3 lists)."""
        base_dir = prefix.rpartition("/")[0]
        start = self.root / base_dir if base_dir else self.root
        if not start.is_dir():
            return
        stack: list[tuple[Path, str]] = [(start, base_dir + "/" if base_dir else "")]
        results: list[str] = []
        while stack:
            folder, rel = stack.pop()
            try:
                entries = list(os.scandir(folder))
            except OSError:
                continue
            for entry in entries:
                if entry.name.startswith(_TMP_PREFIX):
                    continue
                key = rel + entry.name
                if entry.is_dir(follow_symlinks=False):
                    if (key + "/").startswith(prefix) or prefix.startswith(key + "/"):
                        stack.append((Path(entry.path), key + "/"))
                elif key.startswith(prefix):
                    results.append(key)
        results.sort()  # whole-key order, as S3 lists
        yield from results

    def copy(self, source: str, dest: str) -> ObjectInfo:
        """A hard link under a temporary name, then a rename: no bytes copied.

        Safe because ``put`` never changes a file in place (it renames a new file over it).
        """
        src, dst = self._path(source), self._path(dest)
        if not src.is_file():
            raise NotFound(source, self.location)
        tmp = dst.parent / f"{_tmp_prefix()}{secrets.token_hex(6)}"
        try:
            _in_folder(dst.parent, lambda: os.link(src, tmp))
        except OSError:  # links not supported here (or the source went): copy the bytes
            info = self.head(source)
            with self.open(source) as stream:
                return self.put(dest, stream, sha512=info.sha512)
        try:
            os.replace(tmp, dst)
            if self._fsync:
                _fsync_dir(dst.parent)
        except BaseException:
            _remove_quietly(str(tmp))
            raise
        return self.head(dest)

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except IsADirectoryError:
            return
        # Remove folders left empty so the tree stays tidy (OCFL validators dislike empty dirs).
        parent = path.parent
        while parent != self.root:
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent

    def local_path(self, key: str) -> str | None:
        return str(self._path(key))

    def discard_temporary(self, prefix: str = "", *, recursive: bool = True, any_owner: bool = False) -> list[str]:
        folder = self._path(validate_prefix(prefix).rstrip("/")) if prefix else self.root
        if recursive:
            folders = [Path(f) for f, _, _ in os.walk(folder, topdown=False)]  # deepest first
        else:
            folders = [folder] if folder.is_dir() else []
        removed: list[str] = []
        for current in folders:
            try:
                entries = list(os.scandir(current))
            except (FileNotFoundError, NotADirectoryError):
                continue
            for entry in entries:
                if not entry.name.startswith(_TMP_PREFIX) or not entry.is_file(follow_symlinks=False):
                    continue
                if any_owner or _writer_gone(entry):
                    _remove_quietly(entry.path)
                    removed.append(Path(entry.path).relative_to(self.root).as_posix())
            self._remove_empty_folders(current)
        if not folders:
            self._remove_empty_folders(folder.parent)
        return removed

    def _remove_empty_folders(self, folder: Path) -> None:
        """``folder`` and its parents, while empty. A writer may fill or remove one meanwhile:
        both are fine (ENOTEMPTY, ENOENT), and writers try again when theirs vanished."""
        while folder != self.root and self.root in folder.parents:
            try:
                folder.rmdir()
            except FileNotFoundError:
                pass
            except OSError:  # not empty (or not ours to remove): the folders above are not either
                return
            folder = folder.parent


def _tmp_prefix() -> str:
    return f"{_TMP_PREFIX}{_HOST}-{os.getpid()}-"


def _writer_gone(entry: os.DirEntry[str]) -> bool:
    """Whether the process that writes this temporary file has ended (see ``_TMP_PREFIX``)."""
    host, _, rest = entry.name[len(_TMP_PREFIX) :].partition("-")
    pid = rest.partition("-")[0]
    if host == _HOST and pid.isdigit():
        return not process_alive(int(pid))
    try:
        return time.time() - entry.stat(follow_symlinks=False).st_mtime > _FOREIGN_TEMP_AGE
    except FileNotFoundError:
        return False


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` of this host is running (another user's counts as running)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True


def _temporary_beside(path: Path) -> tuple[int, str]:
    """A new temporary file, named for this process, in ``path``'s folder (made if missing)."""
    return _in_folder(path.parent, lambda: tempfile.mkstemp(dir=path.parent, prefix=_tmp_prefix()))


def _in_folder(folder: Path, make: Callable[[], T]) -> T:
    """Create ``folder`` and ``make`` a file in it. A cleaner removes folders it finds empty
    (``delete``, ``discard_temporary``), perhaps between the two: then both are done again."""
    give_up = time.monotonic() + _FOLDER_PATIENCE_S
    while True:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            return make()
        # FileExistsError: a parent existed at mkdir, then was removed before mkdir saw it a folder.
        except (FileNotFoundError, FileExistsError):
            if time.monotonic() > give_up:
                raise


class _LinkedPut(_StagedCopy):
    """The portable staged copy, committed by a hard link instead: no copy, never over a file."""

    _storage: FilesystemStorage

    def commit(self) -> ObjectInfo:
        storage = self._storage
        staged, path = storage._path(self._staging_key), storage._path(self.key)
        _in_folder(path.parent, lambda: _link_new(str(staged), path, self.key, storage.location))
        if storage._fsync:
            _fsync_dir(path.parent)
        storage.delete(self._staging_key)
        return storage.head(self.key)


def _link_new(source: str, path: Path, key: str, location: str) -> None:
    try:
        os.link(source, path)
    except FileExistsError:
        raise AlreadyExists(key, location) from None


def _set_checksum(name: str, digest: str) -> None:
    try:
        os.setxattr(name, _XATTR, f"{digest}:{os.stat(name).st_mtime_ns}".encode())
    except OSError:
        pass  # a filesystem without user attributes: head() reports no checksum


def _get_checksum(path: Path, mtime_ns: int) -> str | None:
    try:
        digest, _, stamp = os.getxattr(path, _XATTR).decode().partition(":")
    except OSError:
        return None
    # Written in place after we stored it (rename keeps mtime): the digest no longer holds.
    return digest if stamp == str(mtime_ns) else None


def _mtime(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_quietly(name: str) -> None:
    try:
        os.unlink(name)
    except FileNotFoundError:
        pass
