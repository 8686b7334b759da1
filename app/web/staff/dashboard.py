"""The dashboard: what is held, jobs running and recent, and how fixity stands, each linked."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.responses import Response

from app.api.jobs import INGEST_KINDS, ingest_out
from app.web.staff.guard import StaffCall
from repo.audit import Preservation, build_report
from repo.catalog.staff_figures import holdings


def dashboard(call: StaffCall) -> Response:
    services = call.site.services
    preservation = Preservation(services)
    try:
        report = build_report(preservation, services.settings.fixity_cycle_days, datetime.now(UTC), limit=5)
    finally:
        preservation.close()
    # Ingest jobs in the shape of one item each (the other kinds have tasks of their own pages).
    jobs = [ingest_out(job) for job in call.site.ingests.jobs.queue.recent(kinds=INGEST_KINDS, limit=10)]
    return call.render(
        "dashboard.html",
        held=holdings(services.catalog.db),
        report=report,
        checked=report.files - report.never_count - report.overdue_count,
        jobs=jobs,
        running=[j for j in jobs if j.state in ("queued", "running")],
    )
