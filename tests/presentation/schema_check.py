"""The official IIIF Presentation 3 JSON Schema as a validator (Draft 7, with format checks)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator

SCHEMA_DIR = Path(__file__).parent / "schema"
FIXTURES = SCHEMA_DIR / "fixtures"
# The invalid fixtures, as the validator's own tests (tests/test_validator.py) list them: broken_*,
# non_cc_license, old_format_label, rights_lang_issues and collection_of_canvases. old_cc_license
# is valid there (an older CC licence version is only a warning), so it is valid here too.
BAD_FIXTURES = ("broken_", "non_cc_license", "old_format_label", "rights_lang_issues", "collection_of_canvases")


@cache
def validator() -> Draft7Validator:
    schema = json.loads((SCHEMA_DIR / "iiif_3_0.json").read_text())
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)


def schema_errors(document: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"[:300] for e in validator().iter_errors(document)]


def assert_valid(document: Any) -> None:
    errors = schema_errors(document)
    assert not errors, "\n".join(errors[:10])
