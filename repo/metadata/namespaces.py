"""XML namespaces of the metadata formats we read and write."""

from __future__ import annotations

MODS = "http://www.loc.gov/mods/v3"
DC = "http://purl.org/dc/elements/1.1/"
OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
PREMIS = "http://www.loc.gov/premis/v3"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XLINK = "http://www.w3.org/1999/xlink"
MARC = "http://www.loc.gov/MARC21/slim"

MODS_SCHEMA_LOCATION = "http://www.loc.gov/standards/mods/v3/mods-3-8.xsd"
OAI_DC_SCHEMA_LOCATION = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
MARC_SCHEMA_LOCATION = "http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd"
PREMIS_SCHEMA_LOCATION = "http://www.loc.gov/standards/premis/v3/premis.xsd"


def q(namespace: str, local: str) -> str:
    """Clark notation ``{namespace}local``, as lxml spells qualified names."""
    return f"{{{namespace}}}{local}"
