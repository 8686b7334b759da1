"""What one manifest is built from, read from the catalog in one place."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from iiif.presentation.ids import Urls
from repo.catalog import Catalog, Collection, Item, ItemMetadata
from repo.catalog.presentation_rows import canvas_rows
from repo.settings import Settings

#: IIIF Image API compliance level the image server advertises for every image.
IMAGE_SERVICE_PROFILE = "level2"


@dataclass(frozen=True)
class Publisher:
    """The repository's own details, written into every manifest and collection."""

    urls: Urls
    organization: str
    repository_name: str

    @classmethod
    def from_settings(cls, settings: Settings) -> Publisher:
        return cls(Urls(settings.base_url), settings.source_organization, settings.repository_name)


class Page(Protocol):
    """What a canvas needs of a page (``repo.catalog.PageFile`` has it too)."""

    @property
    def seq(self) -> int: ...
    @property
    def label(self) -> str: ...
    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...


class CanvasPage(NamedTuple):
    seq: int
    label: str
    width: int
    height: int


@dataclass(frozen=True)
class ManifestSource:
    item: Item
    collection: Collection | None
    metadata: ItemMetadata | None
    files: Sequence[Page] = field(default_factory=list)

    @property
    def language(self) -> str | None:
        return self.metadata.language if self.metadata else None

    @property
    def record_type(self) -> str | None:
        return self.metadata.type if self.metadata else None


def load_source(catalog: Catalog, item: Item) -> ManifestSource:
    rows = canvas_rows(catalog.db, item.id)
    return ManifestSource(
        item=item,
        collection=catalog.get_collection(item.collection),
        metadata=catalog.metadata(item.id),
        files=[CanvasPage(r["seq"], r["label"], r["width"], r["height"]) for r in rows],
    )
