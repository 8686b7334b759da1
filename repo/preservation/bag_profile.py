"""Check a bag against a BagIt Profile (BagIt Profiles Specification 1.1 to 1.4).

Only the rules of the profile are checked here; validity as a bag is ``validate_bag``'s job.
"""

from __future__ import annotations

import fnmatch
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from repo.errors import Problem
from repo.preservation.bag_format import (
    MANIFEST_NAME,
    PAYLOAD_DIR,
    RESERVED_TAG_FILES,
    read_bag_info,
    read_declaration,
)

# Media types that name the same serialization.
_SAME_TYPE = {
    "application/x-tar": "application/tar",
    "application/x-gzip": "application/gzip",
    "application/x-zip-compressed": "application/zip",
}


def load_profile(path: Path) -> dict[str, Any]:
    doc = json.loads(path.read_text("utf-8"))
    if not isinstance(doc, dict):
        raise ValueError(f"{path} is not a BagIt profile (not a JSON object)")
    return doc


def check_profile(bag_dir: Path, profile: Mapping[str, Any], *, serialization: str | None = None) -> list[Problem]:
    """Every way the bag breaks the profile. ``serialization`` is the media type of the
    archive the bag arrived in (None: it arrived as a folder)."""
    problems = _check_profile_itself(profile)
    declaration, _ = read_declaration(bag_dir)
    if declaration is None:
        return [*problems, Problem("bagit.txt", "unreadable, so the profile cannot be checked")]
    accepted = [str(v) for v in profile.get("Accept-BagIt-Version", [])]
    if accepted and declaration.version_text not in accepted:
        problems.append(
            Problem(
                "bagit.txt",
                f"BagIt-Version {declaration.version_text} is not accepted by the profile ({', '.join(accepted)})",
            )
        )
    problems += _check_serialization(profile, serialization)
    fields, _ = read_bag_info(bag_dir, declaration)
    problems += _check_bag_info(fields, profile)
    files = _files(bag_dir)
    manifests = {f for f in files if "/" not in f and MANIFEST_NAME.match(f)}
    problems += _check_algorithms(manifests, profile, tag=False)
    problems += _check_algorithms(manifests, profile, tag=True)
    problems += _check_fetch(files, profile)
    problems += _check_tag_files(files, manifests, profile)
    problems += _check_payload_files(bag_dir, files, profile)
    return problems


def _check_profile_itself(profile: Mapping[str, Any]) -> list[Problem]:
    info = profile.get("BagIt-Profile-Info")
    if not isinstance(info, Mapping) or not info.get("BagIt-Profile-Identifier"):
        return [Problem("profile", "BagIt-Profile-Info lacks BagIt-Profile-Identifier")]
    return []


def _check_serialization(profile: Mapping[str, Any], serialization: str | None) -> list[Problem]:
    rule = profile.get("Serialization", "optional")
    if rule == "required" and serialization is None:
        return [Problem(".", "the profile requires a serialized (archived) bag")]
    if rule == "forbidden" and serialization is not None:
        return [Problem(".", "the profile forbids serialized bags")]
    accepted = {_SAME_TYPE.get(t, t) for t in profile.get("Accept-Serialization", [])}
    if serialization is not None and _SAME_TYPE.get(serialization, serialization) not in accepted:
        return [Problem(".", f"serialization {serialization} is not accepted by the profile")]
    return []


def _check_bag_info(fields: list[tuple[str, str]], profile: Mapping[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    values: dict[str, list[str]] = {}
    for label, value in fields:
        values.setdefault(label.lower(), []).append(value)
    identifier = profile.get("BagIt-Profile-Info", {}).get("BagIt-Profile-Identifier")
    declared = values.get("bagit-profile-identifier", [])
    if not declared:
        problems.append(Problem("bag-info.txt", "BagIt-Profile-Identifier is required by every profile"))
    elif identifier and identifier not in declared:
        problems.append(Problem("bag-info.txt", f"BagIt-Profile-Identifier does not name {identifier}"))
    for label, rule in profile.get("Bag-Info", {}).items():
        present = values.get(label.lower(), [])
        if rule.get("required") and not any(v.strip() for v in present):
            problems.append(Problem("bag-info.txt", f"{label} is required"))
        allowed = rule.get("values") or []
        for value in present:
            if allowed and value not in allowed:
                problems.append(Problem("bag-info.txt", f"{label} {value!r} is not one of {allowed}"))
        if rule.get("repeatable", True) is False and len(present) > 1:
            problems.append(Problem("bag-info.txt", f"{label} must not be repeated"))
    return problems


def _check_algorithms(manifests: set[str], profile: Mapping[str, Any], *, tag: bool) -> list[Problem]:
    prefix = "tagmanifest-" if tag else "manifest-"
    kind = "Tag-Manifests" if tag else "Manifests"
    present = {name[len(prefix) : -len(".txt")] for name in manifests if name.startswith(prefix)}
    problems = [
        Problem(f"{prefix}{alg}.txt", f"required by the profile ({kind}-Required)")
        for alg in profile.get(f"{kind}-Required", [])
        if alg not in present
    ]
    allowed = profile.get(f"{kind}-Allowed")
    if allowed is not None:
        problems += [
            Problem(f"{prefix}{alg}.txt", f"algorithm not allowed by the profile ({kind}-Allowed)")
            for alg in sorted(present - set(allowed))
        ]
    return problems


def _check_fetch(files: set[str], profile: Mapping[str, Any]) -> list[Problem]:
    has_fetch = "fetch.txt" in files
    if has_fetch and profile.get("Allow-Fetch.txt", True) is False:
        return [Problem("fetch.txt", "not allowed by the profile (Allow-Fetch.txt)")]
    if not has_fetch and profile.get("Fetch.txt-Required", False) is True:
        return [Problem("fetch.txt", "required by the profile (Fetch.txt-Required)")]
    return []


def _check_tag_files(files: set[str], manifests: set[str], profile: Mapping[str, Any]) -> list[Problem]:
    problems = [
        Problem(path, "required by the profile (Tag-Files-Required)")
        for path in profile.get("Tag-Files-Required", [])
        if path not in files
    ]
    allowed = profile.get("Tag-Files-Allowed", ["*"])
    for path in sorted(files):
        if path.startswith(f"{PAYLOAD_DIR}/") or path in RESERVED_TAG_FILES or path in manifests:
            continue
        if not any(fnmatch.fnmatchcase(path, pattern) for pattern in allowed):
            problems.append(Problem(path, "tag file not allowed by the profile (Tag-Files-Allowed)"))
    return problems


def _check_payload_files(bag_dir: Path, files: set[str], profile: Mapping[str, Any]) -> list[Problem]:
    payload = {f for f in files if f.startswith(f"{PAYLOAD_DIR}/")}
    problems: list[Problem] = []
    # Empty means no files, or a single zero-byte placeholder file.
    not_empty = len(payload) > 1 or any((bag_dir / p).stat().st_size > 0 for p in payload)
    if profile.get("Data-Empty") is True and not_empty:
        problems.append(Problem(PAYLOAD_DIR, "must be empty (Data-Empty)"))
    for required in profile.get("Payload-Files-Required", []):
        present = any(p.startswith(required) for p in payload) if required.endswith("/") else required in payload
        if not present:
            problems.append(Problem(required, "required by the profile (Payload-Files-Required)"))
    allowed = profile.get("Payload-Files-Allowed")
    if allowed is not None:
        for path in sorted(payload):
            if not any(fnmatch.fnmatchcase(path, pattern) for pattern in allowed):
                problems.append(Problem(path, "not allowed by the profile (Payload-Files-Allowed)"))
    return problems


def _files(bag_dir: Path) -> set[str]:
    found: set[str] = set()
    for folder, _, names in os.walk(bag_dir):
        for name in names:
            found.add(Path(folder, name).relative_to(bag_dir).as_posix())
    return found
