"""Building bags: complete bags that bagit-python validates fully, and tag-only new versions."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import bagit
import pytest

from repo.preservation import BagBuildError, BagEntry, build_bag, load_bag, rebuild_tags, validate_bag
from tests.preservation.conftest import MakeBag, bag_info, metadata


def sha512(path: Path) -> str:
    return hashlib.sha512(path.read_bytes()).hexdigest()


def test_built_bag_is_valid_and_described(make_bag: MakeBag, scans: dict[str, Path]) -> None:
    built = make_bag(1)
    bag = bagit.Bag(str(built.path))
    bag.validate()  # full: structure, completeness, Payload-Oxum, every checksum
    assert validate_bag(built.path) == []
    assert bag.version_info == (1, 0)
    assert bag.algorithms == ["sha512"]
    assert sorted(os.listdir(built.path)) == [
        "bag-info.txt",
        "bagit.txt",
        "data",
        "manifest-sha512.txt",
        "metadata",
        "tagmanifest-sha512.txt",
    ]
    assert (built.path / "bagit.txt").read_bytes() == b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
    info = bag.info
    total = sum(p.stat().st_size for p in scans.values())
    assert info["Payload-Oxum"] == f"{total}.{len(scans)}" == built.payload_oxum
    assert info["Source-Organization"] == "Muniment Test Archive"
    assert info["Bagging-Date"] == "2024-05-17"
    assert info["External-Identifier"] == "urn:muniment:item:0001"
    assert info["Bag-Group-Identifier"] == "urn:muniment:collection:letters"
    assert info["Bag-Size"].endswith("KB")
    for entry in built.payload:
        assert entry.sha512 == sha512(built.path / entry.path)
        assert entry.size == (built.path / entry.path).stat().st_size
    assert {e.path for e in built.payload} == {f"data/{name}" for name in scans}
    assert {e.path for e in built.tags} == {
        "bagit.txt",
        "bag-info.txt",
        "manifest-sha512.txt",
        "tagmanifest-sha512.txt",
        "metadata/dc.xml",
        "metadata/mods.xml",
        "metadata/premis.xml",
    }
    tagmanifest = (built.path / "tagmanifest-sha512.txt").read_text()
    for covered in (
        "bagit.txt",
        "bag-info.txt",
        "manifest-sha512.txt",
        "metadata/dc.xml",
        "metadata/premis.xml",
    ):
        assert f"  {covered}\n" in tagmanifest


def test_extra_fields_and_folded_values(tmp_path: Path, scans: dict[str, Path]) -> None:
    built = build_bag(
        tmp_path / "bag",
        payload=scans,
        tags=metadata(1),
        info=bag_info(**{"Contact-Name": "Ada", "Internal-Sender-Description": "line one\nline two"}),
    )
    bag = bagit.Bag(str(built.path))
    bag.validate()
    assert bag.info["Contact-Name"] == "Ada"
    assert "line one" in bag.info["Internal-Sender-Description"]
    assert "line two" in bag.info["Internal-Sender-Description"]


def test_hard_link_mode_gives_the_same_bag(tmp_path: Path, scans: dict[str, Path]) -> None:
    built = build_bag(tmp_path / "linked", payload=scans, tags=metadata(1), info=bag_info(), link=True)
    bagit.Bag(str(built.path)).validate()
    assert (built.path / "data/p1.tif").stat().st_ino == scans["p1.tif"].stat().st_ino


@pytest.mark.parametrize(
    "name", ["../escape.tif", "/abs.tif", "a\\b.tif", "line\nbreak.tif", "100%.tif", "a//b.tif", "./p.tif"]
)
def test_unsafe_payload_names_are_refused(tmp_path: Path, scans: dict[str, Path], name: str) -> None:
    with pytest.raises(BagBuildError):
        build_bag(tmp_path / "bag", payload={name: scans["p1.tif"]}, tags={}, info=bag_info())


@pytest.mark.parametrize("name", ["bagit.txt", "manifest-md5.txt", "data/x.xml", "fetch.txt", "../x.xml"])
def test_reserved_or_unsafe_tag_names_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(BagBuildError):
        build_bag(tmp_path / "bag", payload={}, tags={name: b"x"}, info=bag_info())


def test_computed_fields_cannot_be_overridden(tmp_path: Path) -> None:
    with pytest.raises(BagBuildError):
        build_bag(tmp_path / "bag", payload={}, tags={}, info=bag_info(**{"Payload-Oxum": "1.1"}))


def test_destination_must_be_empty(tmp_path: Path) -> None:
    (tmp_path / "bag").mkdir()
    (tmp_path / "bag" / "leftover").write_text("x")
    with pytest.raises(BagBuildError):
        build_bag(tmp_path / "bag", payload={}, tags={}, info=bag_info())


def test_rebuild_tags_reuses_the_payload_manifest(make_bag: MakeBag, tmp_path: Path) -> None:
    v1 = make_bag(1)
    v2 = rebuild_tags(tmp_path / "v2", payload=v1.payload, tags=metadata(2), info=bag_info())
    assert not any((tmp_path / "v2" / "data").iterdir())  # no payload touched or copied
    assert (v2.path / "manifest-sha512.txt").read_bytes() == (v1.path / "manifest-sha512.txt").read_bytes()
    assert v2.payload_oxum == v1.payload_oxum
    assert (v2.path / "metadata/dc.xml").read_bytes() == metadata(2)["metadata/dc.xml"]
    # Put the payload back and the result is a complete, valid bag.
    for entry in v1.payload:
        target = v2.path / entry.path
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(v1.path / entry.path, target)
    bagit.Bag(str(v2.path)).validate()


def test_rebuild_tags_needs_sizes(tmp_path: Path) -> None:
    with pytest.raises(BagBuildError):
        rebuild_tags(tmp_path / "b", payload=[BagEntry("data/a", None, "0" * 128)], tags={}, info=bag_info())


def test_load_bag_reads_manifests(make_bag: MakeBag, tmp_path: Path) -> None:
    built = make_bag(1)
    loaded = load_bag(built.path)
    assert loaded.payload == built.payload
    assert {(e.path, e.sha512) for e in loaded.tags} == {(e.path, e.sha512) for e in built.tags}
    holey = rebuild_tags(tmp_path / "v2", payload=built.payload, tags=metadata(2), info=bag_info())
    loaded = load_bag(holey.path)
    assert all(e.size is None for e in loaded.payload)
    assert {e.sha512 for e in loaded.payload} == {e.sha512 for e in built.payload}


def test_load_bag_refuses_payload_missing_from_the_manifest(make_bag: MakeBag) -> None:
    built = make_bag(1)
    (built.path / "data/.DS_Store").write_bytes(b"junk")
    with pytest.raises(BagBuildError):
        load_bag(built.path)
