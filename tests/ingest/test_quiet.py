"""`muniment ingest --quiet`: errors, each naming its item, and nothing else."""

from __future__ import annotations

from pathlib import Path

from repo.identifiers import object_id
from repo.preservation import ObjectStore
from storage import FilesystemStorage
from tests.ingest.conftest import make_item
from tests.ingest.test_batch_and_bags import run_muniment


def test_quiet_prints_nothing_on_success_and_the_problems_of_a_refused_item(tmp_path: Path) -> None:
    source = make_item(tmp_path / "src", ["p1.tif", "p2.tif"])
    first = run_muniment(
        tmp_path / "one", "ingest", str(source), "--collection", "letters", "--identifier", "MS-Q", "--quiet"
    )
    assert (first.returncode, first.stdout, first.stderr) == (0, "", "")
    # a bag goes through bagit-python, which logs every step at INFO
    stored = ObjectStore(FilesystemStorage(tmp_path / "one" / "preservation"))
    bag = stored.export_version(object_id("MS-Q"), None, tmp_path / "bag")
    good = run_muniment(tmp_path / "two", "ingest", "--bag", str(bag), "--quiet")
    assert (good.returncode, good.stdout, good.stderr) == (0, "", "")

    (bag / "data" / "extra.dat").write_bytes(b"not in the manifest")
    refused = run_muniment(tmp_path / "three", "ingest", "--bag", str(bag), "--quiet")
    assert refused.returncode == 1 and refused.stdout == ""
    lines = refused.stderr.splitlines()
    assert lines and all(line.startswith(f"{bag.name}: ") for line in lines)
    assert any("data/extra.dat" in line and "not in manifest-sha512.txt" in line for line in lines)
