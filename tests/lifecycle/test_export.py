"""`muniment export`: a version as a bag folder, .zip or .tar that bagit-python validates in full."""

from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path

import bagit
import pytest

from app.cli.main import main
from repo.services import Services
from repo.settings import Settings
from tests.audit.conftest import ingest_pages
from tests.lifecycle.conftest import mods_file


@pytest.fixture
def cli_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    """A repository configured through MUNIMENT_* variables, with one item edited once (two versions)."""
    for name in [n for n in __import__("os").environ if n.startswith("MUNIMENT_")]:
        monkeypatch.delenv(name)
    data = tmp_path / "data"
    monkeypatch.setenv("MUNIMENT_DATA_DIR", str(data))
    monkeypatch.setenv("MUNIMENT_INGEST_WORKERS", "2")
    services = Services.open(Settings.load(None))
    try:
        item = ingest_pages(services, tmp_path, pages=2)
    finally:
        services.close()
    assert main(["edit", item, "--metadata", str(mods_file(tmp_path / "edits", "A Second Title"))]) == 0
    return tmp_path, item


def test_export_folder_zip_and_tar_validate_with_bagit(cli_repo: tuple[Path, str]) -> None:
    tmp_path, item = cli_repo
    assert main(["export", item, str(tmp_path / "folder")]) == 0
    assert bagit.Bag(str(tmp_path / "folder")).info["Title"] == "A Second Title"

    assert main(["export", item, str(tmp_path / "out.zip"), "--zip", "--version", "1"]) == 0
    with zipfile.ZipFile(tmp_path / "out.zip") as zf:
        zf.extractall(tmp_path / "unzipped")
    bag = bagit.Bag(str(tmp_path / "unzipped" / f"{item}-v1"))
    bag.validate()
    assert bag.info["Title"] == "Notes by the Translator"

    assert main(["export", item, str(tmp_path / "out.tar"), "--tar", "--version", "v2"]) == 0
    with tarfile.open(tmp_path / "out.tar") as tf:
        tf.extractall(tmp_path / "untarred", filter="data")
    bag = bagit.Bag(str(tmp_path / "untarred" / f"{item}-v2"))
    bag.validate()
    assert sorted(bag.payload_files()) == ["data/p1.tif", "data/p2.tif"]


def test_export_refuses_unknown_versions_and_existing_targets(
    cli_repo: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    tmp_path, item = cli_repo
    assert main(["export", item, str(tmp_path / "x"), "--version", "7"]) == 2
    assert "has no version 7" in capsys.readouterr().err
    (tmp_path / "taken.zip").write_text("mine")
    assert main(["export", item, str(tmp_path / "taken.zip"), "--zip"]) == 2
    assert (tmp_path / "taken.zip").read_text() == "mine"


def test_history_command_lists_versions(cli_repo: tuple[Path, str], capsys: pytest.CaptureFixture[str]) -> None:
    _, item = cli_repo
    capsys.readouterr()
    assert main(["history", item]) == 0
    out = capsys.readouterr().out
    assert "v1" in out and "v2" in out and "metadata changed: title" in out and "metadata modification" in out


def test_an_export_that_fails_its_fixity_check_leaves_no_folder_or_archive(
    cli_repo: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    tmp_path, item = cli_repo
    (stored,) = [p for p in (tmp_path / "data").rglob("p2.tif") if "/content/" in p.as_posix()]
    stored.write_bytes(b"bit rot")
    (tmp_path / "empty").mkdir()
    for target, options in ((tmp_path / "folder", []), (tmp_path / "empty", []), (tmp_path / "out.zip", ["--zip"])):
        assert main(["export", item, str(target), *options]) != 0
        assert "p2.tif" in capsys.readouterr().err
    assert not (tmp_path / "folder").exists() and not (tmp_path / "out.zip").exists()
    assert list((tmp_path / "empty").iterdir()) == []
    assert not list(tmp_path.glob(".muniment-export-*"))
