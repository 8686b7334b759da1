"""Bag validation against the Library of Congress conformance suite, and our own stricter checks."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from repo.errors import Problem
from repo.preservation import BuiltBag, validate_bag
from tests.preservation.conftest import FIXTURES, MakeBag

SUITE = FIXTURES / "bagit-conformance"
VALID = sorted(p for p in (SUITE / "v1.0/valid").iterdir()) + sorted((SUITE / "v0.97/valid").iterdir())
# 0.97's "linux-only" and "windows-only" bags are out-of-scope paths; we refuse both kinds everywhere.
INVALID = [
    p
    for group in ("v1.0/invalid", "v0.97/invalid", "v0.97/linux-only", "v0.97/windows-only")
    for p in sorted((SUITE / group).iterdir())
]
HOLEY_HOST = "localhost"  # v0.97/valid/holey-bag fetches from http://localhost:8989/...


def ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(SUITE)) for p in paths]


@pytest.mark.parametrize("bag", VALID, ids=ids(VALID))
def test_every_valid_bag_passes(bag: Path) -> None:
    assert validate_bag(bag, fetch_allowlist=[HOLEY_HOST]) == []


@pytest.mark.parametrize("bag", INVALID, ids=ids(INVALID))
def test_every_invalid_bag_fails(bag: Path) -> None:
    assert validate_bag(bag, fetch_allowlist=[HOLEY_HOST]) != []


def test_invalid_whitespace_in_bagit_txt_is_named() -> None:
    """The one case bagit-python 1.9 accepts."""
    problems = validate_bag(SUITE / "v1.0/invalid/bagit-with-invalid-whitespace")
    assert [p.file for p in problems] == ["bagit.txt"]


def test_fetch_txt_needs_an_allowed_host() -> None:
    holey = SUITE / "v0.97/valid/holey-bag"
    assert validate_bag(holey) == [Problem("fetch.txt", "fetch.txt is not accepted (no fetch host is allowed)")]
    problems = validate_bag(holey, fetch_allowlist=["example.org"])
    assert problems and all("not in the fetch allowlist" in p.reason for p in problems)


def copy_bag(built: BuiltBag, tmp_path: Path) -> Path:
    dest = tmp_path / "incoming"
    shutil.copytree(built.path, dest)
    return dest


def test_symlink_out_of_the_bag_is_refused_without_reading_it(make_bag: MakeBag, tmp_path: Path) -> None:
    bag = copy_bag(make_bag(1), tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text("outside")
    (bag / "data/p2.tif").unlink()
    (bag / "data/p2.tif").symlink_to(secret)
    problems = validate_bag(bag)
    assert any(p.file == "data/p2.tif" and "symbolic link" in p.reason for p in problems)


def test_fifo_in_the_bag_is_refused(make_bag: MakeBag, tmp_path: Path) -> None:
    bag = copy_bag(make_bag(1), tmp_path)
    os.mkfifo(bag / "data" / "pipe")
    problems = validate_bag(bag)  # would hang if anything tried to read it
    assert any(p.file == "data/pipe" and "FIFO" in p.reason for p in problems)


def test_manifest_paths_outside_data_or_the_bag(make_bag: MakeBag, tmp_path: Path) -> None:
    bag = copy_bag(make_bag(1), tmp_path)
    manifest = bag / "manifest-sha512.txt"
    digest = "0" * 128
    manifest.write_text(
        manifest.read_text()
        + f"{digest}  ../../etc/passwd\n{digest}  /etc/passwd\n{digest}  metadata/dc.xml\n"
        + f"lonely-token\n{digest[:9]}  data/short\n"
    )
    reasons = [p.reason for p in validate_bag(bag) if p.file == "manifest-sha512.txt"]
    assert any("'..'" in r for r in reasons)
    assert any("absolute" in r for r in reasons)
    assert any("not under data/" in r for r in reasons)
    assert any("not 'checksum filepath'" in r for r in reasons)
    assert any("is not a sha512 hex digest" in r for r in reasons)


def test_every_payload_manifest_must_list_every_file(make_bag: MakeBag, tmp_path: Path) -> None:
    """bagit-python only compares the union of all manifests with the payload."""
    bag = copy_bag(make_bag(1), tmp_path)
    (bag / "manifest-md5.txt").write_text("")  # a second payload manifest listing nothing
    problems = validate_bag(bag)
    assert any(p.file == "manifest-md5.txt" and "does not list" in p.reason for p in problems)


def test_corrupted_scan_and_extra_file(make_bag: MakeBag, tmp_path: Path) -> None:
    bag = copy_bag(make_bag(1), tmp_path)
    with (bag / "data/p1.tif").open("r+b") as scan:
        scan.write(b"\x00\x01")  # same size: only the checksum can tell
    problems = validate_bag(bag)
    assert [p.file for p in problems] == ["data/p1.tif"]
    (bag / "data/stray.txt").write_text("x")
    assert any(p.file == "bag-info.txt" and "Payload-Oxum" in p.reason for p in validate_bag(bag))


def test_not_a_folder(tmp_path: Path) -> None:
    assert validate_bag(tmp_path / "nothing") == [Problem(".", "not a folder")]


def test_files_not_in_the_manifest_and_missing_files_are_named_beside_payload_oxum(
    make_bag: MakeBag, tmp_path: Path
) -> None:
    bag = copy_bag(make_bag(2), tmp_path)
    (bag / "data/nsqd.dat").write_bytes(b"not listed anywhere")
    (bag / "data/p2.tif").unlink()
    problems = validate_bag(bag)
    assert Problem("data/nsqd.dat", "is not in manifest-sha512.txt") in problems
    assert Problem("data/p2.tif", "is missing (listed in manifest-sha512.txt)") in problems
    # Payload-Oxum is wrong too and is said once; nothing else is reported about those two files
    assert [p.file for p in problems].count("data/nsqd.dat") == 1
    assert [p.file for p in problems].count("data/p2.tif") == 1
    assert any("Payload-Oxum" in p.reason for p in problems)


def test_a_missing_file_in_a_subfolder_is_named_when_payload_oxum_agrees(make_bag: MakeBag, tmp_path: Path) -> None:
    bag = copy_bag(make_bag(1), tmp_path)
    manifest = bag / "manifest-sha512.txt"
    manifest.write_text(manifest.read_text() + "0" * 128 + "  data/netutil/listen.go\n")
    assert Problem("data/netutil/listen.go", "is missing (listed in manifest-sha512.txt)") in validate_bag(bag)
