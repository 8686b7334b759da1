"""Extract an uploaded bag archive (.zip, .tar, .tar.gz) into a staging folder, safely.

Every member is checked before anything is written (names that escape, links, devices), and
sizes are counted from the bytes actually written, not from headers that may lie. On any
refusal the staging folder is removed and ``UnsafeArchive`` lists every reason.
"""

from __future__ import annotations

import posixpath
import shutil
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from repo.preservation.bag_format import unsafe_path_reason
from repo.preservation.errors import BagProblem, UnsafeArchive

_Reader = Callable[[Any], IO[bytes] | None]  # ZipFile.open or TarFile.extractfile

CHUNK = 1024 * 1024
MEDIA_ZIP = "application/zip"
MEDIA_TAR = "application/x-tar"
MEDIA_GZIP = "application/gzip"


@dataclass(frozen=True)
class ExtractedArchive:
    root: Path  # the staging folder everything was written into
    bag_dir: Path  # the single top-level folder when there is one, else ``root``
    media_type: str  # for a profile's Accept-Serialization
    files: int
    bytes: int


@dataclass(frozen=True)
class _Member:
    name: str  # normalized relative path
    kind: str  # "file", "dir" or "hardlink"
    source: object  # ZipInfo or TarInfo
    link_target: str | None = None


@dataclass(frozen=True)
class ArchiveLimits:
    """How far an archive may expand. ``max_ratio`` applies once more than ``ratio_floor``
    bytes are written, so that tiny, very compressible bags (a few XML files) still pass."""

    max_bytes: int
    max_ratio: float = 100.0
    max_files: int = 100_000
    ratio_floor: int = 1024 * 1024


def extract_archive(archive: Path, dest: Path, limits: ArchiveLimits) -> ExtractedArchive:
    """Extract ``archive`` into ``dest`` (which must not exist yet)."""
    if dest.exists():
        raise FileExistsError(f"staging folder {dest} already exists")
    with _open(archive) as (media_type, members, read):
        problems = _check_members(members, limits)
        if problems:
            raise UnsafeArchive(archive.name, problems)
        dest.mkdir(parents=True)
        try:
            files, written = _extract(members, read, dest, limits, archive)
        except BaseException:
            shutil.rmtree(dest, ignore_errors=True)
            raise
    entries = list(dest.iterdir())
    bag_dir = entries[0] if len(entries) == 1 and entries[0].is_dir() else dest
    return ExtractedArchive(dest, bag_dir, media_type, files, written)


@contextmanager
def _open(archive: Path) -> Iterator[tuple[str, list[_Member], _Reader]]:
    with archive.open("rb") as probe:
        magic = probe.read(4)
    # Detected by leading magic bytes: zipfile.is_zipfile also matches a tar holding a zip.
    if magic in (b"PK\x03\x04", b"PK\x05\x06"):
        try:
            with zipfile.ZipFile(archive) as zf:
                yield MEDIA_ZIP, _zip_members(zf), zf.open
        except zipfile.BadZipFile as exc:
            raise UnsafeArchive(archive.name, [BagProblem(".", f"damaged zip archive ({exc})")]) from None
        return
    gzipped = magic[:2] == b"\x1f\x8b"
    try:
        with tarfile.open(archive, "r:gz" if gzipped else "r:") as tf:
            members = _tar_members(tf)
            yield MEDIA_GZIP if gzipped else MEDIA_TAR, members, tf.extractfile
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        problem = BagProblem(".", f"not a readable zip, tar or tar.gz archive ({exc})")
        raise UnsafeArchive(archive.name, [problem]) from None


def _zip_members(zf: zipfile.ZipFile) -> list[_Member]:
    members = []
    for info in zf.infolist():
        mode = info.external_attr >> 16
        if info.flag_bits & 0x1:
            kind = "encrypted"
        elif stat.S_ISLNK(mode):
            kind = "symlink"
        elif stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):  # 0: no type recorded
            kind = "special"
        else:
            kind = "dir" if info.is_dir() else "file"
        members.append(_Member(info.filename, kind, info))
    return members


def _tar_members(tf: tarfile.TarFile) -> list[_Member]:
    members = []
    for info in tf:
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
        members.append(_Member(info.name, kind, info, target))
    return members


def _normalize(name: str) -> str:
    while name.startswith("./"):
        name = name[2:]
    return name.rstrip("/")


def _check_members(members: list[_Member], limits: ArchiveLimits) -> list[BagProblem]:
    problems: list[BagProblem] = []
    if len(members) > limits.max_files:
        problems.append(BagProblem(".", f"{len(members)} members; at most {limits.max_files} allowed"))
    seen: dict[str, str] = {}
    for member in members:
        name = _normalize(member.name)
        if name == "" and member.kind == "dir":
            continue  # the archive's own "./"
        reason = unsafe_path_reason(name)
        if reason:
            problems.append(BagProblem(member.name, reason))
            continue
        if member.kind == "symlink":
            link = member.link_target or ""
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(name), link))
            outside = link.startswith("/") or resolved == ".." or resolved.startswith("../")
            where = "pointing outside the archive" if outside else "not allowed in a bag"
            problems.append(BagProblem(member.name, f"symbolic link to {member.link_target!r} {where}"))
        elif member.kind == "hardlink":
            target = _normalize(member.link_target or "")
            if unsafe_path_reason(target) or seen.get(target) != "file":
                problems.append(
                    BagProblem(
                        member.name,
                        f"hard link to {member.link_target!r} pointing outside the archive's earlier files",
                    )
                )
        elif member.kind == "special":
            problems.append(BagProblem(member.name, "device or FIFO file"))
        elif member.kind == "encrypted":
            problems.append(BagProblem(member.name, "encrypted member"))
        elif member.kind == "unsupported":
            problems.append(BagProblem(member.name, "unsupported member type"))
        if name in seen and not (member.kind == "dir" and seen[name] == "dir"):
            problems.append(BagProblem(member.name, "appears twice in the archive"))
        seen[name] = "file" if member.kind == "hardlink" else member.kind
    return problems


def _extract(
    members: list[_Member], open_member: _Reader, dest: Path, limits: ArchiveLimits, archive: Path
) -> tuple[int, int]:
    written = 0
    files = 0
    archive_size = max(archive.stat().st_size, 1)

    def account(n: int) -> None:
        nonlocal written
        written += n
        if written > limits.max_bytes:
            raise UnsafeArchive(archive.name, [BagProblem(".", f"expands beyond {limits.max_bytes} bytes")])
        if written > limits.ratio_floor and written > limits.max_ratio * archive_size:
            raise UnsafeArchive(archive.name, [BagProblem(".", f"expands more than {limits.max_ratio:g}:1")])

    for member in members:
        name = _normalize(member.name)
        if name == "":
            continue
        target = dest / name
        if member.kind == "dir":
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        files += 1
        if member.kind == "hardlink":
            source = dest / _normalize(member.link_target or "")
            account(source.stat().st_size)
            shutil.copyfile(source, target)  # a copy, never a link: the bag must not alias
            continue
        stream = open_member(member.source)
        if stream is None:
            raise UnsafeArchive(archive.name, [BagProblem(member.name, "cannot be read")])
        with stream, target.open("xb") as out:
            while chunk := stream.read(CHUNK):
                account(len(chunk))
                out.write(chunk)
    return files, written
