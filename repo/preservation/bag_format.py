"""The BagIt 1.0 (RFC 8493) file formats: tag files, manifests, and the paths they may name.

Writing is strict and simple (UTF-8, LF, no characters that would need percent-encoding);
reading is tolerant where the RFC and older versions allow it, and reports what it cannot parse
instead of raising, so a validator can list every problem.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from repo.errors import Problem

BAGIT_VERSION = "1.0"
TAG_ENCODING = "UTF-8"
PAYLOAD_DIR = "data"
RESERVED_TAG_FILES = frozenset({"bagit.txt", "bag-info.txt", "fetch.txt"})
MANIFEST_NAME = re.compile(r"^(?P<tag>tag)?manifest-(?P<alg>[A-Za-z0-9]+)\.txt$")

# Expected hex digest lengths, to catch truncated or garbled manifest lines.
DIGEST_HEX_LENGTHS = {"md5": 32, "sha1": 40, "sha224": 56, "sha256": 64, "sha384": 96, "sha512": 128}

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DRIVE = re.compile(r"^[A-Za-z]:")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def unsafe_path_reason(path: str) -> str | None:
    """Why a path named by a manifest or fetch.txt could reach outside the bag, else None.

    Backslashes and drive letters are refused everywhere: on Windows they are separators and
    roots, and an archive must not hold names that mean something else on another system.
    """
    if path == "":
        return "empty path"
    if path.startswith("/"):
        return "absolute path"
    if path.startswith("\\\\") or _DRIVE.match(path):
        return "absolute Windows path"
    if "\\" in path:
        return "backslash in path (not a portable separator)"
    if path.startswith("~"):
        return "path starts with '~' (a home directory shortcut)"
    if _CONTROL.search(path):
        return "control character in path"
    for segment in path.split("/"):
        if segment == "..":
            return "'..' segment leads outside the bag"
        if segment in ("", "."):
            return "empty or '.' path segment"
    return None


def name_for_writing_reason(path: str) -> str | None:
    """Why a path cannot be written by our bag builder, else None.

    We refuse '%' (and CR/LF, via the control characters) rather than percent-encode: RFC 8493
    requires encoding them but bagit-python does not decode '%25', so such bags would not
    round-trip through the most common validator.
    """
    reason = unsafe_path_reason(path)
    if reason is None and "%" in path:
        reason = "'%' in a file name would need percent-encoding"
    return reason


def decode_manifest_path(raw: str) -> str:
    """Undo RFC 8493 section 2.1.3 percent-encoding and the tolerated './' and '*' prefixes."""
    if raw.startswith("*"):  # binary-mode marker written by md5sum-style tools
        raw = raw[1:]
    while raw.startswith("./"):
        raw = raw[2:]
    return re.sub(r"%(0[aAdD]|25)", lambda m: {"0a": "\n", "0d": "\r", "25": "%"}[m.group(1).lower()], raw)


@dataclass(frozen=True)
class ManifestLine:
    digest: str
    path: str  # decoded, relative to the bag root
    line: int


def parse_manifest(text: str, algorithm: str) -> tuple[list[ManifestLine], list[str]]:
    """Entries of a (tag)manifest, and a sentence for each line that is not ``digest path``."""
    entries: list[ManifestLine] = []
    problems: list[str] = []
    expected_length = DIGEST_HEX_LENGTHS.get(algorithm.lower())
    for number, line in enumerate(_LINE_BREAK.split(text), start=1):
        if line.strip() == "":
            continue
        parts = line.split(None, 1)
        if len(parts) != 2 or parts[1].strip() == "":
            problems.append(f"line {number} is not 'checksum filepath'")
            continue
        digest, raw_path = parts[0], parts[1].rstrip(" \t")
        if not re.fullmatch(r"[0-9A-Fa-f]+", digest) or (
            expected_length is not None and len(digest) != expected_length
        ):
            problems.append(f"line {number}: {digest[:20]!r} is not a {algorithm} hex digest")
            continue
        entries.append(ManifestLine(digest.lower(), decode_manifest_path(raw_path), number))
    return entries, problems


def format_manifest(entries: Iterable[tuple[str, str]]) -> bytes:
    """``digest  path`` lines (two spaces, as sha512sum writes), sorted by path."""
    return "".join(f"{digest}  {path}\n" for path, digest in sorted(entries)).encode("utf-8")


def parse_tags(text: str, *, strict_labels: bool) -> tuple[list[tuple[str, str]], list[str]]:
    """Label/value pairs of a tag file (folded lines joined), and a sentence per bad line.

    ``strict_labels`` applies RFC 8493: a label must not start or end with whitespace. Older
    bags (0.97) in the wild write ``Label : value``, which the conformance suite accepts.
    """
    fields: list[tuple[str, str]] = []
    problems: list[str] = []
    for number, line in enumerate(_LINE_BREAK.split(text), start=1):
        if line.strip() == "":
            continue
        if line[0] in " \t":
            if fields:
                label, value = fields[-1]
                fields[-1] = (label, f"{value} {line.strip()}".strip())
            else:
                problems.append(f"line {number} is a continuation with no tag before it")
            continue
        label, colon, value = line.partition(":")
        if not colon:
            problems.append(f"line {number} has no ':' separating label and value")
            continue
        if label.strip() == "":
            problems.append(f"line {number} has an empty label")
            continue
        if strict_labels and label != label.strip():
            problems.append(f"line {number}: label {label!r} starts or ends with whitespace")
        fields.append((label.strip(), value.strip()))
    return fields, problems


def format_tags(fields: Sequence[tuple[str, str]]) -> bytes:
    """``Label: value`` lines; a value's own line breaks become folded continuation lines."""
    out: list[str] = []
    for label, value in fields:
        if label != label.strip() or ":" in label or _CONTROL.search(label) or label == "":
            raise ValueError(f"invalid tag label {label!r}")
        folded = "\n  ".join(part.strip() for part in _LINE_BREAK.split(value.strip()))
        out.append(f"{label}: {folded}\n")
    return "".join(out).encode("utf-8")


def format_bagit_txt() -> bytes:
    return f"BagIt-Version: {BAGIT_VERSION}\nTag-File-Character-Encoding: {TAG_ENCODING}\n".encode()


def human_size(size: int) -> str:
    """Bag-Size in the RFC's human-readable form (``260 GB``), decimal units."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Declaration:
    """What ``bagit.txt`` declares."""

    version: tuple[int, int]
    encoding: str

    @property
    def version_text(self) -> str:
        return f"{self.version[0]}.{self.version[1]}"


_DECLARATION_LINES = (
    re.compile(r"^BagIt-Version: (\d+)\.(\d+)$"),
    re.compile(r"^Tag-File-Character-Encoding: (\S+)$"),
)


def read_declaration(bag_dir: Path) -> tuple[Declaration | None, list[Problem]]:
    """Read ``bagit.txt`` strictly: exactly the two RFC 8493 lines, UTF-8, no byte-order mark.

    A declaration that is malformed but still understandable is returned with its problems,
    so that the rest of the bag can be checked too.
    """
    path = bag_dir / "bagit.txt"
    if not path.is_file():
        return None, [Problem("bagit.txt", "missing")]
    raw = path.read_bytes()
    problems: list[Problem] = []
    if raw.startswith(codecs.BOM_UTF8):
        problems.append(Problem("bagit.txt", "starts with a byte-order mark"))
        raw = raw[len(codecs.BOM_UTF8) :]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, [*problems, Problem("bagit.txt", "is not UTF-8")]
    lines = _LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    strict = [pattern.match(line) for pattern, line in zip(_DECLARATION_LINES, lines, strict=False)]
    if len(lines) != 2 or not all(strict):
        problems.append(
            Problem(
                "bagit.txt",
                "must be exactly 'BagIt-Version: M.N' and "
                "'Tag-File-Character-Encoding: ENCODING', one space after each colon",
            )
        )
    fields = dict(parse_tags(text, strict_labels=False)[0])
    version_match = re.fullmatch(r"(\d+)\.(\d+)", fields.get("BagIt-Version", ""))
    encoding = fields.get("Tag-File-Character-Encoding", "")
    if not version_match:
        problems.append(Problem("bagit.txt", "BagIt-Version is missing or not M.N"))
    try:
        codecs.lookup(encoding)
    except LookupError:
        problems.append(Problem("bagit.txt", f"unknown Tag-File-Character-Encoding {encoding!r}"))
        return None, problems
    if not version_match:
        return None, problems
    version = (int(version_match.group(1)), int(version_match.group(2)))
    return Declaration(version, encoding), problems


def read_tag_text(path: Path, declaration: Declaration) -> str:
    """A tag file decoded with the declared encoding (a UTF BOM is tolerated and dropped)."""
    text = path.read_bytes().decode(declaration.encoding)
    return text.removeprefix("\ufeff")


def read_bag_info(bag_dir: Path, declaration: Declaration) -> tuple[list[tuple[str, str]], list[Problem]]:
    path = bag_dir / "bag-info.txt"
    if not path.is_file():
        return [], []
    try:
        text = read_tag_text(path, declaration)
    except (UnicodeDecodeError, LookupError) as exc:
        return [], [Problem("bag-info.txt", f"cannot be decoded as {declaration.encoding}: {exc}")]
    fields, problems = parse_tags(text, strict_labels=declaration.version >= (1, 0))
    return fields, [Problem("bag-info.txt", p) for p in problems]
