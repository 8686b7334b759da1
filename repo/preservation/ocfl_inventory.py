"""The OCFL 1.1 inventory: parse (checking what a reader relies on), build the next version,
serialize, and the digest sidecar.

Only sha512 is supported as the inventory digest: it is the OCFL recommendation and the bag
manifest algorithm, so one digest serves both.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from repo.preservation.errors import InvalidInventory

INVENTORY_TYPE = "https://ocfl.io/1.1/spec/#inventory"
ACCEPTED_TYPES = (INVENTORY_TYPE, "https://ocfl.io/1.0/spec/#inventory")
DIGEST_ALGORITHM = "sha512"
DEFAULT_CONTENT_DIRECTORY = "content"
INVENTORY_FILE = "inventory.json"
SIDECAR_FILE = f"{INVENTORY_FILE}.{DIGEST_ALGORITHM}"

_VERSION_NAME = re.compile(r"^v(\d+)$")
_HEX = re.compile(r"^[0-9a-fA-F]+$")


@dataclass(frozen=True)
class User:
    name: str
    address: str | None = None  # a URI: mailto: or a personal identifier such as an ORCID iD

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, **({"address": self.address} if self.address else {})}


@dataclass(frozen=True)
class Version:
    created: str  # RFC 3339 with a time zone
    state: Mapping[str, tuple[str, ...]]  # digest -> logical paths
    message: str | None = None
    user: User | None = None

    def logical_paths(self) -> dict[str, str]:
        """logical path -> digest."""
        return {path: digest for digest, paths in self.state.items() for path in paths}


@dataclass(frozen=True)
class Inventory:
    id: str
    head: str
    manifest: Mapping[str, tuple[str, ...]]  # digest -> content paths
    versions: Mapping[str, Version]
    content_directory: str = DEFAULT_CONTENT_DIRECTORY
    digest_algorithm: str = DIGEST_ALGORITHM

    def version(self, name: str | None) -> Version:
        return self.versions[name or self.head]

    def state(self, name: str | None = None) -> dict[str, tuple[str, str]]:
        """logical path -> (content path, digest) for a version (default: head)."""
        out: dict[str, tuple[str, str]] = {}
        for path, digest in self.version(name).logical_paths().items():
            out[path] = (self.manifest[digest][0], digest)
        return dict(sorted(out.items()))

    def with_version(self, version: Version, new_content: Mapping[str, str]) -> Inventory:
        """A copy with ``version`` appended as the next head; ``new_content`` is digest ->
        content path of the files this version stores."""
        name = next_version_name(self.head)
        manifest = {d: tuple(paths) for d, paths in self.manifest.items()}
        for digest, content_path in new_content.items():
            manifest[digest] = (*manifest.get(digest, ()), content_path)
        return replace(self, head=name, manifest=manifest, versions={**self.versions, name: version})

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": INVENTORY_TYPE,
            "digestAlgorithm": self.digest_algorithm,
            "head": self.head,
            "contentDirectory": self.content_directory,
            "manifest": {d: sorted(p) for d, p in sorted(self.manifest.items())},
            "versions": {name: _version_json(v) for name, v in self.versions.items()},
        }

    def to_bytes(self) -> bytes:
        return (json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def first_inventory(object_id: str, version: Version, new_content: Mapping[str, str]) -> Inventory:
    return Inventory(
        id=object_id,
        head="v1",
        manifest={digest: (path,) for digest, path in new_content.items()},
        versions={"v1": version},
    )


def now_created(clock: datetime | None = None) -> str:
    moment = (clock or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def version_number(name: str) -> int:
    match = _VERSION_NAME.match(name)
    if not match or int(match.group(1)) < 1:
        raise ValueError(f"{name!r} is not an OCFL version name")
    return int(match.group(1))


def next_version_name(name: str) -> str:
    """v3 -> v4; a zero-padded sequence (v003) keeps its width, as OCFL requires."""
    digits = name[1:]
    number = version_number(name) + 1
    return f"v{number:0{len(digits)}d}" if digits.startswith("0") else f"v{number}"


def logical_path_reason(path: str) -> str | None:
    """Why ``path`` is not a valid OCFL logical or content path, else None."""
    if path == "" or path.startswith("/") or path.endswith("/"):
        return "must not be empty or start or end with '/'"
    if any(segment in ("", ".", "..") for segment in path.split("/")):
        return "must not contain empty, '.' or '..' segments"
    return None


def sidecar_bytes(digest: str) -> bytes:
    return f"{digest}  {INVENTORY_FILE}\n".encode("ascii")


def parse_sidecar(data: bytes) -> str:
    match = re.match(rb"^([0-9a-fA-F]+)[ \t]+inventory\.json[ \t]*\r?\n?$", data)
    if not match:
        raise InvalidInventory(SIDECAR_FILE, ["sidecar is not 'DIGEST inventory.json'"])
    return match.group(1).decode("ascii").lower()


def digest_of(data: bytes) -> str:
    return hashlib.sha512(data).hexdigest()


def parse_inventory(data: bytes, where: str, expected_id: str | None = None) -> Inventory:
    """Parse and check an inventory; ``InvalidInventory`` lists every problem found."""
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInventory(where, [f"not UTF-8 JSON: {exc}"]) from None
    problems: list[str] = []
    if not isinstance(doc, dict):
        raise InvalidInventory(where, ["not a JSON object"])
    for key in ("id", "type", "digestAlgorithm", "head", "manifest", "versions"):
        if key not in doc:
            problems.append(f"missing {key!r}")
    if problems:
        raise InvalidInventory(where, problems)
    if not isinstance(doc["id"], str) or doc["id"] == "":
        problems.append("'id' must be a non-empty string")
    elif expected_id is not None and doc["id"] != expected_id:
        problems.append(f"'id' is {doc['id']!r}, expected {expected_id!r}")
    if doc["type"] not in ACCEPTED_TYPES:
        problems.append(f"'type' {doc['type']!r} is not an OCFL inventory type")
    if doc["digestAlgorithm"] != DIGEST_ALGORITHM:
        problems.append(f"'digestAlgorithm' {doc['digestAlgorithm']!r} is not supported (sha512 only)")
    content_dir = doc.get("contentDirectory", DEFAULT_CONTENT_DIRECTORY)
    if not isinstance(content_dir, str) or "/" in content_dir or content_dir in ("", ".", ".."):
        problems.append("'contentDirectory' must be a single folder name")
    versions = _parse_versions(doc["versions"], doc["head"], problems)
    manifest = _parse_digest_map(doc["manifest"], "manifest", problems)
    _check_manifest(manifest, set(versions), str(content_dir), problems)
    for name, version in versions.items():
        for digest in version.state:
            if digest not in manifest:
                problems.append(f"{name} state digest {digest[:16]}... is not in the manifest")
    if problems:
        raise InvalidInventory(where, problems)
    return Inventory(str(doc["id"]), str(doc["head"]), manifest, versions, str(content_dir))


def _parse_versions(raw: Any, head: Any, problems: list[str]) -> dict[str, Version]:
    if not isinstance(raw, dict) or not raw:
        problems.append("'versions' must be a non-empty object")
        return {}
    names = list(raw)
    try:
        numbers = sorted(version_number(n) for n in names)
    except ValueError as exc:
        problems.append(str(exc))
        return {}
    if numbers != list(range(1, len(numbers) + 1)):
        problems.append("versions must be numbered v1..vN without gaps")
    if len({len(n) for n in names}) > 1 and any(n[1:].startswith("0") for n in names):
        problems.append("zero-padded version names must all have the same width")
    latest = max(names, key=version_number)
    if head != latest:
        problems.append(f"'head' is {head!r} but the latest version is {latest!r}")
    versions: dict[str, Version] = {}
    for name in sorted(names, key=version_number):
        block = raw[name]
        if not isinstance(block, dict) or "created" not in block or "state" not in block:
            problems.append(f"version {name} needs 'created' and 'state'")
            continue
        state = _parse_digest_map(block["state"], f"{name} state", problems)
        seen: set[str] = set()
        for paths in state.values():
            for path in paths:
                reason = logical_path_reason(path)
                if reason:
                    problems.append(f"{name} logical path {path!r} {reason}")
                if path in seen:
                    problems.append(f"{name} lists logical path {path!r} twice")
                seen.add(path)
        user = block.get("user")
        versions[name] = Version(
            created=str(block["created"]),
            state=state,
            message=block.get("message"),
            user=User(str(user.get("name", "")), user.get("address")) if isinstance(user, dict) else None,
        )
    return versions


def _parse_digest_map(raw: Any, what: str, problems: list[str]) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, dict):
        problems.append(f"{what} must be an object")
        return {}
    out: dict[str, tuple[str, ...]] = {}
    for digest, paths in raw.items():
        if not isinstance(digest, str) or not _HEX.match(digest) or len(digest) != 128:
            problems.append(f"{what} key {str(digest)[:20]!r} is not a sha512 digest")
            continue
        if not isinstance(paths, list) or not paths or not all(isinstance(p, str) for p in paths):
            problems.append(f"{what} entry for {digest[:16]}... must be a list of paths")
            continue
        if digest.lower() in out:
            problems.append(f"{what} lists digest {digest[:16]}... twice")
        out[digest.lower()] = tuple(paths)
    return out


def _check_manifest(
    manifest: Mapping[str, tuple[str, ...]], versions: set[str], content_dir: str, problems: list[str]
) -> None:
    seen: set[str] = set()
    for paths in manifest.values():
        for path in paths:
            reason = logical_path_reason(path)
            version, _, rest = path.partition("/")
            if reason:
                problems.append(f"content path {path!r} {reason}")
            elif version not in versions or not rest.startswith(f"{content_dir}/"):
                problems.append(f"content path {path!r} is not under a version's {content_dir}/")
            if path in seen:
                problems.append(f"content path {path!r} appears twice in the manifest")
            seen.add(path)


def _version_json(version: Version) -> dict[str, Any]:
    out: dict[str, Any] = {
        "created": version.created,
        "state": {d: sorted(p) for d, p in sorted(version.state.items())},
    }
    if version.message is not None:
        out["message"] = version.message
    if version.user is not None:
        out["user"] = version.user.to_json()
    return out
