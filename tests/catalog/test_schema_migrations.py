"""The catalog's schema carries a version and upgrades in place: a catalog made by the release
before versions were recorded (its tables exactly as migration 1 writes them, and nothing else)
opens with this release's code, gains what later migrations add, and keeps every row."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from repo.auth import Role, TokenStore
from repo.catalog import Catalog, Database
from repo.catalog.schema import MIGRATIONS, SCHEMA_VERSION, schema_version
from repo.errors import ConfigError

OLD_ROWS = [
    "INSERT INTO collections (slug, title, description, rights, created, modified)"
    " VALUES ('letters', 'Letters of Ada', 'Her letters', '', '2026-01-02T03:04:05Z', '2026-01-02T03:04:05Z')",
    "INSERT INTO items (id, collection, external_id, content_key, title, version, page_count, created, datestamp)"
    " VALUES ('letter-1', 'letters', 'ms-1', 'k1', 'To Babbage', 3, 2, '2026-01-02T03:04:05Z', '2026-01-03T00:00:00Z')",
    "INSERT INTO metadata (item_id, dc_json, dc_xml, mods_xml, language, creators, subjects, description, date,"
    " date_start, date_end, type, rights, toc_json, full_text) VALUES ('letter-1', '{\"title\": [\"To Babbage\"]}',"
    " '<dc/>', '<mods/>', 'eng', 'Lovelace, Ada', 'Engines', 'A letter', '1843', 1843, 1843, 'Text', '', '[]', '')",
    "INSERT INTO files (item_id, seq, path, label, size, sha512, mime, width, height, derivative_key, thumbnail_key)"
    " VALUES ('letter-1', 1, 'data/p1.tif', '1', 10, 'ab', 'image/tiff', 300, 200, 'd1', 't1')",
    "INSERT INTO api_audit (at, actor, action, outcome) VALUES ('2026-01-02T03:04:05Z', 'ada', 'PUT /x', 200)",
]


def made_by_the_previous_release(url: str) -> str:
    """The catalog the release before this one left: migration 1's tables, rows in them, no versions."""
    db = Database(url)
    try:
        db.script(MIGRATIONS[0].statements(db.dialect))
        db.script(OLD_ROWS)
        token, _ = TokenStore(db).create("harvester", Role.READER)
    finally:
        db.close()
    return token


def test_an_unversioned_catalog_is_upgraded_in_place_with_nothing_lost(catalog_url: str) -> None:
    token = made_by_the_previous_release(catalog_url)
    catalog = Catalog.open(catalog_url)
    try:
        assert schema_version(catalog.db) == SCHEMA_VERSION >= 2
        applied = [row["version"] for row in catalog.db.query("SELECT version FROM schema_migrations ORDER BY 1")]
        assert applied == [m.version for m in MIGRATIONS]
        collection = catalog.get_collection("letters")
        assert collection is not None and (collection.title, collection.description) == (
            "Letters of Ada",
            "Her letters",
        )
        item = catalog.require_item("letter-1")
        assert (item.title, item.version, item.external_id, item.page_count) == ("To Babbage", 3, "ms-1", 2)
        metadata = catalog.metadata("letter-1")
        assert metadata is not None and metadata.dc["title"] == ["To Babbage"]
        assert metadata.marc_xml == ""  # migration 2's column, empty for what came before it
        assert [f.path for f in catalog.files("letter-1")] == ["data/p1.tif"]
        principal = TokenStore(catalog.db).authenticate(token)
        assert principal is not None and principal.name == "harvester"
        assert catalog.db.query_one("SELECT actor FROM api_audit") == {"actor": "ada"}
    finally:
        catalog.close()
    again = Catalog.open(catalog_url)  # opening once more applies nothing
    try:
        assert len(again.db.query("SELECT version FROM schema_migrations")) == len(MIGRATIONS)
    finally:
        again.close()


def test_a_catalog_from_a_newer_release_is_refused(catalog_url: str) -> None:
    Catalog.open(catalog_url).close()
    db = Database(catalog_url)
    try:
        db.execute(
            "INSERT INTO schema_migrations (version, description, applied) VALUES (?, 'from the future', '')",
            (SCHEMA_VERSION + 1,),
        )
    finally:
        db.close()
    with pytest.raises(ConfigError) as caught:
        Catalog.open(catalog_url)
    assert f"schema version {SCHEMA_VERSION + 1}, newer than this release" in caught.value.message


_OPEN_AT = (
    "import sys, time\n"
    "from repo.catalog import Catalog\n"
    "time.sleep(max(0.0, float(sys.argv[2]) - time.time()))\n"
    "Catalog.open(sys.argv[1]).close()\n"
)


def test_processes_opening_a_new_catalog_at_once_all_start(catalog_url: str) -> None:
    # serve and workers starting together on an empty database (compose up, a first deploy): each
    # finds no schema; exactly one creates it, the others wait for it, none fails.
    start_at = time.time() + 3  # after every interpreter has imported
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _OPEN_AT, catalog_url, str(start_at)], stderr=subprocess.PIPE, text=True
        )
        for _ in range(6)
    ]
    errors = [p.communicate(timeout=120)[1] for p in processes]
    assert [p.returncode for p in processes] == [0] * 6, "\n".join(errors)
    catalog = Catalog.open(catalog_url)
    try:
        versions = [row["version"] for row in catalog.db.query("SELECT version FROM schema_migrations ORDER BY 1")]
        assert versions == [m.version for m in MIGRATIONS]  # each applied once
    finally:
        catalog.close()
