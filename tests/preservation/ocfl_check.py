"""Validate an OCFL storage root with ocfl-py, the OCFL editors' validator.

ocfl-py 2.1 knows layouts 0002 and 0003 but not 0004, which it would report as an unsupported
layout (E071) before looking at any object; a small adapter registers 0004 with it. Objects are
then validated one by one so that every error and warning is counted. The root is read from a
local mirror made through the ``Storage`` API, so S3 roots are validated the same way.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ocfl
from ocfl.layout import Layout
from ocfl.layout_registry import add_layout
from ocfl.validator import Validator

from repo.audit.event_log import EXTENSION as EVENT_LOG
from repo.lifecycle.collections import EXTENSION as COLLECTIONS
from storage import Storage

NAME = "0004-hashed-n-tuple-storage-layout"


class HashedNTuple(Layout):
    """0004 for ocfl-py, written from the extension text (independently of ours)."""

    def __init__(self) -> None:
        super().__init__()
        self.NAME = NAME
        self.DESCRIPTION = "Hashed N-tuple Storage Layout"
        self.digest_algorithm = "sha256"
        self.tuple_size = 3
        self.number_of_tuples = 3
        self.short_object_root = False
        self.PARAMS = {
            "digestAlgorithm": self._set("digest_algorithm", "sha256"),
            "tupleSize": self._set("tuple_size", 3),
            "numberOfTuples": self._set("number_of_tuples", 3),
            "shortObjectRoot": self._set("short_object_root", False),
        }

    def _set(self, attr: str, default: Any) -> Any:
        return lambda value: setattr(self, attr, default if value is None else value)

    def identifier_to_path(self, identifier: str) -> str:
        digest = hashlib.new(self.digest_algorithm, identifier.encode("utf-8")).hexdigest()
        n, size = self.number_of_tuples, self.tuple_size
        parts = [digest[i * size : (i + 1) * size] for i in range(n)]
        return "/".join([*parts, digest[n * size :] if self.short_object_root else digest])


add_layout(NAME, HashedNTuple)


@dataclass
class Report:
    objects: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def mirror(storage: Storage, dest: Path) -> Path:
    shutil.rmtree(dest, ignore_errors=True)
    for key in storage.list(""):
        target = dest / key
        target.parent.mkdir(parents=True, exist_ok=True)
        with storage.open(key) as src, target.open("wb") as out:
            shutil.copyfileobj(src, out)
    return dest


def validate_root(path: Path) -> Report:
    report = Report()
    root = ocfl.StorageRoot(root=str(path))
    root.registered_extensions.append(NAME)  # a registered OCFL extension ocfl-py does not list
    root.registered_extensions.append(EVENT_LOG)  # Muniment's own, documented in repo/audit/event_log.py
    root.registered_extensions.append(COLLECTIONS)  # and in repo/lifecycle/collections.py
    root.validate(validate_objects=False, log_warnings=True)
    _collect(root.log.messages, report)
    layout = HashedNTuple()
    layout.read_layout_params(root_fs=root.root_fs)
    for object_path in root.object_paths():
        report.objects += 1
        validator = Validator(log_warnings=True, check_digests=True)
        validator.validate_object(str(path / object_path))
        _collect(validator.log.messages, report, prefix=object_path)
        if validator.id and layout.identifier_to_path(validator.id) != object_path:
            report.errors.append(f"{object_path}: not where layout 0004 puts {validator.id!r}")
    return report


def validate_storage(storage: Storage, workdir: Path) -> Report:
    return validate_root(mirror(storage, workdir / "ocfl-mirror"))


def _collect(messages: list[str], report: Report, prefix: str = "") -> None:
    for message in messages:
        text = f"{prefix}: {message}" if prefix else message
        (report.warnings if message.startswith("[W") else report.errors).append(text)


def cli_validate_object(object_path: Path) -> subprocess.CompletedProcess[str]:
    """ocfl-py's own command line on one object (it cannot open a 0004 root; see above)."""
    script = Path(sys.executable).parent / "ocfl-validate.py"
    return subprocess.run([sys.executable, str(script), str(object_path)], capture_output=True, text=True)
