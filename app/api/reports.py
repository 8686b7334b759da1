"""Fixity reports (what ``repo.audit`` records of its checks) and the audit log of writes."""

from __future__ import annotations

from datetime import UTC, datetime

from app.api.models import AuditEntry, AuditList, AuditQuery, FixityReportOut
from app.api.operations import Call, Operation, Reply
from repo.audit import Preservation, build_report
from repo.auth import Role, WriteLog


def fixity_report(call: Call) -> Reply:
    preservation = Preservation(call.services)
    try:
        report = build_report(preservation, call.services.settings.fixity_cycle_days, datetime.now(UTC))
    finally:
        preservation.close()
    return Reply(FixityReportOut.model_validate(report.to_json()))


def audit_log(call: Call) -> Reply:
    query: AuditQuery = call.query
    entries = WriteLog(call.services.catalog.db).entries(
        limit=query.limit, before=query.before, actor=query.actor, target=query.target
    )
    next_before = entries[-1].id if len(entries) == query.limit else None
    return Reply(AuditList(entries=[AuditEntry(**e.to_json()) for e in entries], next_before=next_before))  # type: ignore[arg-type]


OPERATIONS = [
    Operation(
        "fixityReport",
        "GET",
        "/fixity",
        "Fixity: failed checks, files never checked or overdue, unreplicated items",
        FixityReportOut,
        fixity_report,
        role=Role.CURATOR,
    ),
    Operation(
        "auditLog",
        "GET",
        "/audit",
        "The audit log of writes: who, what, when, from where; newest first",
        AuditList,
        audit_log,
        role=Role.ADMIN,
        query=AuditQuery,
    ),
]
