"""Dublin Core elements in an API request: the JSON Schema the document shows, and the same rules
checked here, so that whatever the schema admits the record loader accepts too."""

from __future__ import annotations

import re
from typing import Any

from repo.metadata.dublin_core import ELEMENTS

MAX_VALUES = 100
MAX_CHARS = 10_000
# Characters XML 1.0 can hold (as the record loader checks), and for a title at least one visible one.
_VALUE = "[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\ufffe\\uffff]"
VALUE_PATTERN = f"^{_VALUE}*$"
TITLE_PATTERN = f"^{_VALUE}*[^\\s\\x00-\\x1f\\ufffe\\uffff]{_VALUE}*$"


def _values(pattern: str, min_items: int) -> dict[str, Any]:
    return {
        "type": "array",
        "minItems": min_items,
        "maxItems": MAX_VALUES,
        "items": {"type": "string", "maxLength": MAX_CHARS, "pattern": pattern},
    }


DC_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Dublin Core element (lower case) -> its values; a title is required",
    "propertyNames": {"enum": list(ELEMENTS)},
    "required": ["title"],
    "properties": {"title": _values(TITLE_PATTERN, 1)},
    "additionalProperties": _values(VALUE_PATTERN, 0),
}
_VALUE_RE = re.compile(VALUE_PATTERN.removeprefix("^").removesuffix("$"))
_TITLE_RE = re.compile(TITLE_PATTERN.removeprefix("^").removesuffix("$"))


def check_dc(dc: dict[str, list[str]]) -> dict[str, list[str]]:
    unknown = sorted(set(dc) - set(ELEMENTS))
    if unknown:
        raise ValueError(
            f"not Dublin Core elements: {', '.join(unknown)} (use lower-case names: {', '.join(ELEMENTS)})"
        )
    if not dc.get("title"):
        raise ValueError("a title is required")
    for name, values in dc.items():
        pattern = _TITLE_RE if name == "title" else _VALUE_RE
        if len(values) > MAX_VALUES:
            raise ValueError(f"{name}: at most {MAX_VALUES} values")
        for value in values:
            if len(value) > MAX_CHARS or not pattern.fullmatch(value):
                raise ValueError(f"{name}: a value is too long, blank (a title), or holds characters XML cannot")
    return dc
