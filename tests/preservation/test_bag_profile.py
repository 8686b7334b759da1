"""BagIt Profile checks, with the Beyond the Repository (BTR) profile and small custom ones."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from repo.errors import Problem
from repo.preservation import BagInfo, BuiltBag, build_bag, check_profile, load_profile, validate_bag
from tests.preservation.conftest import FIXTURES, MakeBag, metadata

BTR = load_profile(FIXTURES / "bagit-profiles/btr-bagit-profile.json")
BTR_ID = BTR["BagIt-Profile-Info"]["BagIt-Profile-Identifier"]
SUITE = FIXTURES / "bagit-conformance"


def profile(**rules: Any) -> dict[str, Any]:
    """A minimal profile with the given rules."""
    info = {
        "BagIt-Profile-Identifier": "https://example.org/profile.json",
        "Source-Organization": "x",
        "External-Description": "test",
        "Version": "1",
        "BagIt-Profile-Version": "1.4.0",
    }
    return {"BagIt-Profile-Info": info, "Accept-BagIt-Version": ["1.0"], **rules}


@pytest.fixture
def btr_bag(make_bag: MakeBag) -> BuiltBag:
    return make_bag(1, **{"BagIt-Profile-Identifier": BTR_ID, "Contact-Email": "archive@example.org"})


@pytest.fixture
def custom_bag(make_bag: MakeBag) -> BuiltBag:
    return make_bag(1, **{"BagIt-Profile-Identifier": "https://example.org/profile.json"})


def test_bag_made_for_btr_passes_it(btr_bag: BuiltBag) -> None:
    assert check_profile(btr_bag.path, BTR) == []
    assert validate_bag(btr_bag.path, profile=BTR, serialization="application/zip") == []


def test_missing_required_field_fails_btr(btr_bag: BuiltBag, tmp_path: Path) -> None:
    bag = tmp_path / "bag"
    shutil.copytree(btr_bag.path, bag)
    info = bag / "bag-info.txt"
    info.write_text("".join(line for line in info.read_text().splitlines(True) if not line.startswith("Bagging-Date")))
    assert check_profile(bag, BTR) == [Problem("bag-info.txt", "Bagging-Date is required")]
    problems = validate_bag(bag, profile=BTR)
    assert Problem("bag-info.txt", "Bagging-Date is required") in problems
    assert any("validation failed" in p.reason for p in problems)  # the tag manifest noticed too


def test_profile_identifier_is_always_required(make_bag: MakeBag) -> None:
    problems = check_profile(make_bag(1).path, BTR)
    assert problems == [Problem("bag-info.txt", "BagIt-Profile-Identifier is required by every profile")]
    other = make_bag(1, **{"BagIt-Profile-Identifier": "https://example.org/other.json"})
    assert [p.reason for p in check_profile(other.path, BTR)] == [f"BagIt-Profile-Identifier does not name {BTR_ID}"]


def test_fetch_txt_refused_by_btr(btr_bag: BuiltBag) -> None:
    (btr_bag.path / "fetch.txt").write_text("https://example.org/a 1 data/a\n")
    assert check_profile(btr_bag.path, BTR) == [Problem("fetch.txt", "not allowed by the profile (Allow-Fetch.txt)")]


def test_serialization_rules(btr_bag: BuiltBag) -> None:
    assert check_profile(btr_bag.path, BTR, serialization="application/x-tar") == []  # listed as such
    assert check_profile(btr_bag.path, BTR, serialization="application/gzip") == []
    assert check_profile(btr_bag.path, BTR, serialization="application/x-rar") != []
    required = profile(Serialization="required", **{"Accept-Serialization": ["application/zip"]})
    forbidden = profile(Serialization="forbidden")
    bag = btr_bag.path
    (bag / "bag-info.txt").write_text(
        (bag / "bag-info.txt").read_text().replace(BTR_ID, "https://example.org/profile.json")
    )
    assert [p.reason for p in check_profile(bag, required)] == ["the profile requires a serialized (archived) bag"]
    assert check_profile(bag, required, serialization="application/zip") == []
    assert check_profile(bag, required, serialization="application/x-tar") != []
    assert [p.reason for p in check_profile(bag, forbidden, serialization="application/zip")] == [
        "the profile forbids serialized bags"
    ]


def test_accepted_bagit_versions() -> None:
    old = SUITE / "v0.97/valid/basic-bag"
    problems = check_profile(old, profile())
    assert Problem("bagit.txt", "BagIt-Version 0.97 is not accepted by the profile (1.0)") in problems


def test_manifest_rules(custom_bag: BuiltBag) -> None:
    bag = custom_bag.path
    assert check_profile(bag, profile(**{"Manifests-Required": ["sha512"], "Tag-Manifests-Required": ["sha512"]})) == []
    assert [p.file for p in check_profile(bag, profile(**{"Manifests-Required": ["md5"]}))] == ["manifest-md5.txt"]
    assert [p.file for p in check_profile(bag, profile(**{"Manifests-Allowed": ["md5"]}))] == ["manifest-sha512.txt"]
    assert [p.file for p in check_profile(bag, profile(**{"Tag-Manifests-Required": ["sha256"]}))] == [
        "tagmanifest-sha256.txt"
    ]
    assert [p.file for p in check_profile(bag, profile(**{"Tag-Manifests-Allowed": ["md5"]}))] == [
        "tagmanifest-sha512.txt"
    ]


def test_tag_file_rules(custom_bag: BuiltBag) -> None:
    bag = custom_bag.path
    assert check_profile(bag, profile(**{"Tag-Files-Required": ["metadata/dc.xml"]})) == []
    assert [p.file for p in check_profile(bag, profile(**{"Tag-Files-Required": ["DPN/dpnRegistry"]}))] == [
        "DPN/dpnRegistry"
    ]
    assert check_profile(bag, profile(**{"Tag-Files-Allowed": ["metadata/*"]})) == []
    assert sorted(p.file for p in check_profile(bag, profile(**{"Tag-Files-Allowed": ["metadata/dc.xml"]}))) == [
        "metadata/mods.xml",
        "metadata/premis.xml",
    ]


def test_payload_rules(custom_bag: BuiltBag) -> None:
    bag = custom_bag.path
    assert check_profile(bag, profile(**{"Payload-Files-Required": ["data/p1.tif", "data/sub dir/"]})) == []
    assert [p.file for p in check_profile(bag, profile(**{"Payload-Files-Required": ["data/missing/"]}))] == [
        "data/missing/"
    ]
    assert [p.file for p in check_profile(bag, profile(**{"Payload-Files-Allowed": ["data/*.tif"]}))] == [
        "data/sub dir/p3.jp2"
    ]
    assert [p.reason for p in check_profile(bag, profile(**{"Data-Empty": True}))] == ["must be empty (Data-Empty)"]


def test_bag_info_values_and_repeatable(tmp_path: Path) -> None:
    info = BagInfo(
        source_organization="Muniment Test Archive",
        bagging_date=date(2024, 5, 17),
        extra=(
            ("BagIt-Profile-Identifier", "https://example.org/profile.json"),
            ("Contact-Name", "Ada"),
            ("Contact-Name", "Grace"),
        ),
    )
    bag = build_bag(tmp_path / "bag", payload={}, tags=metadata(1), info=info).path
    rules = {
        "Source-Organization": {"required": True, "values": ["Simon Fraser University"]},
        "Contact-Name": {"repeatable": False},
        "Contact-Phone": {"required": True},
    }
    reasons = sorted(p.reason for p in check_profile(bag, profile(**{"Bag-Info": rules})))
    assert reasons == [
        "Contact-Name must not be repeated",
        "Contact-Phone is required",
        "Source-Organization 'Muniment Test Archive' is not one of ['Simon Fraser University']",
    ]


def test_profile_without_identifier_is_reported(custom_bag: BuiltBag) -> None:
    assert Problem("profile", "BagIt-Profile-Info lacks BagIt-Profile-Identifier") in check_profile(
        custom_bag.path, {"Accept-BagIt-Version": ["1.0"]}
    )
