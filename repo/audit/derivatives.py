"""An item's access derivatives (each page's pyramidal TIFF and thumbnail) checked during fixity:
present, of the page's pixel size, their smallest level decoding. Missing or unreadable ones are
made again from the page's master scan, read out of a copy whose bytes match the inventory.

Making them is the ingest package's work, which the domain may not import: the command line hands
the audit a ``MakeDerivatives`` (``ingest.derivatives.make_derivatives`` fits it).
"""

from __future__ import annotations

import hashlib
import io
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

import pyvips

from repo.audit.event_log import LoggedEvent
from repo.audit.fixity_rows import stamp
from repo.audit.service import Preservation
from repo.catalog import FixityRow, PageFile
from repo.errors import Problem
from repo.identifiers import object_id
from repo.metadata.premis import FIXITY_CHECK, REPAIR, PremisEvent
from repo.page_sizes import BLOCK, RangeFile
from repo.preservation import PreservationError
from repo.version import AGENT
from storage.base import Storage
from storage.errors import NotFound, StorageError

ACCESS = "access"  # how fixity rows and events name the access storage


class MadeDerivatives(Protocol):
    @property
    def pyramid(self) -> Path: ...

    @property
    def thumbnail(self) -> Path: ...


# (master scan, its MIME type, output folder, file stem) -> the files made, or why not.
MakeDerivatives = Callable[[Path, str, Path, str], MadeDerivatives | Problem]


@dataclass
class DerivativeCheck:
    events: list[LoggedEvent] = field(default_factory=list)
    findings: list[FixityRow] = field(default_factory=list)


def check_derivatives(p: Preservation, item_id: str, make: MakeDerivatives | None, moment: datetime) -> DerivativeCheck:
    check = DerivativeCheck()
    for page in p.catalog.files(item_id):
        sizes = {page.derivative_key: (page.width, page.height), page.thumbnail_key: None}
        damaged = {key: found for key, size in sizes.items() if (found := derivative_problem(p, key, size))}
        for key, (problem, result) in damaged.items():
            detail = f"{key}: {problem} in access storage (page {page.seq}, {page.path})"
            check.events.append(_event(FIXITY_CHECK, "failure", detail, key, result, moment))
        if not damaged:
            continue
        failure = (
            remake(p, item_id, page, list(damaged), make)
            if make
            else "this audit was given no way to make derivatives (muniment fixity makes them)"
        )
        for key, (problem, result) in damaged.items():
            still = derivative_problem(p, key, sizes[key]) if failure is None else None
            if failure is None and still is None:
                outcome, result, detail = "success", "repaired", f"{key}: was {problem}; made again from {page.path}"
            else:
                why = failure or f"made again but still {still[0] if still else ''}"
                outcome, detail = "failure", f"{key}: {problem} in access storage and not made again: {why}"
            check.events.append(_event(REPAIR, outcome, detail, key, result, moment))
            check.findings.append(FixityRow(item_id, ACCESS, key, "", 0, stamp(moment), result, detail))
    return check


def derivative_problem(p: Preservation, key: str, size: tuple[int, int] | None) -> tuple[str, str] | None:
    """(what is wrong, the fixity result) or None when the derivative decodes with the right size."""
    access = p.services.access
    try:
        if access.head(key).size == 0:
            return "empty", "failed"
        return _undecodable(access, key, size)
    except NotFound:
        return "missing", "missing"
    except StorageError as exc:
        return f"unreadable ({exc})", "failed"


def _undecodable(access: Storage, key: str, size: tuple[int, int] | None) -> tuple[str, str] | None:
    """Whether the header reads with the page's size and the smallest level decodes (all of a
    thumbnail; a pyramid's last level is stored last, so a cut pyramid fails too), over ranged
    reads rather than the whole file."""
    local = access.local_path(key)

    def load(**options: object) -> pyvips.Image:
        if local is not None:
            return pyvips.Image.new_from_file(local, fail_on="error", **options)
        stream = io.BufferedReader(RangeFile(access, key), BLOCK)
        source = pyvips.SourceCustom()
        source.on_read(stream.read)
        source.on_seek(stream.seek)
        return pyvips.Image.new_from_source(source, "", fail_on="error", **options)

    try:
        image = load()
        if size is not None and all(size) and (image.width, image.height) != size:
            return f"{image.width}x{image.height} pixels instead of the page's {size[0]}x{size[1]}", "failed"
        pages = int(image.get("n-pages")) if image.get_typeof("n-pages") else 1
        (load(page=pages - 1) if pages > 1 else image).avg()
    except pyvips.Error as exc:
        return f"unreadable: it does not decode ({str(exc).splitlines()[0]})", "failed"
    return None


def remake(p: Preservation, item_id: str, page: PageFile, keys: list[str], make: MakeDerivatives) -> str | None:
    """Make the page's derivatives again and store those named by ``keys``; None, or why not."""
    staging = p.services.settings.staging_path
    staging.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=staging, prefix="remake-") as tmp:
        master = Path(tmp) / "master" / Path(page.path).name  # apart from the outputs, named by seq
        master.parent.mkdir()
        problem = _fetch_master(p, item_id, page, master)
        if problem is not None:
            return problem
        made = make(master, page.mime, Path(tmp), f"{page.seq:04d}")
        if isinstance(made, Problem):
            return made.reason
        try:
            for local, key in ((made.pyramid, page.derivative_key), (made.thumbnail, page.thumbnail_key)):
                if key in keys:
                    with local.open("rb") as stream:
                        p.services.access.put(key, stream)
        except (StorageError, OSError) as exc:
            return f"storing it failed: {exc}"
    return None


def _fetch_master(p: Preservation, item_id: str, page: PageFile, dest: Path) -> str | None:
    """The page's master scan into ``dest`` from the first copy whose bytes match the inventory."""
    oid = object_id(item_id)
    reasons = []
    for copy in p.copies():
        try:
            content, expected = copy.store.version_state(oid)[page.path]
            digest = hashlib.sha512()
            with copy.storage.open(copy.key(oid, content)) as src, dest.open("wb") as out:
                while chunk := src.read(1 << 20):
                    digest.update(chunk)
                    out.write(chunk)
        except KeyError:
            reasons.append(f"the {copy.name} copy's head version has no {page.path}")
            continue
        except (PreservationError, StorageError, OSError) as exc:
            reasons.append(f"the {copy.name} copy cannot be read ({exc})")
            continue
        if digest.hexdigest() == expected:
            return None
        reasons.append(f"the {copy.name} copy's {page.path} fails its sha512")
    return "no master scan to make it from: " + "; ".join(reasons)


def _event(kind: str, outcome: str, detail: str, key: str, result: str, moment: datetime) -> LoggedEvent:
    return LoggedEvent(PremisEvent(kind, moment, outcome, detail, AGENT), ACCESS, key, result=result)
