"""Audit: fixity checks with repair from the other copy, replication, and the event log that
keeps in storage what the catalog knows beyond the object versions."""

from repo.audit.copies import PRESERVATION, REPLICA, Copy
from repo.audit.event_log import EventLog, LoggedEvent, LogRecord
from repo.audit.fixity import AuditRun, Budget, FixityAudit
from repo.audit.hashing import Digest, StreamHasher
from repo.audit.replication import Replicated, ReplicationError, replicate_item, sync_log
from repo.audit.report import FixityReport, build_report, format_report
from repo.audit.service import Preservation

__all__ = [
    "PRESERVATION",
    "REPLICA",
    "AuditRun",
    "Budget",
    "Copy",
    "Digest",
    "EventLog",
    "FixityAudit",
    "FixityReport",
    "LogRecord",
    "LoggedEvent",
    "Preservation",
    "Replicated",
    "ReplicationError",
    "StreamHasher",
    "build_report",
    "format_report",
    "replicate_item",
    "sync_log",
]
