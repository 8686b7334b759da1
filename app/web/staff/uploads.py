"""Ingest from the browser: the browser declares the files it will send (their paths inside the
chosen folder, kept as sent), the files go up in chunks into the upload's staging folder (a
dropped connection resumes from what arrived), a dry run lists every problem by file and row
before anything is stored, then the ingest runs as a job whose page follows it live.

What an upload holds decides what it is: one bag archive alone is a bag; a CSV file at its top
whose header has a ``folder`` column is a batch (one item per row, folders beside it, as
``muniment ingest --batch`` takes); anything else is one folder of scans with its metadata file.
Every kind is a job on the task queue, run by the task workers like the admin API's and the
command line's.
"""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from app.api.jobs import Jobs, new_job_id
from app.ingest_tasks import item_task
from ingest.bag_input import ARCHIVE_SUFFIXES, bag_source
from ingest.batch import read_batch
from ingest.context import ItemSource
from ingest.errors import IngestError
from ingest.runner import Ingester, ItemResult
from repo.errors import Problem
from repo.services import Services

UPLOAD_ID = re.compile(r"[0-9a-f]{24}")
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._()-]{0,199}")
CHUNK_MAX = 16 * 1024 * 1024
MAX_DEPTH = 8  # a batch's folders of scans, and a little more
FILES = "files"  # the files as sent, under the upload's folder
DECLARED = "declared.json"  # their paths and sizes, as the browser declared them before sending
REPORT = "report.json"  # the last dry run's report, for the CSV and JSON downloads


def upload_path(text: str) -> tuple[str | None, str]:
    """A path inside the upload (``folder/scan 1.tif``) as sent, or None and why it is refused."""
    path = text.replace("\\", "/")
    if path.startswith("/") or re.match(r"[A-Za-z]:", path):
        return None, "an absolute path: send paths inside the chosen folder"
    parts = path.split("/")
    if any(part in ("..", ".") for part in parts):
        return None, "a path may not leave the chosen folder (. or ..)"
    if len(parts) > MAX_DEPTH:
        return None, f"folders deeper than {MAX_DEPTH} levels"
    bad = next((part for part in parts if not _SAFE_NAME.fullmatch(part)), None)
    if bad is not None:
        return None, f"{bad!r} is not a usable name (letters, digits, space and . _ - ( ), not starting with . or -)"
    return path, ""


def check_declared(files: Iterable[tuple[str, int]], limit: int) -> list[Problem]:
    """Every reason to refuse the files before a byte is sent: bad paths, a name sent twice (also
    in another case, which a case-blind disk would merge), a name that is both a file and a folder,
    more than ``limit`` bytes."""
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    folders: dict[str, str] = {}
    total = 0
    for name, size in files:
        path, why = upload_path(name)
        if path is None:
            problems.append(Problem(name, why))
            continue
        total += max(0, size)
        key = path.casefold()
        if key in seen:
            problems.append(Problem(path, f"sent twice (as {seen[key]} too): each file needs its own name"))
            continue
        seen[key] = path
        parts = key.split("/")
        for depth in range(1, len(parts)):
            folders.setdefault("/".join(parts[:depth]), path)
    for key, path in seen.items():
        if key in folders:
            problems.append(Problem(path, f"is a file and also the folder of {folders[key]}"))
    if total > limit:
        problems.append(
            Problem("the upload", f"{total} bytes is more than allowed (MUNIMENT_UPLOAD_MAX_BYTES={limit})")
        )
    return problems


@dataclass(frozen=True)
class DryRun:
    """What an upload would become, item by item (a batch: row by row), and every problem."""

    kind: str  # folder | batch | bag
    results: list[ItemResult]

    @property
    def problems(self) -> list[tuple[str, Problem]]:
        return [(r.name, p) for r in self.results for p in r.problems]

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "items": [r.to_json() for r in self.results]}

    def to_csv(self) -> str:
        """One row per problem (or per item without one): what a curator sorts in a spreadsheet."""
        lines: list[list[object]] = [["item", "status", "id", "pages", "file", "problem"]]
        for r in self.results:
            for p in r.problems or [Problem("", "")]:
                lines.append([r.name, r.status, r.item_id or "", r.pages, p.file, p.reason])
        out = io.StringIO()
        csv.writer(out).writerows(lines)
        return out.getvalue()


class StaffIngests:
    """Uploads in staging and the jobs started from them."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.root = services.settings.staging_path / "staff-uploads"
        self.jobs = Jobs(services)

    def new_upload(self, files: list[tuple[str, int]]) -> str:
        upload_id = secrets.token_hex(12)
        folder = self.root / upload_id
        (folder / FILES).mkdir(parents=True)
        (folder / DECLARED).write_text(json.dumps({upload_path(n)[0]: s for n, s in files}))
        return upload_id

    def folder(self, upload_id: str) -> Path | None:
        folder = self.root / upload_id
        return folder if UPLOAD_ID.fullmatch(upload_id) and folder.is_dir() else None

    def declared(self, folder: Path) -> dict[str, int]:
        try:
            return dict(json.loads((folder / DECLARED).read_text()))
        except (OSError, ValueError):
            return {}

    def part(self, folder: Path, name: str) -> Path | None:
        """Where a declared file goes (its folders made), or None when it was not declared."""
        path, _ = upload_path(name)
        if path is None or path not in self.declared(folder):
            return None
        part = folder / FILES / path
        part.parent.mkdir(parents=True, exist_ok=True)
        return part

    def files(self, upload_id: str) -> list[tuple[str, int]]:
        """What has arrived, by path inside the upload."""
        folder = self.folder(upload_id)
        if folder is None:
            return []
        root = folder / FILES
        return sorted((p.relative_to(root).as_posix(), p.stat().st_size) for p in root.rglob("*") if p.is_file())

    def missing(self, upload_id: str) -> list[Problem]:
        """Declared files that have not all arrived (the browser stopped before the end)."""
        folder = self.folder(upload_id)
        if folder is None:
            return []
        have = dict(self.files(upload_id))
        return [
            Problem(name, f"only {have.get(name, 0)} of its {size} bytes arrived: upload it again")
            for name, size in self.declared(folder).items()
            if have.get(name, 0) != size
        ]

    def hidden(self, folder: Path) -> tuple[str, ...]:
        return (str(folder / FILES), str(folder))

    # -- what the upload is -----------------------------------------------------------------

    def _batch_file(self, files: Path) -> Path | None:
        for csv_file in sorted(files.glob("*.csv")):
            try:
                with csv_file.open(encoding="utf-8-sig") as text:
                    header = next(csv.reader([text.readline()]), [])
            except (OSError, UnicodeDecodeError):
                continue
            if "folder" in (c.strip().lower() for c in header):
                return csv_file
        return None

    def _scans_folder(self, files: Path) -> Path:
        """The folder chosen: the one folder sent, or the files themselves when sent loose."""
        entries = [p for p in files.iterdir() if not p.name.startswith(".")]
        return entries[0] if len(entries) == 1 and entries[0].is_dir() else files

    def kind(self, folder: Path) -> tuple[str, Path]:
        """What the upload is (bag, batch or folder) and the archive, CSV file or folder of scans."""
        files = folder / FILES
        loose = [p for p in files.rglob("*") if p.is_file()]
        if len(loose) == 1 and loose[0].name.lower().endswith(ARCHIVE_SUFFIXES):
            return "bag", loose[0]
        top = self._scans_folder(files)  # a folder picker sends the chosen folder's name too
        batch = self._batch_file(top)
        return ("batch", batch) if batch is not None else ("folder", top)

    def sources(self, kind: str, path: Path, collection: str, staging: Path) -> list[ItemSource]:
        """The upload's items; an IngestError lists the rows of a batch that are wrong."""
        if kind == "bag":
            return [bag_source(path, staging, self.services.settings, collection=collection, profile_path=None)]
        if kind == "batch":
            return read_batch(path, collection)
        return [ItemSource(path, collection, label="the uploaded folder")]

    def dry_run(self, upload_id: str, collection: str) -> DryRun:
        """Every item checked as the ingest would, nothing stored; kept for the report downloads."""
        folder = self.folder(upload_id)
        assert folder is not None
        kind, path = self.kind(folder)
        ingester = Ingester(self.services, dry_run=True)
        try:
            with ingester.staging() as staging:
                try:
                    sources = self.sources(kind, path, collection, staging)
                    results = [self._check(ingester, source) for source in sources]
                except IngestError as exc:
                    results = [ItemResult("the upload", "failed", problems=exc.problems or [Problem("", exc.message)])]
        finally:
            ingester.close()
        missing = self.missing(upload_id)
        if missing:
            results.insert(0, ItemResult("the upload", "failed", problems=missing))
        hidden = self.hidden(folder)
        public = [
            ItemResult(r.name, r.status, r.item_id, r.pages, r.bytes, [public_problem(p, hidden) for p in r.problems])
            for r in results
        ]
        report = DryRun(kind, public)
        (folder / REPORT).write_text(json.dumps({"collection": collection, **report.to_json()}))
        return report

    def _check(self, ingester: Ingester, source: ItemSource) -> ItemResult:
        try:
            return ingester.ingest(source)
        except IngestError as exc:
            return ItemResult(source.name, "failed", problems=exc.problems or [Problem("", exc.message)])

    def last_report(self, upload_id: str, collection: str) -> DryRun:
        """The dry run last shown for this collection, else a new one."""
        folder = self.folder(upload_id)
        assert folder is not None
        try:
            kept = json.loads((folder / REPORT).read_text())
        except (OSError, ValueError):
            kept = {}
        if kept.get("collection") != collection:
            return self.dry_run(upload_id, collection)
        results = [
            ItemResult(
                i["item"],
                i["status"],
                i["id"],
                i["pages"],
                i["bytes"],
                [Problem(p["file"], p["reason"]) for p in i["problems"]],
            )
            for i in kept["items"]
        ]
        return DryRun(kept["kind"], results)

    def start(self, upload_id: str, collection: str, user: str) -> str:
        """Hand the upload to the task workers as a job; its folder goes when the job ends. An
        IngestError when a batch's rows are wrong (the dry run showed them)."""
        folder = self.folder(upload_id)
        assert folder is not None
        job_id = new_job_id()
        hidden = self.hidden(folder)
        kind, path = self.kind(folder)
        if kind == "bag":
            return self.jobs.submit_bag(
                job_id, "upload", path.name, path, collection, user, cleanup=folder, hidden=hidden
            ).id
        sources = self.sources(kind, path, collection, folder)  # staging is a bag's only
        job = self.jobs.queue.submit(
            job_id,
            kind,
            f"uploaded batch {path.name}" if kind == "batch" else "uploaded folder",
            [item_task(source) for source in sources],
            submitted_by=user,
            collection=collection,
            cleanup=str(folder),
            hidden=hidden,
        )
        return job.id


def public_problem(problem: Problem, hidden: tuple[str, ...]) -> Problem:
    file, reason = problem.file, problem.reason
    for prefix in sorted(hidden, key=len, reverse=True):
        file, reason = file.replace(prefix + "/", ""), reason.replace(prefix + "/", "")
        file = "" if file == prefix else file
    return Problem(file, reason)
