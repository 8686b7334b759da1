"""`muniment jobs list|show|retry|cancel`: the job records of queued work."""

from __future__ import annotations

import argparse
import json
from typing import Any

from repo.settings import Settings


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("jobs", help="list, show, retry or cancel queued jobs")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="jobs, newest first")
    listing.add_argument("--state", choices=("queued", "running", "succeeded", "failed", "cancelled"))
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--json", action="store_true", help="JSON on stdout, for scripts")
    show = actions.add_parser("show", help="a job's state, progress and every task's result and problems")
    show.add_argument("job")
    show.add_argument("--json", action="store_true", help="JSON on stdout, for scripts")
    retry = actions.add_parser("retry", help="queue a job's failed and cancelled tasks again")
    retry.add_argument("job")
    cancel = actions.add_parser("cancel", help="cancel a job's queued tasks (a running one finishes its item)")
    cancel.add_argument("job")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from app.api.jobs import detail_out
    from app.queue import TaskQueue
    from repo.catalog.jobs import JobStore
    from repo.services import Services

    services = Services.open(settings)
    queue = TaskQueue(settings, JobStore(services.catalog.db))
    try:
        if args.action == "list":
            jobs = queue.recent(state=args.state, limit=args.limit)
            if args.json:
                print(json.dumps([detail_out(j).model_dump() for j in jobs], indent=2))
                return 0
            for job in jobs:
                counts = job.counts
                done = len(job.tasks) - counts["queued"] - counts["running"]
                print(f"{job.id}  {job.state:<9}  {job.kind:<6}  {done}/{len(job.tasks)}  {job.created}  {job.source}")
        elif args.action == "show":
            job = queue.get(args.job)
            if args.json:
                print(json.dumps(detail_out(job).model_dump(), indent=2))
                return 0
            print(f"job {job.id}: {job.state} ({job.kind} {job.source}, by {job.submitted_by}, {job.created})")
            for task in job.tasks:
                who = f" on {task.holder.rsplit(':', 1)[0]}" if task.holder else ""
                print(f"  {task.seq:>4}  {task.state:<9} attempts {task.attempts}{who}  {task.name}: {task.message}")
                for problem in task.problems:
                    print(f"          - {problem}")
        elif args.action == "retry":
            job = queue.retry(args.job)
            print(f"job {job.id}: {job.counts['queued']} task(s) queued again")
        else:
            job = queue.cancel(args.job)
            print(f"job {job.id}: {job.counts['cancelled']} task(s) cancelled; it is {job.state}")
    finally:
        queue.close()
        services.close()
    return 0
