"""The 0004 layout and the inventory model, without storage."""

from __future__ import annotations

import json

import pytest

from repo.preservation import HashedNTupleLayout, InvalidInventory, StorageRootError, User, Version
from repo.preservation.ocfl_inventory import (
    first_inventory,
    next_version_name,
    parse_inventory,
    parse_sidecar,
    sidecar_bytes,
)

D1, D2 = "a" * 128, "b" * 128


def test_layout_matches_the_extension_examples() -> None:
    layout = HashedNTupleLayout()
    assert layout.object_root("info:fedora/foo/bar") == (
        "70c/b11/831/70cb11831eda669bfa7ccbe0996d3df06186f47a6f3544cabff61b3f79509d73"
    )
    short = HashedNTupleLayout(digest_algorithm="md5", tuple_size=2, number_of_tuples=15, short_object_root=True)
    assert short.object_root("object-01") == "ff/75/53/44/92/48/5e/ab/b3/9f/86/35/67/28/88/4e"
    assert short.object_root("..hor/rib:le-$id") == "08/31/97/66/fb/6c/29/35/dd/17/5b/94/26/77/17/e0"
    flat = HashedNTupleLayout(tuple_size=0, number_of_tuples=0)
    assert "/" not in flat.object_root("object-01")
    assert HashedNTupleLayout.from_config(layout.config()) == layout


@pytest.mark.parametrize(
    "config",
    [
        {"extensionName": "0003-hash-and-id-n-tuple-storage-layout"},
        {"extensionName": HashedNTupleLayout.NAME, "tupleSize": 0, "numberOfTuples": 2},
        {"extensionName": HashedNTupleLayout.NAME, "tupleSize": 32, "numberOfTuples": 3},
        {"extensionName": HashedNTupleLayout.NAME, "digestAlgorithm": "nope"},
    ],
)
def test_bad_layout_configs(config: dict[str, object]) -> None:
    with pytest.raises(StorageRootError):
        HashedNTupleLayout.from_config(config)


def version(state: dict[str, tuple[str, ...]]) -> Version:
    return Version("2024-05-17T10:00:00Z", state, "msg", User("Ada", "mailto:ada@example.org"))


def test_inventory_round_trip_and_next_version() -> None:
    inv = first_inventory("urn:x", version({D1: ("data/a",)}), {D1: "v1/content/data/a"})
    inv2 = inv.with_version(version({D1: ("data/a", "data/a-copy"), D2: ("data/b",)}), {D2: "v2/content/data/b"})
    parsed = parse_inventory(inv2.to_bytes(), "test", expected_id="urn:x")
    assert parsed == inv2
    assert parsed.head == "v2"
    assert parsed.state() == {
        "data/a": ("v1/content/data/a", D1),
        "data/a-copy": ("v1/content/data/a", D1),
        "data/b": ("v2/content/data/b", D2),
    }
    assert parsed.state("v1") == {"data/a": ("v1/content/data/a", D1)}
    doc = json.loads(inv2.to_bytes())
    assert doc["type"] == "https://ocfl.io/1.1/spec/#inventory" and doc["digestAlgorithm"] == "sha512"
    assert next_version_name("v9") == "v10" and next_version_name("v009") == "v010"


def test_sidecar() -> None:
    assert parse_sidecar(sidecar_bytes(D1)) == D1
    with pytest.raises(InvalidInventory):
        parse_sidecar(b"abc other.json\n")


def test_invalid_inventories_list_their_problems() -> None:
    good = json.loads(first_inventory("urn:x", version({D1: ("data/a",)}), {D1: "v1/content/data/a"}).to_bytes())
    bad = {
        **good,
        "head": "v2",
        "manifest": {D1: ["v1/content/../a"], "zz": ["v1/content/b"]},
        "versions": {"v1": {**good["versions"]["v1"], "state": {D2: ["/data/a"]}}},
    }
    with pytest.raises(InvalidInventory) as caught:
        parse_inventory(json.dumps(bad).encode(), "test", expected_id="urn:y")
    details = " | ".join(caught.value.details)
    for expected in (
        "'id' is 'urn:x'",
        "'head' is 'v2'",
        "'..'",
        "not a sha512 digest",
        "not in the manifest",
        "'/data/a'",
    ):
        assert expected in details
    with pytest.raises(InvalidInventory):
        parse_inventory(b"{not json", "test")
