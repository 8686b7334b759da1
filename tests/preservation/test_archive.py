"""Safe extraction of uploaded bag archives: good ones extract, hostile ones are refused whole."""

from __future__ import annotations

import io
import stat
import tarfile
import zipfile
from pathlib import Path
from typing import Literal

import pytest

from repo.preservation import ArchiveLimits, BuiltBag, UnsafeArchive, extract_archive, validate_bag
from tests.preservation.conftest import MakeBag

LIMITS = ArchiveLimits(max_bytes=50 * 1024 * 1024)


def zip_bag(bag: BuiltBag, archive: Path) -> Path:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(bag.path.rglob("*")):
            zf.write(path, f"item/{path.relative_to(bag.path).as_posix()}")
    return archive


def tar_bag(bag: BuiltBag, archive: Path, mode: Literal["w", "w:gz"]) -> Path:
    with tarfile.open(archive, mode) as tf:
        tf.add(bag.path, arcname="item")
    return archive


def tar_with(archive: Path, *members: tuple[tarfile.TarInfo, bytes | None]) -> Path:
    with tarfile.open(archive, "w") as tf:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tf.addfile(info, io.BytesIO(data) if data is not None else None)
    return archive


def member(name: str, kind: bytes = tarfile.REGTYPE, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info


def refused(archive: Path, dest: Path, limits: ArchiveLimits = LIMITS) -> list[tuple[str, str]]:
    with pytest.raises(UnsafeArchive) as caught:
        extract_archive(archive, dest, limits)
    assert not dest.exists()  # nothing is left behind
    return [(p.file, p.reason) for p in caught.value.problems]


@pytest.mark.parametrize(
    ("kind", "media_type"),
    [("zip", "application/zip"), ("w", "application/x-tar"), ("w:gz", "application/gzip")],
)
def test_good_archives_extract_to_a_valid_bag(make_bag: MakeBag, tmp_path: Path, kind: str, media_type: str) -> None:
    bag = make_bag(1)
    archive = tmp_path / "upload"
    if kind == "zip":
        zip_bag(bag, archive)
    else:
        tar_bag(bag, archive, "w" if kind == "w" else "w:gz")
    extracted = extract_archive(archive, tmp_path / "staging", LIMITS)
    assert extracted.media_type == media_type
    assert extracted.bag_dir == tmp_path / "staging" / "item"
    assert extracted.files == len(bag.files)
    assert extracted.bytes == sum(e.size or 0 for e in bag.files)
    assert validate_bag(extracted.bag_dir) == []


def test_zip_slip_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "slip.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("item/bagit.txt", "BagIt-Version: 1.0\n")
        zf.writestr("item/../../evil.sh", "rm -rf /")
    assert refused(archive, tmp_path / "staging") == [("item/../../evil.sh", "'..' segment leads outside the bag")]
    assert not (tmp_path / "evil.sh").exists()


def test_absolute_paths_are_refused(tmp_path: Path) -> None:
    archive = tmp_path / "abs.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("/etc/cron.d/evil", "x")
        zf.writestr("C:\\Windows\\evil.exe", "x")
    reasons = [reason for _, reason in refused(archive, tmp_path / "staging")]
    assert reasons == ["absolute path", "absolute Windows path"]
    tarred = tar_with(tmp_path / "abs.tar", (member("/tmp/evil"), b"x"))
    assert refused(tarred, tmp_path / "staging") == [("/tmp/evil", "absolute path")]


def test_symlinks_are_refused(tmp_path: Path) -> None:
    archive = tar_with(
        tmp_path / "links.tar",
        (member("item/data/p1.tif"), b"scan"),
        (member("item/data/out", tarfile.SYMTYPE, "../../../etc/passwd"), None),
        (member("item/data/abs", tarfile.SYMTYPE, "/etc/passwd"), None),
        (member("item/data/in", tarfile.SYMTYPE, "p1.tif"), None),
    )
    problems = dict(refused(archive, tmp_path / "staging"))
    assert problems["item/data/out"].endswith("pointing outside the archive")
    assert problems["item/data/abs"].endswith("pointing outside the archive")
    assert problems["item/data/in"].endswith("not allowed in a bag")


def test_zip_symlink_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "link.zip"
    link = zipfile.ZipInfo("item/data/link")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(link, "/etc/passwd")
    assert refused(archive, tmp_path / "staging")[0][0] == "item/data/link"


def test_hard_links_outside_are_refused_inside_are_copied(tmp_path: Path) -> None:
    outside = tar_with(
        tmp_path / "hard.tar",
        (member("item/data/a"), b"a"),
        (member("item/data/b", tarfile.LNKTYPE, "/etc/passwd"), None),
        (member("item/data/c", tarfile.LNKTYPE, "item/data/later"), None),
    )
    problems = dict(refused(outside, tmp_path / "staging"))
    assert set(problems) == {"item/data/b", "item/data/c"}
    inside = tar_with(
        tmp_path / "ok.tar",
        (member("item/data/a"), b"same bytes"),
        (member("item/data/b", tarfile.LNKTYPE, "item/data/a"), None),
    )
    extracted = extract_archive(inside, tmp_path / "ok", LIMITS)
    a, b = extracted.bag_dir / "data/a", extracted.bag_dir / "data/b"
    assert b.read_bytes() == b"same bytes" and a.stat().st_ino != b.stat().st_ino


@pytest.mark.parametrize("kind", [tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.FIFOTYPE])
def test_device_and_fifo_members_are_refused(tmp_path: Path, kind: bytes) -> None:
    archive = tar_with(
        tmp_path / "dev.tar", (member("item/data/p1.tif"), b"scan"), (member("item/data/dev", kind), None)
    )
    assert refused(archive, tmp_path / "staging") == [("item/data/dev", "device or FIFO file")]


def test_zip_bomb_ratio_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("item/data/zeros", b"\0" * (8 * 1024 * 1024))  # ~8 KB compressed: 1000:1
    assert archive.stat().st_size < 50_000
    assert refused(archive, tmp_path / "staging") == [(".", "expands more than 100:1")]


def test_gzip_bomb_ratio_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "bomb.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        info = tarfile.TarInfo("item/data/zeros")
        info.size = 8 * 1024 * 1024
        tf.addfile(info, io.BytesIO(b"\0" * info.size))
    assert refused(archive, tmp_path / "staging") == [(".", "expands more than 100:1")]


def test_size_and_count_limits(make_bag: MakeBag, tmp_path: Path) -> None:
    archive = zip_bag(make_bag(1), tmp_path / "bag.zip")
    small = ArchiveLimits(max_bytes=10_000)
    assert refused(archive, tmp_path / "staging", small) == [(".", "expands beyond 10000 bytes")]
    few = ArchiveLimits(max_bytes=10**9, max_files=3)
    assert refused(archive, tmp_path / "staging", few)[0][1].endswith("at most 3 allowed")


def test_duplicate_members_are_refused(tmp_path: Path) -> None:
    archive = tar_with(tmp_path / "dup.tar", (member("item/data/a"), b"one"), (member("item/data/a"), b"two"))
    assert refused(archive, tmp_path / "staging") == [("item/data/a", "appears twice in the archive")]


def test_not_an_archive(tmp_path: Path) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"this is not an archive at all" * 100)
    assert refused(junk, tmp_path / "staging")[0][0] == "."


def test_destination_must_not_exist(make_bag: MakeBag, tmp_path: Path) -> None:
    archive = zip_bag(make_bag(1), tmp_path / "bag.zip")
    (tmp_path / "staging").mkdir()
    with pytest.raises(FileExistsError):
        extract_archive(archive, tmp_path / "staging", LIMITS)


@pytest.mark.parametrize("order", ["file first", "folder first"])
def test_a_name_used_as_file_and_folder_is_refused_naming_the_member(tmp_path: Path, order: str) -> None:
    file, inner = (member("item/data/x"), b"scan"), (member("item/data/x/y"), b"page")
    archive = tar_with(tmp_path / "both.tar", *((file, inner) if order == "file first" else (inner, file)))
    expected = (
        ("item/data/x/y", "lies inside item/data/x, a file earlier in the archive")
        if order == "file first"
        else ("item/data/x", "is a file here, but earlier members lie inside it as a folder")
    )
    assert refused(archive, tmp_path / "staging") == [expected]


def test_a_zip_stating_fewer_members_than_it_holds_is_counted(tmp_path: Path) -> None:
    archive = tmp_path / "many.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for index in range(50):
            zf.writestr(f"item/data/f{index}", b"")
    data = bytearray(archive.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    data[end + 8 : end + 12] = (3).to_bytes(2, "little") * 2  # the end record claims 3 entries
    archive.write_bytes(bytes(data))
    few = ArchiveLimits(max_bytes=10**9, max_files=10)
    assert refused(archive, tmp_path / "staging", few) == [(".", "more than 10 members: at most 10 allowed")]


def test_declared_sizes_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    big = member("item/data/big")
    big.size = 10**12  # the header's claim; the bytes never come
    archive = tmp_path / "claims.tar"
    archive.write_bytes(member("item/bagit.txt").tobuf() + big.tobuf() + bytes(1024))
    assert refused(archive, tmp_path / "staging") == [(".", f"expands beyond {LIMITS.max_bytes} bytes")]


def test_a_huge_extended_header_is_refused_before_it_is_read(tmp_path: Path) -> None:
    archive = tmp_path / "pax.tar"
    with tarfile.open(archive, "w", format=tarfile.PAX_FORMAT) as tf:
        info = member("item/data/p1.tif")
        info.pax_headers = {"comment": "x" * (2 * 1024 * 1024)}
        tf.addfile(info, io.BytesIO(b""))
    problems = refused(archive, tmp_path / "staging")
    assert len(problems) == 1 and problems[0][1].startswith("an extended tar header of 2097"), problems
