"""A metadata record as the catalog keeps it: normalized DC fields for search and display, the
MODS record and the MARCXML (as submitted, else made from the MODS) as text. Ingest, metadata
edits and rebuild-catalog all store it this way."""

from __future__ import annotations

from lxml import etree

from repo.catalog.models import ItemMetadata
from repo.metadata.mods_marc import mods_to_marcxml
from repo.metadata.record import MetadataRecord
from repo.metadata.safe_xml import parse_xml


def catalog_metadata(record: MetadataRecord) -> ItemMetadata:
    return ItemMetadata(
        dc={k: list(v) for k, v in record.dc.items() if v},
        dc_xml=_as_utf8_text(record.dc_xml),
        mods_xml=_as_utf8_text(record.mods_xml),
        marc_xml=_as_utf8_text(record.marc_xml or mods_to_marcxml(parse_xml(record.mods_xml, "mods.xml"))),
        language=record.language,
        creators="; ".join(record.creators),
        subjects="; ".join(record.subjects),
        description=record.description or "",
        date=record.date,
        date_start=record.date_start,
        date_end=record.date_end,
        type=record.type,
        rights=record.rights,
        toc=[{"title": t.title, "start_page": t.start_page, "end_page": t.end_page} for t in record.table_of_contents],
        full_text=record.full_text(),
    )


def _as_utf8_text(xml: bytes) -> str:
    """MODS and DC are kept in the bag as received (any declared encoding); the catalog holds them as text."""
    tree = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    return etree.tostring(tree, encoding="unicode")
