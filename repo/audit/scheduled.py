"""What the scheduled maintenance runs beside the fixity budget: the derivative scan (every
registered page's pyramid and thumbnail checked, the missing or unreadable made again, each item's
checks recorded like a fixity run's) and the replication catch-up (every item whose head version
the replica lacks copied and verified, then the event log and collection records)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from repo.audit.derivatives import ACCESS, MakeDerivatives, check_derivatives
from repo.audit.replication import replicate_item, sync_log
from repo.audit.service import Preservation
from repo.catalog import FixityRow
from repo.errors import MunimentError, Problem
from repo.preservation import PreservationError
from storage.errors import StorageError, StorageUnavailable

SCAN_BATCH = 200  # items per task of a scan: a scan of many items fans out over the workers


def scan_batches(p: Preservation, size: int = SCAN_BATCH) -> list[list[str]]:
    """The ids of every item that has pages in access storage (not purged), in batches."""
    ids = p.catalog.stored_item_ids()
    return [ids[i : i + size] for i in range(0, len(ids), size)]


@dataclass
class ScanResult:
    items: int = 0
    repaired: list[FixityRow] = field(default_factory=list)
    failed: list[FixityRow] = field(default_factory=list)


def scan_derivatives(p: Preservation, item_ids: list[str], make: MakeDerivatives, moment: datetime) -> ScanResult:
    """Check and remake the items' derivatives; the findings replace the items' earlier ones."""
    result = ScanResult()
    for item_id in item_ids:
        if p.catalog.get_item(item_id) is None:
            continue  # purged since the scan was scheduled
        check = check_derivatives(p, item_id, make, moment)
        if check.events:
            p.record_fixity(item_id, [], check.events, findings={ACCESS: check.findings})
        else:  # all sound: what an earlier check found is gone, and there is nothing to log
            p.catalog.record_fixity([], [], {(item_id, ACCESS): []})
        result.items += 1
        for row in check.findings:
            (result.repaired if row.last_result == "repaired" else result.failed).append(row)
    return result


@dataclass
class CatchUp:
    replicated: int = 0
    failed: list[Problem] = field(default_factory=list)


def catch_up_replica(p: Preservation) -> CatchUp:
    """Replicate every item the replica lacks. An unreachable storage ends the run (the caller
    tries again later); one item that cannot be copied is named and the others go on."""
    from repo.lifecycle.collections import replicate_records  # lifecycle builds on audit

    result = CatchUp()
    for item in p.catalog.unreplicated():
        try:
            replicate_item(p, item.id)
        except StorageUnavailable:
            raise
        except (MunimentError, PreservationError, StorageError) as exc:
            result.failed.append(Problem(item.id, str(exc)))
            continue
        result.replicated += 1
    sync_log(p)
    replicate_records(p)  # collection records written while the replica was away
    return result
