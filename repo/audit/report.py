"""The fixity report: failures (loudly when both copies are bad), files never checked, files
overdue for the configured cycle, and items not yet verified on the replica."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from repo.audit.fixity_rows import stamp
from repo.audit.repair import BOTH_BAD
from repo.audit.service import Preservation
from repo.catalog import FixityRow


@dataclass(frozen=True)
class FixityReport:
    generated: str
    cycle_days: int
    files: int
    bytes: int
    failed: list[FixityRow]
    never: list[FixityRow]  # at most ``limit`` of them
    never_count: int
    overdue: list[FixityRow]
    overdue_count: int
    unreplicated: list[str] | None  # None when no replica is configured

    @property
    def both_bad(self) -> list[FixityRow]:
        return [r for r in self.failed if BOTH_BAD in r.detail]

    @property
    def ok(self) -> bool:
        return not self.failed

    def to_json(self) -> dict[str, Any]:
        def rows(items: list[FixityRow]) -> list[dict[str, Any]]:
            return [
                {
                    "item": r.item_id,
                    "copy": r.copy,
                    "path": r.content_path,
                    "last_checked": r.last_checked,
                    "result": r.last_result,
                    "detail": r.detail,
                }
                for r in items
            ]

        return {
            "generated": self.generated,
            "cycle_days": self.cycle_days,
            "files": self.files,
            "bytes": self.bytes,
            "failed": rows(self.failed),
            "both_copies_bad": rows(self.both_bad),
            "never_checked": self.never_count,
            "never_checked_first": rows(self.never),
            "overdue": self.overdue_count,
            "overdue_first": rows(self.overdue),
            "unreplicated": self.unreplicated,
        }


def build_report(p: Preservation, cycle_days: int, now: datetime, *, limit: int = 50) -> FixityReport:
    catalog = p.catalog
    cutoff = stamp(now - timedelta(days=cycle_days))
    unreplicated = [i.id for i in catalog.unreplicated()] if p.replica is not None else None
    return FixityReport(
        generated=stamp(now),
        cycle_days=cycle_days,
        files=catalog.fixity_count("all"),
        bytes=catalog.fixity_bytes(),
        failed=catalog.fixity_rows("failed"),
        never=catalog.fixity_rows("never", limit=limit),
        never_count=catalog.fixity_count("never"),
        overdue=catalog.fixity_rows("overdue", cutoff=cutoff, limit=limit),
        overdue_count=catalog.fixity_count("overdue", cutoff=cutoff),
        unreplicated=unreplicated,
    )


def format_report(report: FixityReport) -> str:
    lines = [
        f"Fixity report {report.generated}: {report.files} stored files ({_size(report.bytes)}), "
        f"cycle {report.cycle_days} days"
    ]
    if report.both_bad:
        lines += [
            "",
            "!" * 78,
            f"!!! {BOTH_BAD}: {len(report.both_bad)} file(s) fail on every copy; NOTHING WAS OVERWRITTEN.",
            "!!! Restore them from a backup or the depositor; see the details below.",
            "!" * 78,
        ]
    lines += ["", f"Failed: {len(report.failed)}"]
    lines += [f"  {r.item_id}  {r.copy}  {r.content_path}  ({r.last_checked}): {r.detail}" for r in report.failed]
    lines += ["", f"Never checked: {report.never_count}" + _first(report.never, report.never_count)]
    lines += [f"  {r.item_id}  {r.copy}  {r.content_path}" for r in report.never]
    lines += [
        "",
        f"Overdue (not checked in {report.cycle_days} days): {report.overdue_count}"
        + _first(report.overdue, report.overdue_count),
    ]
    lines += [f"  {r.item_id}  {r.copy}  {r.content_path}  last checked {r.last_checked}" for r in report.overdue]
    if report.unreplicated is not None:
        lines += ["", f"Not yet verified on the replica: {len(report.unreplicated)}"]
        lines += [f"  {item_id}" for item_id in report.unreplicated]
    daily = report.bytes / max(report.cycle_days, 1)
    lines += [
        "",
        f"To cover every file each cycle, check at least {_size(int(daily))} a day "
        f"(muniment fixity --max-bytes {int(daily) + 1}).",
    ]
    return "\n".join(lines)


def _first(shown: list[FixityRow], total: int) -> str:
    return f" (first {len(shown)} listed)" if total > len(shown) else ""


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{n} B"
