"""Bag archives whose members use '../', absolute paths, links pointing outside or device files,
and archives that expand beyond the size limit or more than 100:1: the job fails naming each
member and why; nothing is written outside staging (the canary folder sees no new file), nothing
stored, and the staging folder is gone."""

from __future__ import annotations

import io
import os
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.api.helpers import make_bag
from tests.hostile.conftest import ARCHIVE_LIMIT, Hostile
from tests.hostile.many_members import refusal_cost, write_many_member_tar_gz


def _zip(members: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name), data, compress_type=compression)
    return buffer.getvalue()


def _tar(bag: Path, extra: list[tarfile.TarInfo]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tf:
        tf.add(bag, arcname="bag")
        for info in extra:
            tf.addfile(info)
    return buffer.getvalue()


def _link(name: str, target: str, kind: bytes) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info


def test_members_with_dot_dot_and_absolute_paths(hostile: Hostile, tmp_path: Path) -> None:
    outside = hostile.outside.folder
    escape = os.path.relpath(outside / "escaped.txt", hostile.repo.services.settings.staging_path / "api" / "x")
    archive = _zip(
        {
            "bag/bagit.txt": b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n",
            "bag/../../../../../../../../" + escape.lstrip("./"): b"pwned",
            "../escaped.txt": b"pwned",
            str(outside / "absolute.txt"): b"pwned",
        }
    )
    problems = hostile.problems(hostile.upload(archive))
    assert "'..' segment leads outside the bag" in problems
    assert f"{outside / 'absolute.txt'}: absolute path" in problems, problems


def test_links_pointing_outside_and_device_files(hostile: Hostile, tmp_path: Path) -> None:
    bag = make_bag(tmp_path / "bag", "MS-20")
    secret = str(hostile.outside.secret)
    archive = _tar(
        bag,
        [
            _link("bag/data/p2.tif", secret, tarfile.SYMTYPE),
            _link("bag/data/p3.tif", "../../../../../../../.." + secret, tarfile.SYMTYPE),
            _link("bag/data/p4.tif", secret, tarfile.LNKTYPE),
            _link("bag/data/null", "", tarfile.CHRTYPE),
            _link("bag/data/fifo", "", tarfile.FIFOTYPE),
        ],
    )
    problems = hostile.problems(hostile.upload(archive, "application/x-tar"))
    assert f"bag/data/p2.tif: symbolic link to '{secret}' pointing outside the archive" in problems, problems
    assert "bag/data/p3.tif: symbolic link to" in problems
    assert "bag/data/p4.tif: hard link to" in problems
    assert "bag/data/null: device or FIFO file" in problems and "bag/data/fifo: device or FIFO file" in problems


def test_an_archive_that_expands_beyond_the_limit(hostile: Hostile) -> None:
    noise = os.urandom(ARCHIVE_LIMIT + 1024)  # incompressible: the ratio stays about 1:1
    problems = hostile.problems(hostile.upload(_zip({"bag/data/big.bin": noise}, compression=zipfile.ZIP_STORED)))
    assert f"expands beyond {ARCHIVE_LIMIT} bytes" in problems, problems


@pytest.mark.parametrize("lie", [False, True])
def test_an_archive_that_expands_more_than_100_to_1(hostile: Hostile, lie: bool) -> None:
    bomb = _zip({"bag/data/zeros.bin": b"\0" * (2 * 1024 * 1024)})
    if lie:  # the headers claim a tiny file: sizes are counted from what is written, not believed
        bomb = bomb.replace((2 * 1024 * 1024).to_bytes(4, "little"), (10).to_bytes(4, "little"))
    assert len(bomb) * 100 < 2 * 1024 * 1024
    problems = hostile.problems(hostile.upload(bomb))
    assert "expands more than 100:1" in problems or "damaged zip" in problems, problems
    if not lie:
        assert "expands more than 100:1" in problems


def test_a_file_that_is_no_archive(hostile: Hostile) -> None:
    problems = hostile.problems(hostile.upload(b"this is not an archive at all", "application/octet-stream"))
    assert "not a readable zip, tar or tar.gz archive" in problems, problems


def test_a_file_and_a_folder_of_the_same_name_names_the_member(hostile: Hostile, tmp_path: Path) -> None:
    bag = make_bag(tmp_path / "bag", "MS-21")
    inside = tarfile.TarInfo("bag/data/x/y")
    archive = _tar(bag, [tarfile.TarInfo("bag/data/x"), inside])
    problems = hostile.problems(hostile.upload(archive, "application/x-tar"))
    assert "bag/data/x/y: lies inside bag/data/x, a file earlier in the archive" in problems, problems
    assert "File exists" not in problems and hostile.staging_is_empty()


def test_many_members_are_refused_at_the_cap_before_memory_grows(tmp_path: Path) -> None:
    # 300,000 members (bench/archive.py measures 1,000,000 at the default cap): listing them all
    # first, as extraction once did, peaks about 140 MB over the floor; a cap of 20,000 keeps this quick.
    archive = write_many_member_tar_gz(tmp_path / "many.tar.gz", 300_000)
    floor, _ = refusal_cost(archive, tmp_path / "staging", "none")
    peak, message = refusal_cost(archive, tmp_path / "staging", "extract", max_files=20_000)
    assert message == "archive many.tar.gz refused: .: more than 20000 members: at most 20000 allowed"
    assert peak - floor < 24, f"refusing took {peak:.0f} MB at peak, {floor:.0f} MB without it"
    assert not (tmp_path / "staging").exists()
