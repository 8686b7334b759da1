"""Failures of the machine and of what it relies on, each named in words a user can act on: a full
disk (a 2 MB tmpfs), S3 out of reach (a port nothing listens on), a refused record, a permission
refused (the command run as ``nobody``). One line naming the cause and the path or setting, no
traceback without ``--debug``, a non-zero exit."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.context import ItemSource
from ingest.derivatives import make_derivatives
from ingest.runner import Ingester
from repo.errors import Problem
from repo.services import Services
from repo.settings import Settings
from storage.s3 import S3Location, S3Storage, make_client
from tests.foundation.test_cli import muniment
from tests.ingest.conftest import make_item, write_page
from tests.servers.ports import free_port


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB file system of its own, to fill."""
    folder = tmp_path / "disk"
    folder.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(folder)], check=True)
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def fill(disk: Path, leave: int = 0) -> None:
    """Write zeros until the disk refuses more, then give ``leave`` bytes back."""
    with (disk / "filler").open("wb", buffering=0) as out:
        try:
            while True:
                out.write(b"\0" * 4096)
        except OSError:
            pass
    if leave:
        size = (disk / "filler").stat().st_size
        os.truncate(disk / "filler", max(0, size - leave))


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_full_disk_when_the_catalog_opens(disk: Path) -> None:
    fill(disk)
    line = one_line_error(muniment("token", "list", env={"MUNIMENT_DATA_DIR": str(disk / "data")}))
    assert (
        line
        == f"muniment: error: disk full: the catalog cannot grow: {disk}/data/catalog.sqlite3 (MUNIMENT_DATABASE_URL)"
    )


def test_a_full_disk_during_ingest_says_so(disk: Path, tmp_path: Path) -> None:
    env = {"MUNIMENT_DATA_DIR": str(disk / "data")}
    assert muniment("token", "list", env=env).returncode == 0  # the catalog, made while there was room
    folder = make_item(tmp_path / "scans" / "letter", ["p1.tif", "p2.jpg"])
    fill(disk, leave=400 * 1024)
    result = muniment("ingest", str(folder), "--collection", "letters", env=env)
    said = result.stdout + result.stderr
    assert result.returncode == 1 and "Traceback" not in said, said
    assert f"disk full: no space left on the device holding {disk}/data" in said, said
    assert "does not decode" not in said


def test_derivatives_on_a_full_disk_blame_the_disk_not_the_image(disk: Path, tmp_path: Path) -> None:
    page = write_page(tmp_path / "p1.tif", 600, 400)
    fill(disk)
    problem = make_derivatives(page, "image/tiff", disk, "p1")
    assert isinstance(problem, Problem), problem
    assert problem.reason == f"its derivatives cannot be written: disk full: no space left on the device holding {disk}"
    assert not (disk / "p1.tif").exists() and not (disk / "p1.jpg").exists()


def test_s3_out_of_reach_during_ingest_names_the_endpoint_and_setting(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    services = Services.open(Settings(data_dir=tmp_path / "data", ingest_workers=1))
    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    location = S3Location(bucket="b", endpoint_url=endpoint, access_key="a", secret_key="b")
    services.preservation = S3Storage(location, client=make_client(location, attempts=1, timeout=2))
    folder = make_item(tmp_path / "scans" / "letter", ["p1.tif"])
    ingester = Ingester(services)
    try:
        with caplog.at_level(logging.WARNING):
            result = ingester.ingest(ItemSource(folder, "letters", folder / "mods.xml", "letter-1"))
    finally:
        ingester.close()
        services.close()
    assert result.status == "failed"
    [problem] = result.problems
    assert (
        problem.reason.startswith(f"cannot reach S3 endpoint {endpoint}") and "(MUNIMENT_S3_ENDPOINT)" in problem.reason
    )
    assert not [r for r in caplog.records if r.exc_info], "no traceback is logged for an outage"


def test_a_refused_record_on_edit_is_listed_without_a_traceback(tmp_path: Path) -> None:
    record = tmp_path / "bad.xml"
    record.write_text('<mods xmlns="http://www.loc.gov/mods/v3" version="3.8"><bogus/></mods>')
    result = muniment("edit", "letter-1", "--metadata", str(record), env={"MUNIMENT_DATA_DIR": str(tmp_path / "d")})
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    first, *problems = result.stderr.strip().splitlines()
    assert first == "muniment: error: bad.xml: the metadata record is refused"
    assert problems and all(p.startswith("  - bad.xml:1: ") for p in problems), problems
    assert any("no title" in p for p in problems)


def test_permission_denied_names_the_path(tmp_path: Path) -> None:
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("refusing root a permission needs root and setpriv")
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    os.chown(data, 65534, 65534)  # nobody's: root may not write in it once it cannot override permissions
    record = tmp_path / "record.xml"
    record.write_text("<mods/>")
    record.chmod(0o000)
    env = {"MUNIMENT_DATA_DIR": str(data)}
    catalog = one_line_error(run_restricted("token", "list", env=env))
    assert catalog == f"muniment: error: permission denied: {data}: {data}/catalog.sqlite3 (MUNIMENT_DATABASE_URL)"
    edit = run_restricted("edit", "letter-1", "--metadata", str(record), env=env)
    assert edit.returncode == 2 and "Traceback" not in edit.stderr
    assert "record.xml: cannot read the file: Permission denied" in edit.stderr, edit.stderr


def run_restricted(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``muniment`` as root without the capabilities that override file permissions."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("MUNIMENT_")} | env
    drop = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"]
    command = [*drop, sys.executable, "-m", "app.cli.main", *args]
    return subprocess.run(command, capture_output=True, text=True, env=full_env, timeout=120)
