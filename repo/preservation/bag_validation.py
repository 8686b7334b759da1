"""Validate an incoming bag folder completely, listing every problem as ``(file, reason)``.

Two passes: our own checks first (what bagit-python misses or only logs, and anything that
would make reading the bag unsafe), then bagit-python's full validation (structure,
completeness, Payload-Oxum, every checksum). bagit-python is skipped when the bag is unsafe to
read: a symlink would make it hash files outside the bag, a FIFO would hang it.
"""

from __future__ import annotations

import hashlib
import os
import stat
import unicodedata
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import bagit

from repo.errors import Problem
from repo.preservation.bag_format import (
    MANIFEST_NAME,
    PAYLOAD_DIR,
    Declaration,
    parse_manifest,
    read_bag_info,
    read_declaration,
    read_tag_text,
    unsafe_path_reason,
)
from repo.preservation.bag_profile import check_profile


def validate_bag(
    bag_dir: Path,
    *,
    fetch_allowlist: Collection[str] = (),
    profile: Mapping[str, Any] | None = None,
    serialization: str | None = None,
    processes: int = 1,
) -> list[Problem]:
    """Every problem of the bag in ``bag_dir``; an empty list means valid.

    ``fetch_allowlist`` holds the host names a ``fetch.txt`` URL may point at (none: fetch.txt
    is refused). Fetched files must already be present: nothing is downloaded here.
    ``profile`` is a BagIt Profile (JSON) to check as well; ``serialization`` is the media
    type of the archive the bag came in, if any, for the profile's serialization rules.
    """
    if not bag_dir.is_dir():
        return [Problem(".", "not a folder")]
    problems, unsafe = _check_tree(bag_dir)
    declaration, found = read_declaration(bag_dir)
    problems += found
    named: set[str] = set()
    if declaration is not None:
        problems += read_bag_info(bag_dir, declaration)[1]
        found, manifest_unsafe, listed = _check_manifests(bag_dir, declaration)
        problems += found
        found, fetch_unsafe = _check_fetch(bag_dir, declaration, fetch_allowlist)
        problems += found
        unsafe = unsafe or manifest_unsafe or fetch_unsafe
        if not unsafe:
            found = _check_completeness(bag_dir, listed)
            problems += found
            named = {p.file for p in found}
    if not unsafe:
        # bagit-python names the same files again (or, when Payload-Oxum is wrong, nothing else).
        problems += [p for p in _bagit_python(bag_dir, processes) if p.file not in named]
    if profile is not None:
        problems += check_profile(bag_dir, profile, serialization=serialization)
    return list(dict.fromkeys(problems))  # bagit-python repeats some of ours


def _check_tree(bag_dir: Path) -> tuple[list[Problem], bool]:
    """Refuse anything that is not a regular file or folder, without following links."""
    problems: list[Problem] = []
    for folder, dirs, files in os.walk(bag_dir):
        for name in dirs + files:
            full = os.path.join(folder, name)
            rel = Path(full).relative_to(bag_dir).as_posix()
            mode = os.lstat(full).st_mode
            if stat.S_ISLNK(mode):
                problems.append(
                    Problem(rel, f"symbolic link (to {os.readlink(full)!r}); a bag may hold only regular files")
                )
            elif not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                problems.append(Problem(rel, "device, FIFO or socket; a bag may hold only regular files"))
    return problems, bool(problems)


def _manifest_files(bag_dir: Path) -> list[tuple[str, bool, str]]:
    """(file name, is tag manifest, algorithm) for each manifest in the bag root."""
    found = []
    for entry in sorted(os.listdir(bag_dir)):
        match = MANIFEST_NAME.match(entry)
        if match and (bag_dir / entry).is_file():
            found.append((entry, bool(match.group("tag")), match.group("alg").lower()))
    return found


def _check_manifests(bag_dir: Path, declaration: Declaration) -> tuple[list[Problem], bool, dict[str, set[str]]]:
    """Problems of every manifest's lines; whether a path is unsafe; payload manifest -> paths listed."""
    problems: list[Problem] = []
    unsafe = False
    payload_sets: dict[str, set[str]] = {}
    for name, is_tag, algorithm in _manifest_files(bag_dir):
        if algorithm not in hashlib.algorithms_available:
            problems.append(Problem(name, f"algorithm {algorithm!r} cannot be verified"))
        try:
            text = read_tag_text(bag_dir / name, declaration)
        except (UnicodeDecodeError, LookupError) as exc:
            problems.append(Problem(name, f"cannot be decoded as {declaration.encoding}: {exc}"))
            continue
        entries, line_problems = parse_manifest(text, algorithm)
        problems += [Problem(name, p) for p in line_problems]
        seen: set[str] = set()
        for entry in entries:
            reason = unsafe_path_reason(entry.path)
            if reason:
                unsafe = True
                problems.append(Problem(name, f"{entry.path!r}: {reason}", entry.line))
                continue
            in_payload = entry.path.startswith(f"{PAYLOAD_DIR}/")
            if is_tag and (in_payload or entry.path.startswith("tagmanifest-")):
                problems.append(Problem(name, f"a tag manifest cannot list {entry.path!r}", entry.line))
            if not is_tag and not in_payload:
                problems.append(Problem(name, f"{entry.path!r} is not under data/", entry.line))
            if entry.path in seen:
                problems.append(Problem(name, f"{entry.path!r} is listed twice", entry.line))
            seen.add(entry.path)
        if not is_tag:
            payload_sets[name] = seen
    # RFC 8493 2.1.3: every payload manifest lists every payload file (bagit-python only checks
    # the union of the manifests against the folder).
    everything = set().union(*payload_sets.values()) if payload_sets else set()
    for name, listed in payload_sets.items():
        for missing in sorted(everything - listed):
            problems.append(Problem(name, f"does not list {missing!r}, which another manifest lists"))
    return problems, unsafe, payload_sets


def _check_completeness(bag_dir: Path, listed: Mapping[str, set[str]]) -> list[Problem]:
    """Each payload file no manifest lists, and each listed file that is not there, by name.

    bagit-python stops at a wrong Payload-Oxum without saying which files are extra or missing.
    Names are compared in Unicode NFC, as a bag made on macOS (NFD) names the same files.
    """
    if not listed:
        return []
    on_disk: dict[str, str] = {}
    for folder, _, files in os.walk(bag_dir / PAYLOAD_DIR):
        for file in files:
            rel = Path(folder, file).relative_to(bag_dir).as_posix()
            on_disk[unicodedata.normalize("NFC", rel)] = rel
    problems: list[Problem] = []
    manifests = sorted(listed)
    every = {unicodedata.normalize("NFC", path): path for paths in listed.values() for path in paths}
    for key in sorted(set(on_disk) - set(every)):
        problems.append(Problem(on_disk[key], f"is not in {' or '.join(manifests)}"))
    for key in sorted(set(every) - set(on_disk)):
        owner = next(name for name in manifests if every[key] in listed[name])
        problems.append(Problem(every[key], f"is missing (listed in {owner})"))
    return problems


def _check_fetch(bag_dir: Path, declaration: Declaration, allowlist: Collection[str]) -> tuple[list[Problem], bool]:
    path = bag_dir / "fetch.txt"
    if not path.exists():
        return [], False
    if not allowlist:
        return [Problem("fetch.txt", "fetch.txt is not accepted (no fetch host is allowed)")], False
    allowed = {host.lower() for host in allowlist}
    problems: list[Problem] = []
    unsafe = False
    try:
        text = read_tag_text(path, declaration)
    except (UnicodeDecodeError, LookupError) as exc:
        return [Problem("fetch.txt", f"cannot be decoded as {declaration.encoding}: {exc}")], False
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip() == "":
            continue
        parts = line.split(None, 2)
        if len(parts) != 3:
            problems.append(Problem("fetch.txt", "is not 'URL LENGTH FILEPATH'", number))
            continue
        url, length, target = parts[0], parts[1], parts[2].rstrip()
        parsed = urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            problems.append(Problem("fetch.txt", "only http(s) URLs are accepted", number))
        elif parsed.hostname.lower() not in allowed:
            problems.append(Problem("fetch.txt", f"host {parsed.hostname!r} is not in the fetch allowlist", number))
        if not (length == "-" or length.isdigit()):
            problems.append(Problem("fetch.txt", f"length {length!r} is not a number", number))
        reason = unsafe_path_reason(target)
        if reason:
            unsafe = True
            problems.append(Problem("fetch.txt", f"{target!r}: {reason}", number))
        elif not target.startswith(f"{PAYLOAD_DIR}/"):
            problems.append(Problem("fetch.txt", f"{target!r} is not under data/", number))
        elif not (bag_dir / target).is_file():
            problems.append(Problem(target, "listed in fetch.txt but not present; fetch it first"))
    return problems, unsafe


def _bagit_python(bag_dir: Path, processes: int) -> list[Problem]:
    base = os.path.abspath(bag_dir)

    def clean(message: str) -> str:  # no server paths in what may reach an HTTP response
        return message.replace(base + os.sep, "").replace(base + ": ", "").replace(base, ".")

    try:
        bag = bagit.Bag(base)
        bag.validate(processes=processes)
    except bagit.BagValidationError as exc:
        if exc.details:
            return [Problem(getattr(d, "path", "."), clean(str(d))) for d in exc.details]
        where = "bag-info.txt" if "Payload-Oxum" in exc.message else "."
        return [Problem(where, clean(exc.message))]
    except bagit.BagError as exc:
        where = "bag-info.txt" if "Payload-Oxum" in str(exc) else "."
        return [Problem(where, clean(str(exc)))]
    except (OSError, UnicodeError, ValueError) as exc:
        return [Problem(".", clean(f"unreadable: {exc}"))]
    return []
