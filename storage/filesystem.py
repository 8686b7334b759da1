"""Local filesystem backend: the embedded default.

Writes go to a temporary file in the destination folder, are fsynced, then renamed, so an
object is either absent or complete. Keys are resolved strictly under the root.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, cast

from storage.base import (
    CHUNK_SIZE,
    HashingReader,
    ObjectInfo,
    PartDigests,
    PendingPut,
    Storage,
    check_expected,
    validate_key,
    validate_prefix,
)
from storage.errors import AlreadyExists, NotFound, StorageUnavailable
from storage.ranged import RangeReader

_TMP_PREFIX = ".muniment-tmp-"
# The sha512 travels with the file as an extended attribute: set on the temporary file, it
# becomes visible with the rename, and no extra file appears in the tree (an OCFL root must
# hold only its own files). The mtime stored beside it detects a file changed in place.
_XATTR = "user.muniment.sha512"


class FilesystemStorage(Storage):
    def __init__(self, root: Path | str, *, fsync: bool = True) -> None:
        self.root = Path(root).resolve()
        self.location = f"file://{self.root}"
        self._fsync = fsync

    def _path(self, key: str) -> Path:
        path = (self.root / validate_key(key)).resolve()
        # validate_key already rejects '..'; this also stops symlinks leading outside the root.
        if path != self.root and self.root not in path.parents:
            from storage.errors import InvalidKey

            raise InvalidKey(key, "resolves outside the storage root")
        return path

    def check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.root, prefix=_TMP_PREFIX):
                pass
        except OSError as exc:
            raise StorageUnavailable(f"storage folder {self.root} is not writable: {exc.strerror}") from None

    def put(self, key: str, stream: BinaryIO, *, sha512: str | None = None) -> ObjectInfo:
        return self._write(key, stream, sha512, exclusive=False)

    def create(self, key: str, data: bytes, *, sha512: str | None = None) -> ObjectInfo:
        return self._write(key, io.BytesIO(data), sha512, exclusive=True)

    def _write(self, key: str, stream: BinaryIO, sha512: str | None, *, exclusive: bool) -> ObjectInfo:
        """A temporary file beside the key, then a rename over it (or, exclusive, a hard link
        that fails when the key exists: ``link`` is the one atomic create-if-absent)."""
        path = self._path(key)
        reader = HashingReader(stream)
        fd, tmp_name = _temporary_beside(path)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := reader.read(CHUNK_SIZE):
                    out.write(chunk)
                out.flush()
                if self._fsync:
                    os.fsync(out.fileno())
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
        info = self.put(staging_key, stream, sha512=sha512)
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
        dst.parent.mkdir(parents=True, exist_ok=True)
        tmp = dst.parent / f"{_TMP_PREFIX}{os.getpid()}-{id(dst)}"
        try:
            os.link(src, tmp)
        except OSError:  # links not supported here: copy the bytes
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


class _LinkedPut(PendingPut):
    def __init__(self, storage: FilesystemStorage, key: str, staging_key: str, info: ObjectInfo) -> None:
        self._storage = storage
        self.key = key
        self._staging_key = staging_key
        self.info = info

    def commit(self) -> ObjectInfo:
        storage = self._storage
        staged, path = storage._path(self._staging_key), storage._path(self.key)
        path.parent.mkdir(parents=True, exist_ok=True)
        _link_new(str(staged), path, self.key, storage.location)
        if storage._fsync:
            _fsync_dir(path.parent)
        storage.delete(self._staging_key)
        return storage.head(self.key)

    def abort(self) -> None:
        self._storage.delete(self._staging_key)


def _temporary_beside(path: Path) -> tuple[int, str]:
    """A new temporary file in ``path``'s folder, made if missing. Another writer's ``delete``
    may remove that folder, left empty, between the two steps: then make it again."""
    for attempt in range(5):
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            return tempfile.mkstemp(dir=path.parent, prefix=_TMP_PREFIX)
        except FileNotFoundError:
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


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
