"""Preservation: the fixity report (failed, overdue, never checked) with the files checked per day
against what the cycle needs, replication state, and the audit log with filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from starlette.responses import Response

from app.web.staff.guard import StaffCall
from repo.audit import Preservation, build_report
from repo.catalog.models import format_datestamp
from repo.catalog.staff_figures import checks_per_day, recent_events
from repo.metadata.premis import REPAIR, REPLICATION

CHART_DAYS = 30


def preservation_page(call: StaffCall) -> Response:
    services = call.site.services
    now = datetime.now(UTC)
    preservation = Preservation(services)
    try:
        report = build_report(preservation, services.settings.fixity_cycle_days, now)
    finally:
        preservation.close()
    since = (now - timedelta(days=CHART_DAYS - 1)).date()
    per_day = checks_per_day(services.catalog.db, format_datestamp(datetime.combine(since, datetime.min.time(), UTC)))
    days = [(since + timedelta(days=n)).isoformat() for n in range(CHART_DAYS)]
    needed = -(-report.files // max(1, report.cycle_days))  # files a day, to check each once a cycle
    counts = [per_day.get(d, 0) for d in days]
    top = max([needed, *counts, 1])
    return call.render(
        "preservation.html",
        report=report,
        chart=[(d, n, round(100 * n / top)) for d, n in zip(days, counts, strict=True)],
        needed=needed,
        needed_percent=round(100 * needed / top),
        repairs=recent_events(services.catalog.db, (REPAIR, REPLICATION), 20),
    )


def audit_page(call: StaffCall) -> Response:
    q = call.query
    actor = q.get("actor", "").strip() or None
    target = q.get("target", "").strip() or None
    before = int(q["before"]) if q.get("before", "").isdigit() and len(q["before"]) < 18 else None
    entries = call.site.writes.entries(limit=100, before=before, actor=actor, target=target)
    older = entries[-1].id if len(entries) == 100 else None
    return call.render("audit.html", entries=entries, actor=actor or "", target=target or "", older=older)
