"""Build BagIt 1.0 bags in a local staging folder: the content of every preservation version.

A bag here is: ``bagit.txt``, ``bag-info.txt``, ``manifest-sha512.txt``,
``tagmanifest-sha512.txt``, tag files such as ``metadata/dc.xml``, and the payload under
``data/``. sha512 is the only algorithm because it is also the OCFL digest, so one hash serves
both the bag manifest and the OCFL inventory.
"""

from __future__ import annotations

import errno
import hashlib
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from repo.preservation.bag_format import (
    MANIFEST_NAME,
    PAYLOAD_DIR,
    RESERVED_TAG_FILES,
    format_bagit_txt,
    format_manifest,
    format_tags,
    human_size,
    name_for_writing_reason,
    parse_manifest,
)
from repo.preservation.errors import BagBuildError

ALGORITHM = "sha512"
MANIFEST = f"manifest-{ALGORITHM}.txt"
TAGMANIFEST = f"tagmanifest-{ALGORITHM}.txt"
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class BagEntry:
    """One file of a bag: its path relative to the bag root, size and sha512.

    ``size`` is None only for payload named by a manifest but not present locally (a bag
    made by ``rebuild_tags``, whose payload stays in the previous version).
    """

    path: str
    size: int | None
    sha512: str


@dataclass(frozen=True)
class BagInfo:
    """The bag-info.txt fields we set; Payload-Oxum and Bag-Size are computed."""

    source_organization: str
    bagging_date: date
    external_identifier: str | None = None
    bag_group_identifier: str | None = None
    extra: Sequence[tuple[str, str]] = ()
    software_agent: str | None = "Muniment"

    def fields(self, payload_bytes: int, payload_files: int) -> list[tuple[str, str]]:
        out = [
            ("Source-Organization", self.source_organization),
            ("Bagging-Date", self.bagging_date.isoformat()),
        ]
        if self.external_identifier:
            out.append(("External-Identifier", self.external_identifier))
        if self.bag_group_identifier:
            out.append(("Bag-Group-Identifier", self.bag_group_identifier))
        out.append(("Payload-Oxum", f"{payload_bytes}.{payload_files}"))
        out.append(("Bag-Size", human_size(payload_bytes)))
        if self.software_agent:
            out.append(("Bag-Software-Agent", self.software_agent))
        computed = {label.lower() for label, _ in out}
        for label, value in self.extra:
            if label.lower() in computed:
                raise BagBuildError(f"bag-info field {label!r} is set by the builder, not by extra")
            out.append((label, value))
        return out


@dataclass(frozen=True)
class BuiltBag:
    path: Path
    payload: tuple[BagEntry, ...]
    tags: tuple[BagEntry, ...]  # every file outside data/, tagmanifest included
    info: tuple[tuple[str, str], ...] = field(default=())

    @property
    def files(self) -> tuple[BagEntry, ...]:
        return self.payload + self.tags

    @property
    def payload_oxum(self) -> str:
        sizes = [e.size or 0 for e in self.payload]
        return f"{sum(sizes)}.{len(sizes)}"


def build_bag(
    dest: Path,
    *,
    payload: Mapping[str, Path],
    tags: Mapping[str, bytes],
    info: BagInfo,
    link: bool = False,
) -> BuiltBag:
    """Make a complete bag in ``dest`` (absent or empty).

    ``payload`` maps a name under ``data/`` (``"p1.tif"``, ``"scans/p1.tif"``) to its source
    file; ``tags`` maps a tag file path (``"metadata/dc.xml"``) to its bytes. Payload is copied
    in one streaming pass that also hashes it; with ``link`` it is hard-linked when source and
    staging share a filesystem, and then hashed by reading.
    """
    _check_tag_names(tags)
    _prepare_dest(dest)
    entries: list[BagEntry] = []
    for name in sorted(payload):
        reason = name_for_writing_reason(name)
        if reason:
            raise BagBuildError(f"payload name {name!r}: {reason}")
        rel = f"{PAYLOAD_DIR}/{name}"
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        size, digest = _place(payload[name], target, link=link)
        entries.append(BagEntry(rel, size, digest))
    if not entries:
        (dest / PAYLOAD_DIR).mkdir(exist_ok=True)
    return _write_tag_files(dest, entries, tags, info)


def rebuild_tags(
    dest: Path,
    *,
    payload: Iterable[BagEntry],
    tags: Mapping[str, bytes],
    info: BagInfo,
) -> BuiltBag:
    """Write only the tag files of a new version of a bag whose payload does not change.

    ``payload`` is the previous version's payload (path, size, sha512), so the manifest and
    Payload-Oxum are carried over without reading or copying a single scan. The result names
    payload that is not in ``dest``; the object store takes it from the earlier version.
    """
    _check_tag_names(tags)
    _prepare_dest(dest)
    entries = sorted(payload, key=lambda e: e.path)
    for entry in entries:
        name = entry.path.removeprefix(f"{PAYLOAD_DIR}/")
        reason = name_for_writing_reason(name) if entry.path != name else "not under data/"
        if reason:
            raise BagBuildError(f"payload entry {entry.path!r}: {reason}")
        if entry.size is None:
            raise BagBuildError(f"payload entry {entry.path!r} has no size (needed for Payload-Oxum)")
    (dest / PAYLOAD_DIR).mkdir(exist_ok=True)
    return _write_tag_files(dest, entries, tags, info)


def load_bag(path: Path) -> BuiltBag:
    """Describe a bag on disk from its sha512 manifests (files they do not cover are hashed).

    Payload listed in the manifest but absent gets ``size=None``. Integrity is not checked
    here: the object store passes each digest to ``Storage.put``, which refuses a mismatch.
    """
    if not (path / MANIFEST).is_file():
        raise BagBuildError(f"{path} has no {MANIFEST}")
    payload_digests = _read_sha512_manifest(path / MANIFEST)
    tag_digests = _read_sha512_manifest(path / TAGMANIFEST) if (path / TAGMANIFEST).is_file() else {}
    if any(not p.startswith(f"{PAYLOAD_DIR}/") for p in payload_digests) or any(
        p.startswith(f"{PAYLOAD_DIR}/") for p in tag_digests
    ):
        raise BagBuildError(f"{path}: payload and tag manifests mix up data/ and tag files")
    on_disk = _walk_files(path)
    payload: list[BagEntry] = []
    tag_entries: list[BagEntry] = []
    for rel in sorted(on_disk | set(payload_digests) | set(tag_digests)):
        is_payload = rel.startswith(f"{PAYLOAD_DIR}/")
        digest = (payload_digests if is_payload else tag_digests).get(rel)
        if rel in on_disk:
            if is_payload and digest is None:
                raise BagBuildError(f"{rel} is in {path} but not in {MANIFEST}")
            size: int | None = (path / rel).stat().st_size
            digest = digest or _hash_file(path / rel)
        elif is_payload and digest is not None:
            size = None  # kept in an earlier version of the object (see rebuild_tags)
        else:
            raise BagBuildError(f"{rel} is listed in {TAGMANIFEST} but missing from {path}")
        (payload if is_payload else tag_entries).append(BagEntry(rel, size, digest))
    return BuiltBag(path, tuple(payload), tuple(tag_entries))


def _read_sha512_manifest(file: Path) -> dict[str, str]:
    lines, problems = parse_manifest(file.read_text("utf-8"), ALGORITHM)
    if problems:
        raise BagBuildError(f"{file.name}: {problems[0]}")
    return {line.path: line.digest for line in lines}


def _write_tag_files(dest: Path, payload: list[BagEntry], tags: Mapping[str, bytes], info: BagInfo) -> BuiltBag:
    total = sum(e.size or 0 for e in payload)
    info_fields = info.fields(total, len(payload))
    contents: dict[str, bytes] = {name: tags[name] for name in sorted(tags)}
    contents["bagit.txt"] = format_bagit_txt()
    contents["bag-info.txt"] = format_tags(info_fields)
    contents[MANIFEST] = format_manifest((e.path, e.sha512) for e in payload)
    tag_entries = [_write_bytes(dest, name, data) for name, data in contents.items()]
    tagmanifest = format_manifest((e.path, e.sha512) for e in tag_entries)
    tag_entries.append(_write_bytes(dest, TAGMANIFEST, tagmanifest))
    return BuiltBag(dest, tuple(payload), tuple(sorted(tag_entries, key=lambda e: e.path)), tuple(info_fields))


def _check_tag_names(tags: Mapping[str, bytes]) -> None:
    for name in tags:
        reason = name_for_writing_reason(name)
        if reason is None:
            if name in RESERVED_TAG_FILES or MANIFEST_NAME.match(name):
                reason = "reserved BagIt file name; it is written by the builder"
            elif name == PAYLOAD_DIR or name.startswith(f"{PAYLOAD_DIR}/"):
                reason = "tag files cannot be under data/"
        if reason:
            raise BagBuildError(f"tag file {name!r}: {reason}")


def _prepare_dest(dest: Path) -> None:
    if dest.exists() and any(dest.iterdir()):
        raise BagBuildError(f"staging folder {dest} is not empty")
    dest.mkdir(parents=True, exist_ok=True)


def _write_bytes(dest: Path, rel: str, data: bytes) -> BagEntry:
    target = dest / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return BagEntry(rel, len(data), hashlib.sha512(data).hexdigest())


def _place(source: Path, target: Path, *, link: bool) -> tuple[int, str]:
    if link:
        try:
            os.link(source, target)
        except OSError as exc:
            if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
                raise
        else:
            return target.stat().st_size, _hash_file(target)
    digest = hashlib.sha512()
    size = 0
    with source.open("rb") as src, target.open("xb") as out:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _hash_file(path: Path) -> str:
    digest = hashlib.sha512()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _walk_files(root: Path) -> set[str]:
    """Regular files under ``root`` as bag-relative paths; links and special files refused."""
    found: set[str] = set()
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            full = Path(folder, name)
            rel = full.relative_to(root).as_posix()
            if full.is_symlink():
                raise BagBuildError(f"{rel} is a symbolic link; a staged bag holds only files")
            if name in files:
                if not full.is_file():
                    raise BagBuildError(f"{rel} is not a regular file")
                found.add(rel)
    return found


__all__ = [
    "ALGORITHM",
    "MANIFEST",
    "TAGMANIFEST",
    "BagEntry",
    "BagInfo",
    "BuiltBag",
    "build_bag",
    "load_bag",
    "rebuild_tags",
]
