"""Extract an uploaded bag archive (.zip, .tar, .tar.gz) into a staging folder, safely, as a stream.

Members are counted and sized as they are read, before memory grows with them: a zip's central
directory is walked and counted before ``zipfile`` parses it; a tar is read one member at a time,
each forgotten once handled, with its extended headers bounded. Every member is checked before
anything is written (names that escape, links, devices, a name that is both a file and a folder):
a tar is read twice, once to check and once to write. Sizes are counted from the headers and
again from the bytes actually written, since headers may lie. On any refusal the staging folder
is removed and ``UnsafeArchive`` lists every reason.
"""

from __future__ import annotations

import functools
import os
import posixpath
import shutil
import stat
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from repo.errors import Problem, ResourceError, system_cause
from repo.preservation.bag_format import unsafe_path_reason
from repo.preservation.errors import UnsafeArchive

CHUNK = 1024 * 1024
MEDIA_ZIP = "application/zip"
MEDIA_TAR = "application/x-tar"
MEDIA_GZIP = "application/gzip"

# Tar headers that tarfile reads whole into memory: long names and pax attributes.
_EXTENDED_HEADERS = frozenset(
    {tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE, tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK}
)
MAX_EXTENDED_HEADER = 1024 * 1024
MAX_PROBLEMS = 1000  # reasons kept before reading stops


@dataclass(frozen=True)
class ExtractedArchive:
    root: Path  # the staging folder everything was written into
    bag_dir: Path  # the single top-level folder when there is one, else ``root``
    media_type: str  # for a profile's Accept-Serialization
    files: int
    bytes: int


@dataclass(frozen=True)
class _Member:
    name: str  # as the archive spells it
    kind: str  # "file", "dir", "hardlink", "symlink", "special", "encrypted" or "unsupported"
    size: int = 0  # what the header claims
    link_target: str | None = None


@dataclass(frozen=True)
class ArchiveLimits:
    """How far an archive may expand. ``max_ratio`` applies once more than ``ratio_floor``
    bytes are written, so that tiny, very compressible bags (a few XML files) still pass.
    ``max_directory_bytes`` bounds a zip's central directory, which ``zipfile`` holds in memory."""

    max_bytes: int
    max_ratio: float = 100.0
    max_files: int = 100_000
    ratio_floor: int = 1024 * 1024
    max_directory_bytes: int = 64 * 1024 * 1024


def extract_archive(archive: Path, dest: Path, limits: ArchiveLimits) -> ExtractedArchive:
    """Extract ``archive`` into ``dest`` (which must not exist yet)."""
    if dest.exists():
        raise FileExistsError(f"staging folder {dest} already exists")
    with archive.open("rb") as probe:
        magic = probe.read(4)
    dest.mkdir(parents=True)
    unpacker = _Unpacker(archive, dest, limits)
    try:
        # Detected by leading magic bytes: zipfile.is_zipfile also matches a tar holding a zip.
        if magic in (b"PK\x03\x04", b"PK\x05\x06"):
            media_type = MEDIA_ZIP
            unpacker.unzip()
        else:
            media_type = MEDIA_GZIP if magic[:2] == b"\x1f\x8b" else MEDIA_TAR
            unpacker.untar(gzipped=media_type == MEDIA_GZIP)
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    entries = list(dest.iterdir())
    bag_dir = entries[0] if len(entries) == 1 and entries[0].is_dir() else dest
    return ExtractedArchive(dest, bag_dir, media_type, unpacker.files, unpacker.written)


class _Unpacker:
    """One archive's members checked in order, then written once none was refused."""

    def __init__(self, archive: Path, dest: Path, limits: ArchiveLimits) -> None:
        self.archive = archive
        self.dest = dest
        self.limits = limits
        self.archive_size = max(archive.stat().st_size, 1)
        self.problems: list[Problem] = []
        self.seen: dict[str, str] = {}  # normalized name -> kind; "parent" for a folder only implied
        self.members = 0
        self.declared = 0
        self.files = 0
        self.written = 0

    # -- the two formats --------------------------------------------------------------------

    def unzip(self) -> None:
        with self.archive.open("rb") as handle:
            entries, directory_bytes = _zip_directory(handle, self.limits.max_files)
        if entries > self.limits.max_files:
            self._too_many()
        if directory_bytes > self.limits.max_directory_bytes:
            limit = self.limits.max_directory_bytes
            self._refuse(Problem(".", f"a central directory of {directory_bytes} bytes: at most {limit} allowed"))
        try:
            with zipfile.ZipFile(self.archive) as zf:
                infos = zf.infolist()
                for info in infos:
                    self._check(_zip_member(info))
                self._stop_on_problems()
                for info in infos:
                    self._write(_zip_member(info), functools.partial(zf.open, info))
        except zipfile.BadZipFile as exc:
            self._refuse(Problem(".", f"damaged zip archive ({exc})"))

    def untar(self, *, gzipped: bool) -> None:
        self._read_tar(gzipped, self._check)  # every member checked before anything is written
        self._stop_on_problems()
        self._read_tar(gzipped, None)

    def _read_tar(self, gzipped: bool, check: Callable[[_Member], None] | None) -> None:
        """One pass over the members in order: checked with ``check``, else written. A plain tar
        is read seeking past the data of members it checks; a gzipped one only as a stream."""
        try:
            with (
                self.archive.open("rb") as raw,
                tarfile.open(fileobj=raw, mode="r|gz" if gzipped else "r:", tarinfo=_BoundedTarInfo) as tf,
            ):
                while (info := tf.next()) is not None:
                    tf.members.clear()  # type: ignore[attr-defined]  # tarfile keeps every member read: a million would stay
                    if check is not None:
                        check(_tar_member(info))
                    else:
                        self._write(_tar_member(info), functools.partial(tf.extractfile, info))
        except (tarfile.TarError, EOFError, zlib.error) as exc:
            self._refuse(Problem(".", f"not a readable zip, tar or tar.gz archive ({exc})"))
        except _HeaderTooLarge as exc:
            self._refuse(Problem(".", str(exc)))

    # -- checks -----------------------------------------------------------------------------

    def _refuse(self, problem: Problem) -> None:
        raise UnsafeArchive(self.archive.name, [*self.problems, problem])

    def _too_many(self) -> None:
        limit = self.limits.max_files
        self._refuse(Problem(".", f"more than {limit} members: at most {limit} allowed"))

    def _stop_on_problems(self) -> None:
        if self.problems:
            raise UnsafeArchive(self.archive.name, self.problems)

    def _check(self, member: _Member) -> None:
        """A refused member adds its problem. The count, the declared sizes and too many problems
        end the reading at once: going on is what such an archive is for."""
        self.members += 1
        if len(self.problems) >= MAX_PROBLEMS:
            self._refuse(Problem(".", f"more than {MAX_PROBLEMS} members refused: reading stopped"))
        if self.members > self.limits.max_files:
            self._too_many()
        self.declared += member.size
        self._check_size(self.declared)
        name = _normalize(member.name)
        if name == "" and member.kind == "dir":
            return  # the archive's own "./"
        reason = unsafe_path_reason(name) or self._kind_reason(member) or self._place_reason(name, member.kind)
        if reason:
            self.problems.append(Problem(member.name, reason))

    def _check_size(self, size: int) -> None:
        if size > self.limits.max_bytes:
            self._refuse(Problem(".", f"expands beyond {self.limits.max_bytes} bytes"))
        if size > self.limits.ratio_floor and size > self.limits.max_ratio * self.archive_size:
            self._refuse(Problem(".", f"expands more than {self.limits.max_ratio:g}:1"))

    def _kind_reason(self, member: _Member) -> str | None:
        name = _normalize(member.name)
        if member.kind == "symlink":
            link = member.link_target or ""
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(name), link))
            outside = link.startswith("/") or resolved == ".." or resolved.startswith("../")
            where = "pointing outside the archive" if outside else "not allowed in a bag"
            return f"symbolic link to {member.link_target!r} {where}"
        if member.kind == "hardlink":
            target = _normalize(member.link_target or "")
            if unsafe_path_reason(target) or self.seen.get(target) != "file":
                return f"hard link to {member.link_target!r} pointing outside the archive's earlier files"
        return {
            "special": "device or FIFO file",
            "encrypted": "encrypted member",
            "unsupported": "unsupported member type",
        }.get(member.kind)

    def _place_reason(self, name: str, kind: str) -> str | None:
        """A name used twice, or as a file and as a folder (``bag/x`` then ``bag/x/y``)."""
        parts = name.split("/")
        for depth in range(1, len(parts)):
            ancestor = "/".join(parts[:depth])
            if self.seen.setdefault(ancestor, "parent") not in ("dir", "parent"):
                return f"lies inside {ancestor}, a file earlier in the archive"
        previous = self.seen.get(name)
        if previous == "parent" and kind != "dir":
            return "is a file here, but earlier members lie inside it as a folder"
        if previous is not None and previous != "parent" and not (kind == "dir" and previous == "dir"):
            return "appears twice in the archive"
        self.seen[name] = "file" if kind == "hardlink" else kind
        return None

    # -- writing ----------------------------------------------------------------------------

    def _write(self, member: _Member, open_member: Callable[[], IO[bytes] | None]) -> None:
        name = _normalize(member.name)
        if name == "":
            return
        target = self.dest / name
        try:
            if member.kind == "dir":
                target.mkdir(parents=True, exist_ok=True)
                return
            target.parent.mkdir(parents=True, exist_ok=True)
            self.files += 1
            if member.kind == "hardlink":
                source = self.dest / _normalize(member.link_target or "")
                self._account(source.stat().st_size)
                shutil.copyfile(source, target)  # a copy, never a link: the bag must not alias
                return
            stream = open_member()
            if stream is None:
                self._refuse(Problem(member.name, "cannot be read"))
                return
            with stream, target.open("xb") as out:
                while chunk := stream.read(CHUNK):
                    self._account(len(chunk))
                    out.write(chunk)
        except OSError as exc:
            cause = system_cause(exc, self.dest)
            if cause:
                raise ResourceError(f"cannot unpack {self.archive.name}: {cause}") from None
            self._refuse(Problem(member.name, f"cannot be written: {exc.strerror or exc}"))

    def _account(self, n: int) -> None:
        self.written += n
        self._check_size(self.written)


class _BoundedTarInfo(tarfile.TarInfo):
    """Refuses a long-name or pax header larger than ``MAX_EXTENDED_HEADER`` before tarfile reads
    it whole into memory (``frombuf`` sees each 512-byte header first)."""

    @classmethod
    def frombuf(cls, buf: bytes | bytearray, encoding: str, errors: str) -> Any:
        info = super().frombuf(buf, encoding, errors)
        if info.type in _EXTENDED_HEADERS and info.size > MAX_EXTENDED_HEADER:
            raise _HeaderTooLarge(info.size)
        return info


class _HeaderTooLarge(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(f"an extended tar header of {size} bytes: at most {MAX_EXTENDED_HEADER} allowed")


def _zip_directory(handle: IO[bytes], limit: int) -> tuple[int, int]:
    """How many entries a zip's central directory holds, counted by walking it (the count it
    states may lie; zipfile trusts neither and parses all it finds) up to ``limit`` + 1, and its
    size in bytes. Zeros when there is no end record: zipfile then names the damage."""
    size = handle.seek(0, os.SEEK_END)
    tail_start = max(0, size - 22 - 0xFFFF)
    handle.seek(tail_start)
    tail = handle.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return 0, 0
    stated, directory_bytes = struct.unpack_from("<HL", tail, at + 10)
    end = tail_start + at  # the central directory ends where the end records begin
    if end >= 76:
        handle.seek(end - 76)
        zip64 = handle.read(76)
        if zip64[:4] == b"PK\x06\x06" and zip64[56:60] == b"PK\x06\x07":
            stated, directory_bytes = struct.unpack_from("<QQ", zip64, 32)
            end -= 76
    if stated > limit:
        return stated, directory_bytes
    handle.seek(max(0, end - directory_bytes))
    entries = walked = 0
    while walked < directory_bytes and entries <= limit:
        header = handle.read(46)
        if len(header) < 46 or header[:4] != b"PK\x01\x02":
            break
        name, extra, comment = struct.unpack_from("<3H", header, 28)
        handle.seek(name + extra + comment, os.SEEK_CUR)
        walked += 46 + name + extra + comment
        entries += 1
    return entries, directory_bytes


def _zip_member(info: zipfile.ZipInfo) -> _Member:
    mode = info.external_attr >> 16
    if info.flag_bits & 0x1:
        kind = "encrypted"
    elif stat.S_ISLNK(mode):
        kind = "symlink"
    elif stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):  # 0: no type recorded
        kind = "special"
    else:
        kind = "dir" if info.is_dir() else "file"
    return _Member(info.filename, kind, info.file_size if kind == "file" else 0)


def _tar_member(info: tarfile.TarInfo) -> _Member:
    if info.isreg():
        kind = "file"
    elif info.isdir():
        kind = "dir"
    elif info.issym():
        kind = "symlink"
    elif info.islnk():
        kind = "hardlink"
    elif info.ischr() or info.isblk() or info.isfifo():
        kind = "special"
    else:
        kind = "unsupported"
    target = info.linkname if kind in ("symlink", "hardlink") else None
    return _Member(info.name, kind, info.size if kind == "file" else 0, target)


def _normalize(name: str) -> str:
    while name.startswith("./"):
        name = name[2:]
    return name.rstrip("/")
