"""PREMIS 3.0 preservation metadata: what happened to an item, when, by whom, with what result.

Each bag carries ``metadata/premis.xml``; the catalog's event list is rebuilt from it, so
``parse_premis_events(premis_xml(...))`` gives back exactly the events written.
"""

from __future__ import annotations

import functools
import mimetypes
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata as package_metadata

from lxml import etree

from repo.metadata.errors import MetadataError
from repo.metadata.namespaces import PREMIS, PREMIS_SCHEMA_LOCATION, XSI, q
from repo.metadata.safe_xml import parse_xml
from repo.metadata.xml_build import element, sub, to_bytes

# Terms of the Library of Congress PREMIS eventType vocabulary that Muniment records.
INGESTION = "ingestion"
MESSAGE_DIGEST_CALCULATION = "message digest calculation"
VALIDATION = "validation"
FIXITY_CHECK = "fixity check"
METADATA_MODIFICATION = "metadata modification"
REPLICATION = "replication"
REPAIR = "repair"
DELETION = "deletion"
CREATION = "creation"
MIGRATION = "migration"
EVENT_TYPES = frozenset(
    {
        INGESTION,
        MESSAGE_DIGEST_CALCULATION,
        VALIDATION,
        FIXITY_CHECK,
        METADATA_MODIFICATION,
        REPLICATION,
        REPAIR,
        DELETION,
        CREATION,
        MIGRATION,
    }
)
EVENT_TYPE_AUTHORITY_URI = "http://id.loc.gov/vocabulary/preservation/eventType"
HASH_AUTHORITY_URI = "http://id.loc.gov/vocabulary/preservation/cryptographicHashFunctions"
# Identifier types are ours to name; "local" is what PREMIS examples use for in-house ids.
LOCAL = "local"


@dataclass(frozen=True)
class PremisEvent:
    type: str  # a term of the LoC eventType vocabulary, e.g. "fixity check"
    datetime: datetime  # timezone-aware
    outcome: str  # "success", "failure", "warning"...
    detail: str
    agent: str  # e.g. software_agent() or an archivist's account name


@functools.cache  # read once: the installed version does not change while running, and every bag asks
def software_agent() -> str:
    """``Muniment <version>``, the agent that records what the software did."""
    try:
        version = package_metadata.version("muniment")
    except package_metadata.PackageNotFoundError:  # running from a source tree
        version = "dev"
    return f"Muniment {version}"


def premis_xml(
    object_identifier: str,
    events: Sequence[PremisEvent],
    files: Sequence[tuple[str, str, int]] = (),
) -> bytes:
    """A PREMIS 3.0 document for one item.

    ``files`` are ``(path in the item, sha512 hex digest, size in bytes)``. The item is the
    intellectual entity; each file is a file object linked to it; every event links to the
    item and to its agent; the software agent and every event agent get an agent entity.
    """
    for event in events:
        if event.datetime.tzinfo is None:
            raise ValueError(f"PREMIS event {event.type!r} has a datetime without a timezone")
    root = element(q(PREMIS, "premis"), {None: PREMIS, "xsi": XSI}, version="3.0")
    root.set(q(XSI, "schemaLocation"), f"{PREMIS} {PREMIS_SCHEMA_LOCATION}")

    def p(parent: etree._Element, local: str, text: str | None = None, **attrib: str) -> etree._Element:
        return sub(parent, q(PREMIS, local), text, **attrib)

    def identifier(parent: etree._Element, kind: str, id_type: str, value: str) -> None:
        ident = p(parent, f"{kind}Identifier")
        p(ident, f"{kind}IdentifierType", id_type)
        p(ident, f"{kind}IdentifierValue", value)

    entity = p(root, "object", **{q(XSI, "type"): "intellectualEntity"})
    identifier(entity, "object", LOCAL, object_identifier)
    for path, sha512, size in files:
        file_object = p(root, "object", **{q(XSI, "type"): "file"})
        identifier(file_object, "object", LOCAL, f"{object_identifier}/{path}")
        characteristics = p(file_object, "objectCharacteristics")
        p(characteristics, "compositionLevel", "0")
        fixity = p(characteristics, "fixity")
        p(
            fixity,
            "messageDigestAlgorithm",
            "SHA-512",
            authority="cryptographicHashFunctions",
            authorityURI=HASH_AUTHORITY_URI,
            valueURI=f"{HASH_AUTHORITY_URI}/sha512",
        )
        p(fixity, "messageDigest", sha512)
        p(characteristics, "size", str(size))
        designation = p(p(characteristics, "format"), "formatDesignation")
        p(designation, "formatName", mimetypes.guess_type(path)[0] or "application/octet-stream")
        p(file_object, "originalName", path)
        relation = p(file_object, "relationship")
        p(relation, "relationshipType", "structural")
        p(relation, "relationshipSubType", "is included in")
        related = p(relation, "relatedObjectIdentifier")
        p(related, "relatedObjectIdentifierType", LOCAL)
        p(related, "relatedObjectIdentifierValue", object_identifier)

    for index, event in enumerate(events):
        node = p(root, "event")
        identifier(node, "event", "UUID", _event_uuid(object_identifier, index, event))
        p(node, "eventType", event.type, authority="eventType", authorityURI=EVENT_TYPE_AUTHORITY_URI)
        p(node, "eventDateTime", event.datetime.isoformat())
        p(p(node, "eventDetailInformation"), "eventDetail", event.detail)
        p(p(node, "eventOutcomeInformation"), "eventOutcome", event.outcome)
        agent_link = p(node, "linkingAgentIdentifier")
        p(agent_link, "linkingAgentIdentifierType", LOCAL)
        p(agent_link, "linkingAgentIdentifierValue", event.agent)
        object_link = p(node, "linkingObjectIdentifier")
        p(object_link, "linkingObjectIdentifierType", LOCAL)
        p(object_link, "linkingObjectIdentifierValue", object_identifier)

    software = software_agent()
    for agent in dict.fromkeys([software, *(e.agent for e in events)]):
        node = p(root, "agent")
        identifier(node, "agent", LOCAL, agent)
        p(node, "agentName", agent)
        if agent == software or agent.startswith("Muniment "):
            p(node, "agentType", "software")
            p(node, "agentVersion", agent.removeprefix("Muniment "))
    return to_bytes(root)


def _event_uuid(object_identifier: str, index: int, event: PremisEvent) -> str:
    # Derived, not random: writing the same history twice gives the same document.
    key = f"{object_identifier}\n{index}\n{event.type}\n{event.datetime.isoformat()}"
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "muniment:premis:" + key))


def parse_premis_events(xml: bytes) -> list[PremisEvent]:
    """The events of a PREMIS 3 document, in document order."""
    root = parse_xml(xml, "premis.xml").getroot()
    events: list[PremisEvent] = []
    for node in root.iter(q(PREMIS, "event")):
        when = _text(node, "eventDateTime")
        try:
            moment = datetime.fromisoformat(when)
        except ValueError:
            raise MetadataError.single("premis.xml", f"bad eventDateTime {when!r}", node.sourceline) from None
        events.append(
            PremisEvent(
                type=_text(node, "eventType"),
                datetime=moment,
                outcome=_text(node, "eventOutcomeInformation/eventOutcome"),
                detail=_text(node, "eventDetailInformation/eventDetail"),
                agent=_text(node, "linkingAgentIdentifier/linkingAgentIdentifierValue"),
            )
        )
    return events


def _text(node: etree._Element, path: str) -> str:
    # Exact text (no whitespace clean-up): the round trip must give back what was written.
    found = node.find("/".join(f"{{{PREMIS}}}{step}" for step in path.split("/")))
    return (found.text or "") if found is not None else ""
