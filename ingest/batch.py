"""Batch files: one CSV row per item (folder, collection, identifier, metadata or DC columns)."""

from __future__ import annotations

import csv
from pathlib import Path

from ingest.context import ItemSource
from ingest.errors import IngestError
from repo.errors import Problem

CONTROL_COLUMNS = ("folder", "collection", "identifier", "metadata")


def read_batch(path: Path, default_collection: str | None = None) -> list[ItemSource]:
    """Every row as an ItemSource; paths are relative to the CSV file's folder."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise IngestError(f"cannot read batch file {path}: {exc}") from None
    reader = csv.DictReader(text.splitlines())
    columns = [c.strip().lower() for c in reader.fieldnames or []]
    if "folder" not in columns:
        raise IngestError(f"{path}: the header row needs a 'folder' column", [Problem(str(path), "no 'folder' column")])
    base = path.parent
    sources: list[ItemSource] = []
    problems: list[Problem] = []
    for number, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        where = f"{path.name} row {number}"
        collection = row.get("collection") or default_collection
        if not row.get("folder"):
            problems.append(Problem(where, "empty folder"))
            continue
        if not collection:
            problems.append(Problem(where, "no collection (add a 'collection' column or pass --collection)"))
            continue
        metadata = base / row["metadata"] if row.get("metadata") else None
        dc_fields = {k: v for k, v in row.items() if k not in CONTROL_COLUMNS and v}
        sources.append(
            ItemSource(
                folder=base / row["folder"],
                collection=collection,
                metadata=metadata,
                identifier=row.get("identifier") or None,
                dc_fields=dc_fields if metadata is None and dc_fields else None,
                label=f"{where} ({row['folder']})",
            )
        )
    if problems:
        raise IngestError(f"{path}: {len(problems)} bad row(s)", problems)
    return sources
