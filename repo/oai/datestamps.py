"""``from``/``until`` arguments and datestamps (UTC, ``YYYY-MM-DD`` or ``YYYY-MM-DDThh:mm:ssZ``).

Catalog datestamps are text in the seconds form, which sorts like time; a day argument is
widened to the first or last second of its day so that both bounds stay inclusive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from repo.oai.errors import OAIError

Granularity = Literal["day", "seconds"]

_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SECONDS = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")


@dataclass(frozen=True)
class DateArgument:
    text: str
    granularity: Granularity

    @property
    def lower(self) -> str:
        """The earliest catalog datestamp this argument admits."""
        return f"{self.text}T00:00:00Z" if self.granularity == "day" else self.text

    @property
    def upper(self) -> str:
        """The latest catalog datestamp this argument admits."""
        return f"{self.text}T23:59:59Z" if self.granularity == "day" else self.text


def parse_date_argument(name: str, value: str) -> DateArgument:
    if _DAY.fullmatch(value):
        granularity: Granularity = "day"
        pattern = "%Y-%m-%d"
    elif _SECONDS.fullmatch(value):
        granularity = "seconds"
        pattern = "%Y-%m-%dT%H:%M:%SZ"
    else:
        raise OAIError("badArgument", f"{name} must be YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ")
    try:
        datetime.strptime(value, pattern)
    except ValueError:
        raise OAIError("badArgument", f"{name} is not a real date or time") from None
    return DateArgument(value, granularity)


def check_range(start: DateArgument | None, end: DateArgument | None) -> None:
    if start is None or end is None:
        return
    if start.granularity != end.granularity:
        raise OAIError("badArgument", "from and until must have the same granularity")
    if start.lower > end.upper:
        raise OAIError("badArgument", "from is later than until")
