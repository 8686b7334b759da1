"""Scheduled maintenance as queued jobs: the daily fixity budget, replication catch-up and the
derivative scan, each at the cron schedule of its setting (empty: off).

Every worker's consumer runs Huey's scheduler, so with several workers each notices the same
scheduled minute. The job's id is its kind and that minute (``fixity-20261202T0300``), and only
the first worker to record it queues its tasks; the work then runs as the job's tasks on any
worker, with the leases, retries and job list of an ingest. A scan of many items is cut into
tasks of a few hundred items, so it spreads over the workers too.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from huey import crontab

from app.queue import TaskQueue
from repo.audit import Budget, FixityAudit, Preservation
from repo.audit.scheduled import catch_up_replica, scan_batches, scan_derivatives
from repo.catalog import FixityRow
from repo.catalog.jobs import Job, JobTask, TaskResult
from repo.errors import ConfigError, Problem
from repo.services import Services
from repo.settings import Settings

log = logging.getLogger("muniment.maintenance")

FIXITY, REPLICATE, DERIVATIVES = "fixity", "replicate", "derivatives"
KINDS = (FIXITY, REPLICATE, DERIVATIVES)
SUBMITTER = "schedule"
LOOK_BACK = timedelta(days=1)  # a job delayed longer than this is named for the minute it ran


@dataclass(frozen=True)
class Schedule:
    kind: str
    cron: str
    matches: Callable[[datetime], bool]


def parse_cron(text: str, variable: str) -> Callable[[datetime], bool]:
    fields = text.split()
    if len(fields) != 5:
        raise ConfigError(f"{variable}: {text!r} is not five cron fields (minute hour day month weekday)")
    try:
        return crontab(*fields, strict=True)
    except ValueError as exc:
        raise ConfigError(f"{variable}: {text!r} is not a cron schedule ({exc})") from None


def schedules(settings: Settings) -> list[Schedule]:
    """The maintenance switched on by the settings (replication only with a replica)."""
    wanted = [
        (FIXITY, settings.fixity_schedule, "MUNIMENT_FIXITY_SCHEDULE"),
        (REPLICATE, settings.replication_schedule if settings.replica_storage else "", "MUNIMENT_REPLICATION_SCHEDULE"),
        (DERIVATIVES, settings.derivative_scan_schedule, "MUNIMENT_DERIVATIVE_SCAN_SCHEDULE"),
    ]
    return [Schedule(kind, cron.strip(), parse_cron(cron, var)) for kind, cron, var in wanted if cron.strip()]


def register(queue: TaskQueue, services: Services) -> None:
    """Huey periodic tasks on the worker's queue, one per schedule switched on."""
    for schedule in schedules(services.settings):

        def enqueue(schedule: Schedule = schedule) -> None:
            start(queue, services, schedule, datetime.now(UTC).replace(tzinfo=None))

        queue.huey.periodic_task(schedule.matches, name=f"muniment.schedule.{schedule.kind}")(enqueue)


def slot(schedule: Schedule, now: datetime) -> datetime:
    """The scheduled minute this run belongs to: the latest matching minute at or before ``now``."""
    minute = now.replace(second=0, microsecond=0)
    moment = minute
    while moment > minute - LOOK_BACK:
        if schedule.matches(moment):
            return moment
        moment -= timedelta(minutes=1)
    return minute


def start(queue: TaskQueue, services: Services, schedule: Schedule, now: datetime) -> Job | None:
    """Record and queue the job of this scheduled minute, unless another worker did."""
    job_id = f"{schedule.kind}-{slot(schedule, now):%Y%m%dT%H%M}"
    if queue.jobs.find(job_id) is not None:
        return None
    tasks = job_tasks(schedule.kind, services)
    if not tasks:
        return None  # a scan of a repository without items
    job = queue.jobs.create_once(
        job_id, schedule.kind, f"schedule {schedule.cron} (UTC)", tasks, submitted_by=SUBMITTER
    )
    if job is None:
        return None
    log.info("scheduled %s: job %s with %d task(s)", schedule.kind, job.id, len(job.tasks))
    for task in job.tasks:
        queue.deliver(job.id, task.seq)
    return job


def job_tasks(kind: str, services: Services) -> list[tuple[str, dict[str, Any]]]:
    if kind == DERIVATIVES:
        preservation = Preservation(services)
        batches = scan_batches(preservation)
        return [(f"{batch[0]} .. {batch[-1]}", {"items": batch}) for batch in batches]
    return [(kind, {})]


def daily_budget(preservation: Preservation, cycle_days: int) -> Budget:
    """A 1/cycle share of the stored bytes (every copy), so a daily run covers all in the cycle."""
    return Budget(max_bytes=max(1, math.ceil(preservation.catalog.fixity_bytes() / max(1, cycle_days))))


def run_maintenance_task(job: Job, task: JobTask, services: Services) -> TaskResult:
    """One task of a maintenance job; storage and database outages propagate (the worker retries)."""
    from ingest.derivatives import make_derivatives as make_at

    make_derivatives = partial(make_at, quality=services.settings.pyramid_quality)
    preservation = Preservation(services)
    try:
        if job.kind == FIXITY:
            budget = daily_budget(preservation, services.settings.fixity_cycle_days)
            run = FixityAudit(preservation, make_derivatives=make_derivatives).run(budget=budget)
            message = (
                f"checked {run.checked} files ({run.bytes / 1e6:.1f} MB of a {(budget.max_bytes or 0) / 1e6:.1f} MB "
                f"budget) in {run.seconds:.1f} s: {len(run.repaired)} repaired, {len(run.failed)} failed"
            )
            return _ended(message, run.repaired, run.failed, run.bytes)
        if job.kind == REPLICATE:
            caught = catch_up_replica(preservation)
            message = f"{caught.replicated} item(s) replicated and verified, {len(caught.failed)} failed"
            return _ended(message, [], caught.failed)
        if job.kind == DERIVATIVES:
            scan = scan_derivatives(preservation, task.params["items"], make_derivatives, datetime.now(UTC))
            made, failed = len(scan.repaired), len(scan.failed)
            message = f"{scan.items} item(s) scanned: {made} derivative(s) made again, {failed} failed"
            return _ended(message, scan.repaired, scan.failed)
        raise ConfigError(f"job {job.id}: unknown maintenance kind {job.kind!r}")
    finally:
        preservation.close()


def _ended(message: str, repaired: list[FixityRow], failed: list[Any], bytes: int = 0) -> TaskResult:
    """A run's result: ``failed`` (listed in ``muniment jobs list --state failed``) when something
    is still wrong after it; its findings are its problems, each naming the item, copy and file."""
    problems = [Problem(f"{r.item_id} {r.copy} {r.content_path}", f"repaired: {r.detail}") for r in repaired]
    problems += [
        f if isinstance(f, Problem) else Problem(f"{f.item_id} {f.copy} {f.content_path}", f.detail) for f in failed
    ]
    return TaskResult("failed" if failed else "completed", bytes=bytes, message=message, problems=problems)
