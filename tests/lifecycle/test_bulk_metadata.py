"""The bulk metadata round trip on a 1,000-item collection (export, edit 50 titles, dry run, apply
as one queued job), and DC edits of items whose record came as MARC or MODS."""

from __future__ import annotations

import csv
import io
import multiprocessing
import os
import shutil
import tempfile
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import pyvips
from lxml import etree

from app.cli.main import main
from app.worker import Worker
from ingest.context import ItemSource
from ingest.progress import Progress
from ingest.runner import Ingester
from repo.audit import Preservation
from repo.catalog import Catalog
from repo.identifiers import object_id
from repo.lifecycle import edit_fields, edit_metadata, item_history
from repo.lifecycle.bulk_metadata import export_csv, plan_import, require_applicable
from repo.lifecycle.rebuild import rebuild_catalog
from repo.lifecycle.stored_bag import MARC_FILE, read_stored_bag
from repo.metadata.errors import MetadataError
from repo.metadata.loader import load_record, record_from_dc_fields
from repo.metadata.namespaces import MARC
from repo.metadata.rights import rights_choices, rights_problem
from repo.services import Services
from repo.settings import Settings
from storage import FilesystemStorage
from tests.ingest.conftest import MODS
from tests.lifecycle.conftest import USER

pytestmark = pytest.mark.slow  # 1,000 real items

ITEMS = 1000
FIXTURES = Path(__file__).parent.parent / "metadata" / "fixtures" / "marc"
MARC_RECORD = FIXTURES / "photo-prokudin-gorskii-shokhanka-river.marcxml"


@dataclass
class Seeded:
    data_dir: Path
    services: Services
    marc_item: str
    mods_item: str


def _tiny_page(folder: Path, n: int) -> None:
    """One 8x8 page, its pixels its own (an item's identity is its content)."""
    folder.mkdir(parents=True)
    colour = [n % 256, (n // 256) % 256, 7]
    pyvips.Image.black(8, 8).new_from_image(colour).cast("uchar").copy(interpretation="srgb").pngsave(
        str(folder / "p1.png")
    )


@pytest.fixture(scope="module")
def memory_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder in memory when there is one: the seeding writes some 15,000 small files, and on a
    disk shared with other work it mostly waited for the disk (durability is not tested here).
    They take some 80 MB there; a container's small /dev/shm (64 MB by default) is not used."""
    memory = Path("/dev/shm")
    if not (memory.is_dir() and os.access(memory, os.W_OK) and shutil.disk_usage(memory).free > 1 << 30):
        yield tmp_path_factory.mktemp("bulk")
        return
    root = Path(tempfile.mkdtemp(prefix="muniment-bulk-", dir=memory))
    yield root
    shutil.rmtree(root, ignore_errors=True)


def _services(data_dir: Path) -> Services:
    """The embedded default's folders, without an fsync per file: durability is not what is tested."""
    settings = Settings(data_dir=data_dir, ingest_workers=2, ocr=False)
    folders = [
        FilesystemStorage(Path(location), fsync=False)
        for location in (settings.preservation_location, settings.access_location)
    ]
    return Services(settings, *folders, None, Catalog.open(settings.catalog_url))


def _ingest(data_dir: Path, sources: list[ItemSource]) -> list[str]:
    """Ingest ``sources`` (in this process, or in one of the seeding's): the problems, if any."""
    services = _services(data_dir)
    ingester = Ingester(services)
    try:
        results = ingester.ingest_many(sources, Progress(len(sources), "quiet"), item_workers=2)
    finally:
        ingester.close()
        services.close()
    return [f"{r.name}: {r.status}: {r.problems}" for r in results if r.status != "ingested"]


@pytest.fixture(scope="module")
def seeded(memory_folder: Path) -> Iterator[Seeded]:
    """1,000 real items (OCFL objects, bags, catalog rows, search index) of one tiny page each,
    ingested in parallel through the real pipeline, their pages marked as decoded already (as
    the page tasks of a large item do): the derivatives, which no metadata edit reads, are not
    made (a full ingest of each takes twice as long). One item with a MARC record and one with a
    MODS record beside them. The ingest of so many small items is Python more than pyvips, so
    it runs in a process per core, writing one repository (as several workers do)."""
    root = memory_folder
    services = _services(root / "data")  # the catalog's schema made before the processes open it
    sources = []
    for n in range(ITEMS):
        _tiny_page(root / "scans" / f"{n:04d}", n)
        fields = {"title": f"Letter {n}", "date": "1893-05-14", "subject": "Letters|Ships", "type": "Text"}
        sources.append(
            ItemSource(
                root / "scans" / f"{n:04d}",
                "big",
                identifier=f"big-{n:04d}",
                dc_fields=fields,
                label=f"{n}",
                derivatives_made=True,
            )
        )
    for name, record in (("marc", MARC_RECORD), ("mods", None)):
        folder = root / "scans" / name
        _tiny_page(folder, 5000 + len(sources))
        if record is None:
            record = folder / "mods.xml"
            record.write_text(MODS.format(title="Notes by the Translator"))
        else:
            record = Path(shutil.copy(record, folder / "marc.xml"))
        sources.append(
            ItemSource(folder, "special", metadata=record, identifier=f"{name}-item", label=name, derivatives_made=True)
        )
    # One item of each collection first: its record is written once, not raced for.
    first, rest = [sources[0], *sources[ITEMS:]], sources[1:ITEMS]
    failed = _ingest(root / "data", first)
    processes = max(1, min(2, len(os.sched_getaffinity(0))))
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn")) as pool:
        shares = [rest[i::processes] for i in range(processes)]
        for problems in pool.map(_ingest, [root / "data"] * processes, shares):
            failed += problems
    assert failed == []
    yield Seeded(root / "data", services, "marc-item", "mods-item")
    services.close()


@pytest.fixture
def cli(seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> Seeded:
    monkeypatch.setenv("MUNIMENT_DATA_DIR", str(seeded.data_dir))
    monkeypatch.setenv("MUNIMENT_OCR", "false")
    return seeded


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.open(encoding="utf-8", newline="")))


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _record_text(xml: bytes) -> str:
    """The document without its XML declaration, as the catalog keeps it for OAI-PMH."""
    return xml.decode().split("?>", 1)[1].strip()


def _versions(services: Services, collection: str) -> dict[str, int]:
    return {i.id: i.version for i in services.catalog.list_items(collection, limit=ITEMS + 10)}


def test_round_trip_of_a_thousand_items(cli: Seeded, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    exported = tmp_path / "out.csv"
    assert main(["metadata", "export", "--collection", "big", str(exported)]) == 0
    rows = _rows(exported)
    assert len(rows) == ITEMS
    assert list(rows[0])[:3] == ["identifier", "title", "creator"] and list(rows[0])[-1] == "version"
    first = next(r for r in rows if r["identifier"] == "big-0000")
    assert first["title"] == "Letter 0" and first["subject"] == "Letters|Ships" and first["version"] == "1"

    edited = {f"big-{n:04d}" for n in range(0, ITEMS, 20)}  # 50 items
    bad = "big-0007"  # a new title and a date that is not one: this item only is refused
    # Rows are in the order of ingest, which the parallel seeding does not fix: the file's line.
    row_of = {row["identifier"]: n for n, row in enumerate(rows, start=2)}
    for row in rows:
        if row["identifier"] in edited:
            row["title"] = f"{row['title']} (revised)"
        elif row["identifier"] == bad:
            row["title"], row["date"] = "Never stored", "the thirty-second of May"
    changed = _write(tmp_path / "edited.csv", rows)

    capsys.readouterr()
    assert main(["metadata", "import", str(changed), "--dry-run"]) == 1  # one item refused
    out, err = capsys.readouterr()
    changes = out.splitlines()[:-1]
    assert len(changes) == 50
    assert {line.split()[2].rstrip(":") for line in changes} == edited
    assert f"row {row_of['big-0000']} big-0000: title: 'Letter 0' -> 'Letter 0 (revised)'" in changes
    assert all(": title: " in line for line in changes)
    assert err.splitlines() == [
        f"edited.csv: row {row_of[bad]}, column date: bad date 'the thirty-second of May': not a date a year can be "
        "read from (1893, 1893-05-14, 1890/1899, c1999)"
    ]
    assert "1000 row(s): 50 item(s) to change, 1 refused (dry run: nothing written)" in out
    assert set(_versions(cli.services, "big").values()) == {1}  # the dry run wrote nothing

    stop = Worker(cli.services).start_in_background()
    try:
        assert main(["metadata", "import", str(changed), "--wait"]) == 1  # the refused item, again
    finally:
        stop()
    out, err = capsys.readouterr()
    assert "column date: bad date" in err
    report = out.splitlines()[51:]  # after the changes and the summary: one line per item of the job
    assert len(report) == 50 and all(line.endswith(": edited: v2: title changed") for line in report)

    versions = _versions(cli.services, "big")
    assert {i for i, v in versions.items() if v == 2} == edited  # exactly 50 new versions
    assert set(versions.values()) == {1, 2}
    for item_id in ("big-0000", "big-0980"):
        meta = cli.services.catalog.metadata(item_id)
        assert meta is not None and meta.dc["title"] == [f"Letter {int(item_id[4:])} (revised)"]
        bag = read_stored_bag(cli.services.object_store(), object_id(item_id))
        assert bag.record().title.endswith("(revised)") and bag.version == "v2"
    untouched = cli.services.catalog.metadata(bad)
    assert untouched is not None and untouched.dc["title"] == ["Letter 7"]

    # The same file again: nothing left to change but the refused row.
    assert main(["metadata", "import", str(changed), "--dry-run"]) == 1
    assert "0 item(s) to change, 1 refused" in capsys.readouterr().out


def test_file_problems_stop_the_import_and_name_row_and_column(cli: Seeded, tmp_path: Path) -> None:
    data = (
        b"identifier,titel,date,version\n"
        b"big-0001,Letter one,1893,1\n"
        b"no-such-item,Anything,1893,\n"
        b"big-0002,Letter two,1893,7\n"
        b"big-0003,,1893,\n"
        b"big-0003,Again,1893,\n"
    )
    plan = plan_import(cli.services.catalog, cli.services.object_store(), data, "edited.csv")
    assert [str(p) for p in plan.all_problems] == [
        "edited.csv: row 1, column 2 'titel': unknown column (expected identifier, version or a Dublin Core element: "
        "title, creator, subject, description, publisher, contributor, date, type, format, identifier, source, "
        "language, relation, coverage, rights)",
        "edited.csv: row 3, column identifier: unknown item 'no-such-item'",
        "edited.csv: row 4, column version: item big-0002 is at version 1, not '7': export it again",
        "edited.csv: row 6, column identifier: item big-0003 is also in row 5; give each item one row",
    ]
    assert plan.applicable == []  # an unknown column: nothing applies, not even the good rows
    with pytest.raises(MetadataError):
        require_applicable(plan)


def test_a_title_edit_of_a_marc_item_is_written_into_its_marc(seeded: Seeded) -> None:
    p = Preservation(seeded.services)
    try:
        stored = read_stored_bag(p.primary.store, object_id(seeded.marc_item)).record()
        dc = {**stored.dc, "title": ("Shokhanka River near Ples",)}
        result = edit_fields(p, seeded.marc_item, dc, USER, based_on=1)
        assert result.version == 2 and result.changed == ["title", "marc"]
        bag = read_stored_bag(p.primary.store, object_id(seeded.marc_item))
        marc = etree.fromstring(bag.tags[MARC_FILE])
        field = marc.find(f".//{{{MARC}}}datafield[@tag='245']")
        assert field is not None
        assert [(s.get("code"), s.text) for s in field] == [("a", "Shokhanka River near Ples"), ("h", "[graphic].")]
        latest = marc.find(f"{{{MARC}}}controlfield[@tag='005']")
        assert latest is not None and latest.text is not None and latest.text[:4] >= "2025"  # the latest transaction
        record = bag.record()
        assert record.title == "Shokhanka River near Ples"
        assert b"<title>Shokhanka River near Ples</title>" in record.mods_xml
        meta = seeded.services.catalog.metadata(seeded.marc_item)
        assert meta is not None and meta.marc_xml.strip() == _record_text(bag.tags[MARC_FILE])  # OAI-PMH's marcxml
        assert meta.dc["title"] == ["Shokhanka River near Ples"]

        # A subject has no mapping into MARC here: refused, naming the element and what to do.
        with pytest.raises(MetadataError) as refused:
            edit_fields(p, seeded.marc_item, {**record.dc, "subject": ("Rivers",)}, USER, based_on=2)
        assert "subject: the item's record is MARC" in str(refused.value)
        assert "muniment edit ITEM --metadata FILE" in str(refused.value)
        assert seeded.services.catalog.require_item(seeded.marc_item).version == 2

        assert item_history(p.primary.store, object_id(seeded.marc_item))[-1].metadata == ["title", "marc"]
    finally:
        p.close()


def test_a_rebuilt_catalog_keeps_the_marc_as_stored(tmp_path: Path) -> None:
    """Not one made from the MODS again: OAI-PMH's marcxml is the cataloger's record after a rebuild."""
    services = Services.open(Settings(data_dir=tmp_path / "data", ingest_workers=2, ocr=False))
    p = Preservation(services)
    try:
        _tiny_page(tmp_path / "scans", 1)
        shutil.copy(MARC_RECORD, tmp_path / "scans" / "marc.xml")
        ingester = Ingester(services)
        try:
            result = ingester.ingest(ItemSource(tmp_path / "scans", "special", identifier="one-marc"))
        finally:
            ingester.close()
        assert result.status == "ingested", result.problems
        stored = read_stored_bag(p.primary.store, object_id("one-marc")).record()
        edit_fields(p, "one-marc", {**stored.dc, "title": ("A river",)}, USER)
        marc = read_stored_bag(p.primary.store, object_id("one-marc")).tags[MARC_FILE]
        services.catalog.clear()
        rebuild_catalog(p)
        rebuilt = services.catalog.metadata("one-marc")
        assert rebuilt is not None and rebuilt.marc_xml.strip() == _record_text(marc)
        assert rebuilt.dc["title"] == ["A river"]
    finally:
        p.close()
        services.close()


def test_another_kind_of_record_replacing_marc_drops_it_with_a_premis_event(seeded: Seeded) -> None:
    p = Preservation(seeded.services)
    try:
        item = seeded.services.catalog.require_item(seeded.marc_item)
        record = record_from_dc_fields({"title": "A river", "date": "1909"}, "dc")
        result = edit_metadata(p, seeded.marc_item, record, USER, based_on=item.version)
        assert "marc" in result.changed
        bag = read_stored_bag(p.primary.store, object_id(seeded.marc_item))
        assert MARC_FILE not in bag.tags
        assert any(
            e.detail.startswith("metadata/marc.xml removed: the MARC record is no longer the item's source")
            for e in bag.events
        )
        meta = seeded.services.catalog.metadata(seeded.marc_item)
        assert meta is not None and "A river" in meta.marc_xml  # MARCXML made from the new MODS

        # A MARC record given again (`muniment edit --metadata record.mrc`) is the source again.
        again = edit_metadata(p, seeded.marc_item, load_record(MARC_RECORD), USER, based_on=result.version)
        assert "marc" in again.changed
        bag = read_stored_bag(p.primary.store, object_id(seeded.marc_item))
        assert bag.tags[MARC_FILE] == MARC_RECORD.read_bytes()
        meta = seeded.services.catalog.metadata(seeded.marc_item)
        assert meta is not None and meta.marc_xml.strip() == _record_text(bag.tags[MARC_FILE])
    finally:
        p.close()


def test_a_title_edit_of_a_mods_item_keeps_its_mods(seeded: Seeded) -> None:
    p = Preservation(seeded.services)
    try:
        stored = read_stored_bag(p.primary.store, object_id(seeded.mods_item)).record()
        edits = {"title": ("Sketch of the Analytical Engine",), "date": ("1843-09-01",), "publisher": ("R. Taylor",)}
        edit_fields(p, seeded.mods_item, {**stored.dc, **edits}, USER)
        record = read_stored_bag(p.primary.store, object_id(seeded.mods_item)).record()
        assert {name: record.dc[name] for name in edits} == edits
        assert b"Notes on the analytical engine." in record.mods_xml  # the rest of the MODS as it was
        assert b'<roleTerm type="text">creator</roleTerm>' in record.mods_xml and record.date_start == 1843
        # Names come from one list of MODS names with their roles: no mapping, refused.
        with pytest.raises(MetadataError, match="creator: the item's record is MODS"):
            edit_fields(p, seeded.mods_item, {**record.dc, "creator": ("Babbage, Charles",)}, USER)
    finally:
        p.close()


def test_a_value_holding_the_separator_exports_and_imports_unchanged(seeded: Seeded) -> None:
    p = Preservation(seeded.services)
    try:
        stored = read_stored_bag(p.primary.store, object_id(seeded.mods_item)).record()
        edit_fields(p, seeded.mods_item, {**stored.dc, "description": ("Recto | verso",)}, USER)
    finally:
        p.close()
    out = io.StringIO()
    exported = export_csv(seeded.services.catalog, "special", out)
    assert exported.rows == 2 and exported.ambiguous == [seeded.mods_item]
    plan = plan_import(seeded.services.catalog, seeded.services.object_store(), out.getvalue().encode(), "s.csv")
    assert plan.items == [] and plan.rows == 2


def test_rights_uris_are_validated_and_offered(tmp_path: Path) -> None:
    with pytest.raises(MetadataError) as bad:
        record_from_dc_fields({"title": "A", "rights": "https://creativecommons.org/licenses/by/5.0/"}, "row.csv")
    assert str(bad.value) == (
        "row.csv: rights: 'https://creativecommons.org/licenses/by/5.0/' is not a RightsStatements.org statement "
        "(http://rightsstatements.org/vocab/InC/1.0/ ...) or a Creative Commons licence "
        "(http://creativecommons.org/licenses/by/4.0/ ...)"
    )
    assert rights_problem("http://rightsstatements.org/vocab/InCC/1.0/") is not None
    for text in (
        "https://rightsstatements.org/page/NoC-US/1.0/?language=en",
        "CC BY-SA 3.0 https://creativecommons.org/licenses/by-sa/3.0/de/deed.de",
        "https://creativecommons.org/publicdomain/zero/1.0/legalcode",
        "Free to use; see creativecommons.org for what that means",
    ):
        assert rights_problem(text) is None, text
    choices = rights_choices()
    assert len(choices) == 20 and all(rights_problem(uri) is None for uri, _ in choices)
    mods = tmp_path / "mods.xml"
    mods.write_text(
        MODS.format(title="T").replace(
            "</mods>",
            '<accessCondition xlink:href="http://rightsstatements.org/vocab/InC/2.0/" '
            'xmlns:xlink="http://www.w3.org/1999/xlink">In copyright</accessCondition></mods>',
        )
    )
    with pytest.raises(MetadataError, match=r"mods.xml: rights: 'http://rightsstatements.org/vocab/InC/2.0/'"):
        load_record(mods)


def test_export_names_an_unknown_collection(cli: Seeded, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["metadata", "export", "--collection", "nope", str(tmp_path / "x.csv")]) == 2
    assert "no collection 'nope'" in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists() and not (tmp_path / "x.csv.partial").exists()
