"""What one item's ingest knows as it goes: a typed context that each step reads and extends."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ingest.derivatives import Derivatives
from ingest.images import ImageHeader
from repo.errors import Problem
from repo.metadata.premis import PremisEvent
from repo.metadata.record import MetadataRecord
from repo.ocr.bag_text import SuppliedText
from storage.base import PartDigests


@dataclass(frozen=True)
class ItemSource:
    """Where an item comes from: a folder of scans plus a metadata record (or DC fields)."""

    folder: Path
    collection: str
    metadata: Path | None = None
    identifier: str | None = None
    dc_fields: dict[str, str] | None = None  # a batch row's DC columns, when no metadata file
    label: str = ""  # how reports name the item (the folder, or "row 12")
    bag_info: tuple[tuple[str, str], ...] = ()  # fields carried over from an incoming bag
    texts: Path | None = None  # an incoming bag's page text folder (``ocr/``: its tag files NNNN.alto.xml, NNNN.hocr)
    # Every page decoded and its derivatives stored already, by the page tasks of a large item
    # spread over the workers (app.page_tasks): the ingest stores and registers without decoding.
    derivatives_made: bool = False
    update: bool = False  # scans an item holds already, with another record: that item's new version

    @property
    def name(self) -> str:
        return self.label or str(self.folder)


@dataclass
class Page:
    seq: int
    path: Path
    mime: str
    header: ImageHeader | None = None
    size: int = 0
    sha512: str = ""
    parts: PartDigests | None = None  # computed with sha512, so the upload need not hash again
    derivatives: Derivatives | None = None
    text: tuple[Path, str] | None = None  # text supplied beside the scan, and its kind ("alto" | "hocr")

    @property
    def bag_path(self) -> str:
        return f"data/{self.path.name}"


@dataclass
class ItemContext:
    source: ItemSource
    staging: Path
    problems: list[Problem] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)
    record: MetadataRecord | None = None
    content_key: str = ""
    item_id: str = ""
    events: list[PremisEvent] = field(default_factory=list)
    supplied: list[SuppliedText] = field(default_factory=list)  # pages' supplied text, checked
    existing_object: bool = False  # stored by an earlier run that stopped before the catalog

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def payload_bytes(self) -> int:
        return sum(page.size for page in self.pages)
