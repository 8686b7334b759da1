"""PREMIS 3 documents: the structure archivists and validators expect, and an exact round trip."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from repo.metadata.premis import (
    FIXITY_CHECK,
    INGESTION,
    MESSAGE_DIGEST_CALCULATION,
    PremisEvent,
    parse_premis_events,
    premis_xml,
    software_agent,
)
from repo.metadata.safe_xml import parse_xml

NS = {"p": "http://www.loc.gov/premis/v3", "xsi": "http://www.w3.org/2001/XMLSchema-instance"}
SHA512 = "0f" * 64

EVENTS = [
    PremisEvent(INGESTION, datetime(2026, 3, 1, 9, 30, 0, 123456, tzinfo=UTC), "success",
                "ingested from folder box-12", software_agent()),
    PremisEvent(MESSAGE_DIGEST_CALCULATION, datetime(2026, 3, 1, 9, 30, 1, tzinfo=UTC), "success",
                "sha512 of 2 files", software_agent()),
    PremisEvent(FIXITY_CHECK, datetime(2026, 4, 1, 2, 0, tzinfo=timezone(timedelta(hours=-5))), "failure",
                "data/p2.tif: expected 0f0f..., got 1a1a...\n  second line", "archivist jdoe"),
]  # fmt: skip


def test_round_trip_is_exact() -> None:
    assert parse_premis_events(premis_xml("item-42", EVENTS, [("data/p1.tif", SHA512, 1234)])) == EVENTS


def test_document_structure() -> None:
    xml = premis_xml("item-42", EVENTS, [("data/p1.tif", SHA512, 1234), ("data/p2.jp2", SHA512, 99)])
    root = parse_xml(xml, "premis.xml").getroot()
    assert root.tag == "{http://www.loc.gov/premis/v3}premis" and root.get("version") == "3.0"
    objects = root.findall("p:object", NS)
    assert [o.get(f"{{{NS['xsi']}}}type") for o in objects] == ["intellectualEntity", "file", "file"]
    assert objects[0].findtext("p:objectIdentifier/p:objectIdentifierValue", namespaces=NS) == "item-42"
    fixity = objects[1].find("p:objectCharacteristics/p:fixity", NS)
    assert fixity is not None
    assert fixity.findtext("p:messageDigestAlgorithm", namespaces=NS) == "SHA-512"
    assert fixity.findtext("p:messageDigest", namespaces=NS) == SHA512
    assert objects[1].findtext("p:objectCharacteristics/p:size", namespaces=NS) == "1234"
    assert objects[1].findtext(".//p:formatName", namespaces=NS) == "image/tiff"
    events = root.findall("p:event", NS)
    assert [e.findtext("p:eventType", namespaces=NS) for e in events] == [
        "ingestion", "message digest calculation", "fixity check",
    ]  # fmt: skip
    for event in events:
        assert event.findtext("p:eventIdentifier/p:eventIdentifierType", namespaces=NS) == "UUID"
        assert event.findtext("p:linkingObjectIdentifier/p:linkingObjectIdentifierValue", namespaces=NS) == "item-42"
    agents = root.findall("p:agent", NS)
    software = agents[0]
    assert software.findtext("p:agentName", namespaces=NS) == software_agent()
    assert software.findtext("p:agentType", namespaces=NS) == "software"
    assert {a.findtext("p:agentName", namespaces=NS) for a in agents} == {software_agent(), "archivist jdoe"}
    # entity order required by the PREMIS schema: objects, then events, then agents
    order = [etree.QName(child).localname for child in root]
    assert order == ["object"] * 3 + ["event"] * 3 + ["agent"] * 2


def test_same_history_gives_same_bytes() -> None:
    assert premis_xml("item-42", EVENTS) == premis_xml("item-42", EVENTS)


def test_event_identifiers_are_unique() -> None:
    twice = [EVENTS[0], EVENTS[0]]
    root = parse_xml(premis_xml("item-42", twice), "p").getroot()
    ids = root.findall("p:event/p:eventIdentifier/p:eventIdentifierValue", NS)
    assert len({i.text for i in ids}) == 2


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        premis_xml("item", [PremisEvent(INGESTION, datetime(2026, 1, 1), "success", "", "x")])


def test_software_agent_names_muniment() -> None:
    assert software_agent().startswith("Muniment ")


# Any text XML 1.0 can carry: no surrogates, no control characters but tab, LF and CR.
_xml_text = st.text(
    alphabet=st.characters(
        exclude_categories=["Cs", "Cc"], include_characters="\t\n\r", exclude_characters="\ufffe\uffff"
    )
)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.builds(
            PremisEvent,
            type=st.sampled_from([INGESTION, FIXITY_CHECK, "replication", "repair", "metadata modification"]),
            datetime=st.datetimes(
                timezones=st.just(UTC)
                | st.builds(
                    timezone,
                    st.timedeltas(min_value=timedelta(hours=-12), max_value=timedelta(hours=12)).map(
                        lambda d: timedelta(minutes=d // timedelta(minutes=1))
                    ),
                )
            ),
            outcome=_xml_text,
            detail=_xml_text,
            agent=_xml_text,
        ),
        max_size=4,
    )
)
def test_round_trip_of_any_events(events: list[PremisEvent]) -> None:
    parsed = parse_premis_events(premis_xml("obj", events))
    assert parsed == events
    assert [e.datetime.utcoffset() for e in parsed] == [e.datetime.utcoffset() for e in events]
