"""The metadata formats this repository disseminates, each read from a stored catalog column."""

from __future__ import annotations

from dataclasses import dataclass

from repo.metadata.namespaces import (
    MARC,
    MARC_SCHEMA_LOCATION,
    MODS,
    MODS_SCHEMA_LOCATION,
    OAI_DC,
    OAI_DC_SCHEMA_LOCATION,
)


@dataclass(frozen=True)
class MetadataFormat:
    prefix: str
    schema: str
    namespace: str
    column: str  # column of the catalog's metadata table holding the serialized record


FORMATS: dict[str, MetadataFormat] = {
    f.prefix: f
    for f in (
        MetadataFormat("oai_dc", OAI_DC_SCHEMA_LOCATION, OAI_DC, "dc_xml"),
        MetadataFormat("mods", MODS_SCHEMA_LOCATION, MODS, "mods_xml"),
        # the MARC record as submitted, else MARCXML made from the MODS (empty for items catalogued before)
        MetadataFormat("marcxml", MARC_SCHEMA_LOCATION, MARC, "marc_xml"),
    )
}
