"""MODS or DC with an external entity, an external DTD, billion laughs, or a huge text node: a
validation error naming the problem, whether the record comes in a bag or through the API; the
file the entity names is never opened, the DTD's URL never fetched, nothing stored."""

from __future__ import annotations

import random
import string
from pathlib import Path

import pytest

from repo.auth import Role
from tests.api.helpers import ingest_item, make_bag, zip_folder
from tests.hostile.conftest import Hostile

MODS_OPEN = '<mods xmlns="http://www.loc.gov/mods/v3" version="3.8"><titleInfo><title>'
MODS_CLOSE = "</title></titleInfo></mods>"
DC_OPEN = '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>'
DC_CLOSE = "</dc:title></metadata>"


def hostile_records(h: Hostile) -> dict[str, tuple[str, str]]:
    """name -> (prolog, title text): each makes a whole record with MODS_* or DC_*."""
    laughs = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">' for n in range(1, 10)
    )
    return {
        "external-entity": (f'<!DOCTYPE mods [<!ENTITY x SYSTEM "file://{h.outside.secret}">]>', "&x;"),
        "external-entity-http": (f'<!DOCTYPE mods [<!ENTITY x SYSTEM "{h.http.url}/x">]>', "&x;"),
        "external-dtd": (f'<!DOCTYPE mods SYSTEM "file://{h.outside.folder / "evil.dtd"}">', "t"),
        "external-dtd-http": (f'<!DOCTYPE mods SYSTEM "{h.http.url}/evil.dtd">', "t"),
        "billion-laughs": (f"<!DOCTYPE mods [{laughs}]>", "&lol9;"),
        # Letters at random: a run of one letter would be refused as a zip bomb before it is read.
        "huge-text-node": ("", "".join(random.Random(7).choices(string.ascii_letters, k=1024 * 1024 + 1))),
    }


REASONS = {"huge-text-node": "text node longer than the limit"}
DOCTYPE = "DOCTYPE declaration; DTDs and entities are not accepted"
CASES = [
    "external-entity",
    "external-entity-http",
    "external-dtd",
    "external-dtd-http",
    "billion-laughs",
    "huge-text-node",
]


@pytest.mark.parametrize("case", CASES)
def test_hostile_mods_through_the_api_is_refused(hostile: Hostile, tmp_path: Path, case: str) -> None:
    ingest_item(hostile.repo.services, tmp_path / "scans", "MS-1")
    hostile.mark()
    prolog, title = hostile_records(hostile)[case]
    record = f'<?xml version="1.0"?>{prolog}{MODS_OPEN}{title}{MODS_CLOSE}'
    answer = hostile.repo.client.put(
        "/api/v1/items/MS-1/metadata", json={"mods": record}, headers=hostile.repo.auth(Role.CURATOR)
    )
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["message"] == "the metadata record is not valid"
    assert REASONS.get(case, DOCTYPE) in " ".join(error["details"])
    assert hostile.repo.client.get("/api/v1/items/MS-1").json()["version"] == 1


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("kind", ["mods", "dc"])
def test_hostile_records_in_a_bag_are_refused(hostile: Hostile, tmp_path: Path, case: str, kind: str) -> None:
    prolog, title = hostile_records(hostile)[case]
    body = f"{MODS_OPEN}{title}{MODS_CLOSE}" if kind == "mods" else f"{DC_OPEN}{title}{DC_CLOSE}"
    bag = make_bag(tmp_path / "bag", "MS-2", mods=f'<?xml version="1.0"?>{prolog}{body}'.encode())
    if kind == "dc":  # the bag's only record is dc.xml (manifests rebuilt by making the bag again)
        record = (bag / "metadata" / "mods.xml").read_bytes()
        bag = _bag_with_dc(tmp_path / "dc-bag", record)
    job = hostile.upload(zip_folder(bag, tmp_path / "bag.zip"))
    problems = hostile.problems(job)
    assert f"{kind}.xml:" in problems and REASONS.get(case, DOCTYPE) in problems, problems


def _bag_with_dc(dest: Path, record: bytes) -> Path:
    from datetime import date

    from repo.preservation.bag import BagInfo, build_bag
    from tests.ingest.conftest import write_page

    page = write_page(dest.parent / "dc-p1.tif", 64, 48)
    info = BagInfo("Test Library", date(2024, 1, 1), external_identifier="MS-3", bag_group_identifier="letters")
    build_bag(dest, payload={"p1.tif": page}, tags={"metadata/dc.xml": record}, info=info)
    return dest
