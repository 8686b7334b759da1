"""A fixity row's state is a function of the events about its file: the audit records it so, and
rebuild-catalog recomputes it from the event log the same way."""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from dataclasses import replace
from datetime import datetime

from repo.audit.event_log import LoggedEvent
from repo.catalog import FixityRow
from repo.metadata.premis import FIXITY_CHECK, REPAIR

RowKey = tuple[str, str]  # (copy, content path)


def apply_events(rows: MutableMapping[RowKey, FixityRow], events: Iterable[LoggedEvent]) -> None:
    """Update the rows that ``events`` (in order) concern: a check sets the time checked, a check or a
    repair sets the result, and the detail of anything but success."""
    for logged in events:
        key = (logged.copy, logged.content_path)
        if logged.event.type not in (FIXITY_CHECK, REPAIR) or key not in rows:
            continue
        row = rows[key]
        checked = stamp(logged.event.datetime) if logged.event.type == FIXITY_CHECK else row.last_checked
        detail = "" if logged.result == "ok" else logged.event.detail
        rows[key] = replace(row, last_checked=checked, last_result=logged.result, detail=detail)


def stamp(moment: datetime) -> str:
    """A check time (UTC) with microseconds, so that two runs within one second still sort apart."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
