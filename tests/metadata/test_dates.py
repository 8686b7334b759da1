from __future__ import annotations

import pytest

from repo.metadata.dates import YearRange, parse_years

CASES = [
    ("1999", (1999, 1999)),
    ("c1999", (1999, 1999)),  # copyright date, MARC style
    ("c1999.", (1999, 1999)),
    ("1955-03-22", (1955, 1955)),  # W3CDTF day
    ("1898-02", (1898, 1898)),  # W3CDTF month
    ("2001-12-14T10:20:30Z", (2001, 2001)),
    ("1850-1860", (1850, 1860)),
    ("1850 - 1860", (1850, 1860)),
    ("1850–1860", (1850, 1860)),  # en dash
    ("1850/1860", (1850, 1860)),  # EDTF / ISO 8601 interval
    ("1850-03-01/1860-12-31", (1850, 1860)),
    ("1850-60", (1850, 1860)),
    ("1850 to 1860", (1850, 1860)),
    ("between 1850 and 1860", (1850, 1860)),
    ("[between 1850 and 1860?]", (1850, 1860)),
    ("ca. 1890", (1890, 1890)),
    ("circa 1890", (1890, 1890)),
    ("approximately 1890", (1890, 1890)),
    ("[ca. 1890]", (1890, 1890)),
    ("[1890?]", (1890, 1890)),
    ("1890?", (1890, 1890)),
    ("[1982?]", (1982, 1982)),
    ("189-", (1890, 1899)),  # AACR2: decade certain
    ("[189-?]", (1890, 1899)),
    ("189u", (1890, 1899)),  # MARC unknown digit
    ("18--", (1800, 1899)),
    ("18uu", (1800, 1899)),
    ("199X", (1990, 1999)),  # EDTF
    ("1890s", (1890, 1899)),
    ("19th century", (1800, 1899)),
    ("March 5, 1890", (1890, 1890)),
    ("1890 or 1891", (1890, 1891)),
    ("undated", None),
    ("n.d.", None),
    ("", None),
    (None, None),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[repr(c[0]) for c in CASES])
def test_parse_years(text: str | None, expected: tuple[int, int] | None) -> None:
    assert parse_years(text) == (YearRange(*expected) if expected else None)
