"""Every URL and identifier the Presentation API writes, in one place.

The image identifier convention is defined here once: the image server's resolver parses what
the manifests write, so the two can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

IMAGE_ID_SEPARATOR = "~"


def image_identifier(item_id: str, seq: int) -> str:
    """The IIIF Image API identifier of page ``seq`` of an item: ``{item_id}~{seq}``."""
    return f"{item_id}{IMAGE_ID_SEPARATOR}{seq}"


def parse_image_identifier(identifier: str) -> tuple[str, int]:
    """``(item_id, seq)`` from an image identifier; ValueError when it is not one of ours."""
    item_id, sep, seq = identifier.rpartition(IMAGE_ID_SEPARATOR)
    if not sep or not item_id or not seq.isdigit() or (len(seq) > 1 and seq.startswith("0")):
        raise ValueError(f"not an image identifier: {identifier!r}")
    return item_id, int(seq)


def _seg(value: str) -> str:
    # One path segment: a "/" in an id must not add a level to the URL.
    return quote(value, safe="~")


@dataclass(frozen=True)
class Urls:
    """Absolute URLs under the public base URL (``Settings.base_url``)."""

    base_url: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))

    @property
    def home(self) -> str:
        return self.base_url + "/"

    # -- Presentation API ---------------------------------------------------------------------

    def manifest(self, item_id: str) -> str:
        return f"{self.base_url}/iiif/{_seg(item_id)}/manifest"

    def canvas(self, item_id: str, seq: int) -> str:
        return f"{self.base_url}/iiif/{_seg(item_id)}/canvas/p{seq}"

    def annotation_page(self, item_id: str, seq: int) -> str:
        return f"{self.base_url}/iiif/{_seg(item_id)}/page/p{seq}"

    def annotation(self, item_id: str, seq: int) -> str:
        return f"{self.base_url}/iiif/{_seg(item_id)}/annotation/p{seq}-image"

    def range(self, item_id: str, index: int) -> str:
        return f"{self.base_url}/iiif/{_seg(item_id)}/range/r{index}"

    def collection(self, slug: str, part: int | None = None) -> str:
        """A collection, or one part of one split into sub-collections (numbered from 1)."""
        tail = "" if part is None else f"/{part}"
        return f"{self.base_url}/iiif/collection/{_seg(slug)}{tail}"

    @property
    def top_collection(self) -> str:
        return f"{self.base_url}/iiif/collection/top"

    @property
    def change_discovery(self) -> str:
        """The IIIF Change Discovery collection of every public change (``iiif/discovery``)."""
        return f"{self.base_url}/iiif/discovery/all-changes"

    # -- Image API ------------------------------------------------------------------------------

    def image_service(self, item_id: str, seq: int) -> str:
        return f"{self.base_url}/iiif/3/{_seg(image_identifier(item_id, seq))}"

    def image(self, item_id: str, seq: int, size: str = "max") -> str:
        return f"{self.image_service(item_id, seq)}/full/{size}/0/default.jpg"

    # -- public pages and records ---------------------------------------------------------------

    def item_page(self, item_id: str) -> str:
        return f"{self.base_url}/items/{_seg(item_id)}"

    def collection_page(self, slug: str) -> str:
        return f"{self.base_url}/collections/{_seg(slug)}"

    def mods(self, item_id: str) -> str:
        return f"{self.item_page(item_id)}/mods.xml"

    def linked_data(self, item_id: str, suffix: str) -> str:
        """The item's Dublin Core as RDF: ``suffix`` is ``ttl`` (Turtle) or ``jsonld`` (JSON-LD)."""
        return f"{self.item_page(item_id)}/dc.{suffix}"

    def dc(self, item_id: str) -> str:
        return f"{self.item_page(item_id)}/dc.xml"
