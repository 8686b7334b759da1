"""One item's descriptive metadata, and the normalized values the catalog and pages use."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from lxml import etree

from repo.metadata import mods as mx
from repo.metadata.dates import YearRange, parse_years
from repo.metadata.dublin_core import DCMI_TYPES, canonical
from repo.metadata.mods import TocEntry
from repo.metadata.rights import rights_uri
from repo.metadata.safe_xml import parse_xml

__all__ = ["MetadataRecord", "TocEntry"]

_URI_PREFIXES = ("http://", "https://", "urn:", "doi:", "hdl:", "info:", "ark:")


@dataclass(frozen=True)
class MetadataRecord:
    """DC values (all 15 elements, canonical order), the MODS and oai_dc documents, language.

    ``mods_xml`` is the record as received when it came as MODS, else made from the DC;
    ``dc_xml`` is the record as received when it came as DC XML (``xml:lang`` and all), else
    made from ``dc``. ``marc_xml`` is the MARC record as submitted (as MARCXML), when it came
    as MARC; its MODS and DC are then made from it. Build records with ``repo.metadata.loader``.
    """

    dc: dict[str, tuple[str, ...]] = field(hash=False)
    mods_xml: bytes
    dc_xml: bytes
    language: str | None = None  # BCP 47 / ISO 639-1 tag for language maps, e.g. "en"
    marc_xml: bytes | None = None

    def __post_init__(self) -> None:
        # Callers may pass lists or partial dicts; the record always holds the canonical form.
        object.__setattr__(self, "dc", canonical(self.dc))

    # --- values for the catalog and the pages ---

    @property
    def title(self) -> str:
        return self.dc["title"][0] if self.dc["title"] else ""

    @property
    def creators(self) -> tuple[str, ...]:
        return self.dc["creator"]

    @property
    def contributors(self) -> tuple[str, ...]:
        return self.dc["contributor"]

    @property
    def subjects(self) -> tuple[str, ...]:
        return self.dc["subject"]

    @property
    def description(self) -> str | None:
        return "\n\n".join(self.dc["description"]) or None

    @property
    def date(self) -> str | None:
        """The date as written (``c1999``, ``[1890?]``): for display, not for sorting."""
        return self.dc["date"][0] if self.dc["date"] else None

    # Only plain values are cached (records travel to worker processes, lxml trees don't pickle).
    @cached_property
    def _years(self) -> YearRange | None:
        # MODS knows which date is the key date; DC only has the order of its dates.
        return mx.key_years(self._mods()) or next(
            (years for d in self.dc["date"] if (years := parse_years(d)) is not None), None
        )

    @property
    def date_start(self) -> int | None:
        return self._years.start if self._years else None

    @property
    def date_end(self) -> int | None:
        return self._years.end if self._years else None

    @property
    def type(self) -> str | None:
        """The DCMI Type (``StillImage``, ``Text``...) when there is one, else the first type."""
        types = self.dc["type"]
        return next((t for t in types if t in DCMI_TYPES), types[0] if types else None)

    @property
    def rights(self) -> str | None:
        """A Creative Commons or RightsStatements.org URI, canonical form, if the record has one."""
        return next((uri for r in self.dc["rights"] if (uri := rights_uri(r)) is not None), None)

    @property
    def rights_statement(self) -> str | None:
        """The rights as written, for display."""
        return "\n\n".join(self.dc["rights"]) or None

    @property
    def identifier(self) -> str | None:
        """The first identifier that is a URI (resolvable, citable), else the first."""
        ids = self.dc["identifier"]
        return next((i for i in ids if i.lower().startswith(_URI_PREFIXES)), ids[0] if ids else None)

    @cached_property
    def table_of_contents(self) -> tuple[TocEntry, ...]:
        return mx.table_of_contents(self._mods())

    def full_text(self) -> str:
        """Every text of the MODS record, whitespace collapsed: what search indexes."""
        return " ".join(" ".join(self._mods().itertext()).split())

    def _mods(self) -> etree._Element:
        return mx.mods_root(parse_xml(self.mods_xml, "mods.xml"))
