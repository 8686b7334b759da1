"""Years out of the date strings archives actually write, for date facets and sorting.

Archival dates are rarely clean: ``c1999`` (copyright), ``[1890?]`` (supplied, uncertain),
``ca. 1890``, ``1850-1860``, ``189-`` or ``189u`` (MARC: decade known), ``1890s``,
``19th century``, W3CDTF/ISO 8601 ``1955-03-22``, EDTF intervals ``1850/1860``. We only
need the years a date covers, inclusive; anything we cannot read gives ``None``.
"""

from __future__ import annotations

import re
from typing import NamedTuple


class YearRange(NamedTuple):
    start: int
    end: int


# W3CDTF / ISO 8601 calendar date, optionally with a time: one point in time.
_W3CDTF = re.compile(r"^(\d{4})(?:-(0[1-9]|1[0-2])(?:-(0[1-9]|[12]\d|3[01])(?:[T ][\d:.]+(?:Z|[+-]\d\d:?\d\d)?)?)?)?$")
# A year with unknown trailing digits (text is lower-cased): 189- 189u 189x (decade), 18-- 18uu.
_PARTIAL_YEAR = re.compile(r"^(\d{2,3})([-ux]{1,2})$")
_DECADE = re.compile(r"^(\d{3})0'?s$")
_CENTURY = re.compile(r"^(\d{1,2})(?:st|nd|rd|th) (?:century|cent\.?)$")
_BETWEEN = re.compile(r"^between (.+?) and (.+)$")
_RANGE_SEPARATORS = ("/", " to ", " through ", "–", "—", "-")
_YEAR_ANYWHERE = re.compile(r"(?<!\d)(\d{4})(?!\d)")
# Qualifiers that do not change the years: circa, copyright, approximate, supplied, uncertain.
_QUALIFIERS = re.compile(r"^(?:circa|ca\.?|c\.?|approximately|approx\.?|about|p)\s*(?=\d)")


def parse_years(text: str | None) -> YearRange | None:
    """The inclusive range of years that ``text`` denotes, or ``None``."""
    if not text:
        return None
    cleaned = _strip_qualifiers(text)
    if not cleaned:
        return None
    single = _single(cleaned)
    if single is not None:
        return single
    between = _BETWEEN.match(cleaned)
    if between:
        return _span(_single(_strip_qualifiers(between[1])), _single(_strip_qualifiers(between[2])))
    for sep in _RANGE_SEPARATORS:
        if sep in cleaned:
            left, _, right = cleaned.partition(sep)
            left_range = _single(_strip_qualifiers(left))
            right_range = _single(_strip_qualifiers(right)) or _abbreviated(left_range, right.strip())
            found = _span(left_range, right_range)
            if found is not None:
                return found
    # Last resort: the years written anywhere in free text ("March 5, 1890", "1890 or 1891").
    years = [int(y) for y in _YEAR_ANYWHERE.findall(cleaned) if 1000 <= int(y) <= 2999]
    return YearRange(min(years), max(years)) if years else None


def _strip_qualifiers(text: str) -> str:
    cleaned = re.sub(r"[\[\]()]", "", text.lower()).strip().rstrip("?.").strip()
    return _QUALIFIERS.sub("", cleaned).strip()


def _single(text: str) -> YearRange | None:
    """One date (possibly a decade or century) as a range, else ``None``."""
    text = text.strip().rstrip("?").strip()
    if m := _W3CDTF.match(text):
        return YearRange(int(m[1]), int(m[1]))
    if (m := _PARTIAL_YEAR.match(text)) and len(text) == 4:
        width = 10 ** len(m[2])
        return YearRange(int(m[1]) * width, int(m[1]) * width + width - 1)
    if m := _DECADE.match(text):
        return YearRange(int(m[1]) * 10, int(m[1]) * 10 + 9)
    if m := _CENTURY.match(text):
        # Catalog convention: "19th century" facets as 1800-1899.
        start = (int(m[1]) - 1) * 100
        return YearRange(start, start + 99)
    return None


def _abbreviated(left: YearRange | None, right: str) -> YearRange | None:
    """``1850-60``: the right side as the last digits of a year after ``left``."""
    if left is None or not re.fullmatch(r"\d{1,2}", right):
        return None
    prefix = str(left.start)[: 4 - len(right)]
    year = int(prefix + right)
    return YearRange(year, year) if year >= left.start else None


def _span(left: YearRange | None, right: YearRange | None) -> YearRange | None:
    if left is None or right is None or right.end < left.start:
        return None
    return YearRange(left.start, right.end)
