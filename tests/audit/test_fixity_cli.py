"""`muniment fixity` as an operator runs it (a real subprocess): what it repairs, what it reports,
and its exit status."""

from __future__ import annotations

import json
from pathlib import Path

from repo.identifiers import object_id
from repo.preservation import ObjectStore
from storage import FilesystemStorage
from tests.audit.conftest import damage, ingest_pages, make_services
from tests.foundation.test_cli import muniment


def repository(tmp_path: Path) -> tuple[str, dict[str, str]]:
    """An item ingested and replicated, and the environment that points the command at it."""
    services = make_services(
        tmp_path, FilesystemStorage(tmp_path / "preservation"), FilesystemStorage(tmp_path / "replica")
    )
    try:
        item = ingest_pages(services, tmp_path, pages=2)
    finally:
        services.close()
    env = {
        "MUNIMENT_DATA_DIR": str(tmp_path / "data"),
        "MUNIMENT_PRESERVATION_STORAGE": str(tmp_path / "preservation"),
        "MUNIMENT_REPLICA_STORAGE": str(tmp_path / "replica"),
        "MUNIMENT_ACCESS_STORAGE": str(tmp_path / "access"),
    }
    return item, env


def test_both_inventories_corrupt_fails_loudly_and_overwrites_nothing(tmp_path: Path) -> None:
    item, env = repository(tmp_path)
    copies = [FilesystemStorage(tmp_path / name) for name in ("preservation", "replica")]
    keys = [f"{ObjectStore(s).object_root(object_id(item))}/inventory.json" for s in copies]
    damage(copies[0], keys[0], "flip")
    damage(copies[1], keys[1], "truncate")
    damaged = [s.get_bytes(k) for s, k in zip(copies, keys, strict=True)]

    run = muniment("fixity", env=env)
    assert run.returncode == 1, run.stderr
    assert "!!! BOTH COPIES BAD" in run.stdout and "NOTHING WAS OVERWRITTEN" in run.stdout
    assert f"FAILED  {item}  preservation  inventory.json: inventory.json: BOTH COPIES BAD" in run.stdout
    assert [s.get_bytes(k) for s, k in zip(copies, keys, strict=True)] == damaged

    report = muniment("fixity", "--report", "--json", env=env)
    assert report.returncode == 1, report.stderr
    both = json.loads(report.stdout)["both_copies_bad"]
    assert {(r["copy"], r["path"]) for r in both} == {("preservation", "inventory.json"), ("replica", "inventory.json")}


def test_sidecar_stray_file_and_pyramid_repaired_or_reported_until_clean(tmp_path: Path) -> None:
    item, env = repository(tmp_path)
    preservation, access = FilesystemStorage(tmp_path / "preservation"), FilesystemStorage(tmp_path / "access")
    root = ObjectStore(preservation).object_root(object_id(item))
    preservation.delete(f"{root}/inventory.json.sha512")
    preservation.put_bytes(f"{root}/v1/content/stray.txt", b"left behind")
    pyramid = f"{item}/0002.tif"
    access.delete(pyramid)

    run = muniment("fixity", env=env)
    assert run.returncode == 1, run.stderr
    assert "checked 18 files" in run.stdout and "18 files ok, 2 repaired, 1 failed" in run.stdout
    assert f"REPAIRED  {item}  preservation  inventory.json.sha512: " in run.stdout
    assert f"REPAIRED  {item}  access  {pyramid}: {pyramid}: was missing; made again from data/p2.tif" in run.stdout
    assert f"FAILED  {item}  preservation  v1/content/stray.txt: v1/content/stray.txt: stray file" in run.stdout
    assert preservation.exists(f"{root}/inventory.json.sha512") and access.exists(pyramid)

    report = muniment("fixity", "--report", env=env)
    assert report.returncode == 1
    assert "Failed: 1" in report.stdout and "v1/content/stray.txt" in report.stdout

    preservation.delete(f"{root}/v1/content/stray.txt")
    clean = muniment("fixity", env=env)
    assert clean.returncode == 0, clean.stdout
    assert "0 repaired, 0 failed" in clean.stdout
    assert muniment("fixity", "--report", env=env).returncode == 0
