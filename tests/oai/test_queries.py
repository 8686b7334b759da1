"""The query layer and whole harvests on SQLite and on PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from repo.catalog import Catalog, oai_records, utc_now
from repo.oai import queries
from repo.oai.queries import Selection
from repo.services import Services
from tests.oai.helpers import (
    OAI,
    PREFIX,
    OAIClient,
    Spec,
    deletions,
    error_code,
    expected,
    identifiers,
    open_services,
    seed,
    token_of,
)

NOW = "2030-01-01T00:00:00Z"
# Few datestamps, many items each: the id must break the ties; ids of mixed case and length.
TIED = [Spec(f"{'Ab'[n % 2]}{n}", f"2022-03-0{1 + n % 3}T00:00:00Z", collection=("a", "b")[n % 2]) for n in range(40)]
HIDDEN = [
    Spec("w", "2022-03-02T00:00:00Z", status="withdrawn"),
    Spec("r", "2022-03-02T00:00:00Z", visibility="restricted"),
    Spec("e-future", "2022-03-02T00:00:00Z", visibility="embargoed", embargo_until="2031-01-01"),
    Spec("e-past", "2022-03-02T00:00:00Z", visibility="embargoed", embargo_until="2029-12-31T23:59:59Z"),
    Spec("bare", "2022-03-02T00:00:00Z", metadata=False),
]


@pytest.fixture
def services(catalog_url: str, tmp_path: Path) -> Iterator[Services]:
    services = open_services(tmp_path, database_url=catalog_url, page_size=6)
    seed(services.catalog, TIED + HIDDEN)
    yield services
    services.close()


def _all_pages(catalog: Catalog, selection: Selection, limit: int) -> list[str]:
    ids: list[str] = []
    after = None
    while rows := queries.list_page(catalog.db, selection, NOW, after, limit, with_metadata=True):
        ids += [r.id for r in rows]
        after = (rows[-1].datestamp, rows[-1].id)
    return ids


def test_keyset_pages_visit_every_record_once_in_order(services: Services) -> None:
    catalog = services.catalog
    selection = Selection("dc_xml")
    ids = _all_pages(catalog, selection, 7)
    assert len(ids) == len(set(ids)) == queries.count(catalog.db, selection, NOW)
    assert ids == _all_pages(catalog, selection, 1000)
    assert {PREFIX + i for i in ids} == set(expected(catalog, now=NOW))
    stamps = [_oai_datestamp(catalog, i) for i in ids]
    assert stamps == sorted(stamps)


def _oai_datestamp(catalog: Catalog, item_id: str) -> str:
    item = queries.disseminated_item(catalog.db, item_id, NOW)
    assert item is not None
    return item.datestamp


def test_a_lifted_embargo_moves_the_oai_datestamp_to_its_end(services: Services) -> None:
    # e-past was stamped 2022-03-02 but became public only at 2029-12-31T23:59:59Z, with no job run:
    # a harvest from any moment before then must see it.
    catalog = services.catalog
    assert _oai_datestamp(catalog, "e-past") == "2029-12-31T23:59:59Z"
    assert _oai_datestamp(catalog, "A0") == catalog.require_item("A0").datestamp
    since = Selection("dc_xml", lower="2029-06-01T00:00:00Z")
    assert [r.id for r in queries.list_page(catalog.db, since, NOW, None, 100, with_metadata=False)] == ["e-past"]
    assert queries.count(catalog.db, since, NOW) == 1
    seed(catalog, [Spec("e-day", "2022-03-02T00:00:00Z", visibility="embargoed", embargo_until="2029-12-01")])
    assert _oai_datestamp(catalog, "e-day") == "2029-12-01T00:00:00Z"  # a bare date is its first second


def test_visibility_rules(services: Services) -> None:
    db = services.catalog.db
    rows = {r.id: r for r in queries.list_page(db, Selection("mods_xml"), NOW, None, 100, with_metadata=True)}
    assert rows["w"].deleted and rows["w"].xml is None
    assert not rows["e-past"].deleted and (rows["e-past"].xml or "").lstrip().startswith("<?xml")
    assert not {"r", "e-future", "bare"} & set(rows)
    assert queries.disseminated_item(db, "r", NOW) is None
    assert queries.disseminated_item(db, "e-future", NOW) is None
    assert queries.disseminated_item(db, "e-future", "2031-01-01T00:00:00Z") is not None
    bare = queries.disseminated_item(db, "bare", NOW)
    assert bare is not None and bare.records == {} and not bare.deleted
    withdrawn = queries.disseminated_item(db, "w", NOW)
    assert withdrawn is not None and withdrawn.deleted and withdrawn.records == {}


def test_set_and_datestamp_bounds(services: Services) -> None:
    db = services.catalog.db
    selection = Selection("dc_xml", set_spec="b", lower="2022-03-02T00:00:00Z", upper="2022-03-02T00:00:00Z")
    rows = queries.list_page(db, selection, NOW, None, 100, with_metadata=False)
    assert rows
    assert all(r.collection == "b" and r.datestamp == "2022-03-02T00:00:00Z" and r.xml is None for r in rows)
    assert len(rows) == queries.count(db, selection, NOW)


def test_selection_refuses_other_columns() -> None:
    with pytest.raises(ValueError):
        Selection("dc_xml; DROP TABLE items")


def test_earliest_datestamp(services: Services) -> None:
    assert queries.earliest_datestamp(services.catalog.db) == "2022-03-01T00:00:00Z"


@pytest.mark.parametrize("prefix", ["oai_dc", "mods"])
def test_whole_harvest_over_the_protocol(services: Services, prefix: str) -> None:
    oai = OAIClient(services)
    records = oai.harvest("ListRecords", metadataPrefix=prefix)
    assert len(set(identifiers(records))) == len(records)
    assert deletions(records) == expected(services.catalog, prefix)
    assert set(identifiers(oai.harvest("ListIdentifiers", metadataPrefix=prefix, set="a"))) == set(
        expected(services.catalog, prefix, collection="a")
    )


def _wait_for_next_second() -> None:
    time.sleep(1.02 - time.time() % 1)


def test_a_harvest_stays_consistent_while_records_are_added(services: Services) -> None:
    oai = OAIClient(services)
    before = expected(services.catalog)
    root = oai.get(verb="ListIdentifiers", metadataPrefix="oai_dc")
    seen = identifiers(root.iterfind(f".//{OAI}header"))
    first_response = root.findtext(f"{OAI}responseDate") or ""
    _wait_for_next_second()  # ingest stamps new items with the time they are registered
    now = utc_now()
    seed(services.catalog, [Spec(f"new{n}", now, collection="a") for n in range(10)])
    token = token_of(root)
    while token is not None and token.text:
        root = oai.get(verb="ListIdentifiers", resumptionToken=token.text)
        seen += identifiers(root.iterfind(f".//{OAI}header"))
        token = token_of(root)
        assert token is not None
        assert token.get("completeListSize") == (str(len(before)) if not token.text else None)
    assert sorted(seen) == sorted(before)
    # The next incremental harvest, from this one's responseDate, brings the new items.
    later = oai.harvest("ListIdentifiers", metadataPrefix="oai_dc", **{"from": first_response})
    assert {f"{PREFIX}new{n}" for n in range(10)} <= set(identifiers(later))


def test_a_record_changed_during_a_harvest_is_never_lost(services: Services) -> None:
    oai = OAIClient(services)
    root = oai.get(verb="ListIdentifiers", metadataPrefix="oai_dc")
    seen = identifiers(root.iterfind(f".//{OAI}header"))
    first_response = root.findtext(f"{OAI}responseDate") or ""
    last_id = max(
        expected(services.catalog), key=lambda i: (services.catalog.require_item(i[len(PREFIX) :]).datestamp, i)
    )
    _wait_for_next_second()
    # Withdrawal moves the item's datestamp past the harvest's frozen upper bound.
    services.catalog.set_status(last_id[len(PREFIX) :], status="withdrawn", reason="test")
    token = token_of(root)
    while token is not None and token.text:
        root = oai.get(verb="ListIdentifiers", resumptionToken=token.text)
        seen += identifiers(root.iterfind(f".//{OAI}header"))
        token = token_of(root)
    assert len(seen) == len(set(seen))
    later = oai.harvest("ListIdentifiers", metadataPrefix="oai_dc", **{"from": first_response})
    deleted = [h for h in later if h.findtext(f"{OAI}identifier") == last_id]
    assert len(deleted) == 1 and deleted[0].get("status") == "deleted"


def test_a_page_emptied_since_its_token_was_issued_is_no_records_match(services: Services) -> None:
    oai = OAIClient(services)
    token = token_of(oai.get(verb="ListIdentifiers", metadataPrefix="oai_dc", set="b"))
    assert token is not None and token.text
    services.catalog.db.execute("UPDATE items SET visibility = 'restricted' WHERE collection = 'b'")
    assert error_code(oai.get(verb="ListIdentifiers", resumptionToken=token.text)) == "noRecordsMatch"


def test_sqlite_page_query_seeks_the_index(tmp_path: Path) -> None:
    catalog = Catalog.open(f"sqlite:///{tmp_path / 'c.sqlite3'}")
    selections = (Selection("dc_xml", lower="a", upper="b"), Selection("dc_xml", set_spec="a", upper="b"))
    for selection in selections:
        where, params = oai_records._where(selection, NOW, ("a", "b"))
        plan = catalog.db.query(
            "EXPLAIN QUERY PLAN SELECT i.id FROM items i LEFT JOIN metadata m ON m.item_id = i.id"
            f" WHERE {where} ORDER BY {oai_records._DATESTAMP}, i.id LIMIT 10",
            params,
        )
        details = " ".join(p["detail"] for p in plan)
        # The OAI datestamp is an expression (see queries.py): its index is sought from the last key.
        assert "SEARCH i USING INDEX items_oai_" in details and "<expr>>?" in details, details
        assert "TEMP B-TREE" not in details, details
    catalog.close()


def test_records_stored_as_bytes_are_served(tmp_path: Path) -> None:
    services = open_services(tmp_path)
    try:
        seed(services.catalog, [Spec("x1", "2022-01-01T00:00:00Z")])
        dc = services.catalog.db.query_one("SELECT dc_xml FROM metadata WHERE item_id = 'x1'")
        assert dc is not None
        blob = dc["dc_xml"].encode()
        services.catalog.db.execute("UPDATE metadata SET dc_xml = ? WHERE item_id = 'x1'", (blob,))
        root = OAIClient(services).get(verb="GetRecord", identifier=f"{PREFIX}x1", metadataPrefix="oai_dc")
        assert root.find(f".//{OAI}metadata") is not None
    finally:
        services.close()
