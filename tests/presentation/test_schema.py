"""The schema check itself works: the validator's good fixtures pass and its bad ones fail."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.presentation.schema_check import BAD_FIXTURES, FIXTURES, schema_errors

ALL = sorted(FIXTURES.glob("*.json"))
GOOD = [p for p in ALL if not p.name.startswith(BAD_FIXTURES)]
BAD = [p for p in ALL if p.name.startswith(BAD_FIXTURES)]


def test_fixtures_are_there() -> None:
    assert len(GOOD) >= 20 and len(BAD) >= 8


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.stem)
def test_good_fixture_passes(path: Path) -> None:
    assert schema_errors(json.loads(path.read_text())) == []


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_bad_fixture_fails(path: Path) -> None:
    assert schema_errors(json.loads(path.read_text())) != []
