"""`muniment metadata export|import`: a collection's Dublin Core as CSV, and the edited CSV back as
new versions (a dry run first shows every change and every problem)."""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from pathlib import Path
from typing import Any

from repo.settings import Settings


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("metadata", help="export a collection's metadata as CSV; import an edited CSV")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    export = actions.add_parser(
        "export",
        help="one row per item: identifier, the DC elements (repeated values joined with |), version",
    )
    export.add_argument("--collection", required=True, help="collection slug")
    export.add_argument("out", type=Path, help="CSV file to write")
    imported = actions.add_parser(
        "import",
        help="apply an edited CSV as new versions, one queued job (each item on its own)",
        description="Compare each row with its item and apply the changes as new versions in one job run by "
        "the task workers, each item atomic; an item with a problem (unknown item, bad date, a value its MARC or "
        "MODS record cannot take) is left as it is, an unknown column stops the whole import.",
    )
    imported.add_argument("csv", type=Path, help="the edited CSV (columns as export writes them; any may be left out)")
    imported.add_argument("--dry-run", action="store_true", help="show each change (old -> new) and every problem")
    imported.add_argument("--wait", action="store_true", help="wait for the job and print its per-item report")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from repo.services import Services

    services = Services.open(settings)
    try:
        if args.action == "export":
            return _export(args, services)
        return _import(args, services)
    finally:
        services.close()


def _export(args: argparse.Namespace, services: Any) -> int:
    from repo.lifecycle.bulk_metadata import export_csv

    partial = args.out.with_name(args.out.name + ".partial")  # never a half-written file under its name
    try:
        with partial.open("w", encoding="utf-8", newline="") as out:
            done = export_csv(services.catalog, args.collection, out)
        partial.replace(args.out)
    finally:
        partial.unlink(missing_ok=True)
    print(f"{args.out}: {done.rows} item(s) of {args.collection}")
    if done.ambiguous:
        shown = ", ".join(done.ambiguous[:5]) + (", ..." if len(done.ambiguous) > 5 else "")
        print(
            f"muniment: warning: {len(done.ambiguous)} item(s) have a value holding '|' ({shown}): an import "
            "reads it as two values; leave those cells as they are, or edit those items one by one",
            file=sys.stderr,
        )
    return 0


def _import(args: argparse.Namespace, services: Any) -> int:
    from app.metadata_tasks import submit_import
    from app.queue import TaskQueue
    from repo.catalog.jobs import JobStore
    from repo.errors import MunimentError
    from repo.lifecycle.bulk_metadata import describe, plan_import

    try:
        data = args.csv.read_bytes()
    except OSError as exc:
        raise MunimentError(f"{args.csv}: cannot read the file: {exc.strerror}") from None
    plan = plan_import(services.catalog, services.object_store(), data, args.csv.name)
    for line in describe(plan):
        print(line, file=sys.stderr if line.startswith(plan.filename) else sys.stdout)
    changing, refused = len(plan.applicable), len(plan.refused)
    summary = f"{plan.rows} row(s): {changing} item(s) to change, {refused} refused"
    if plan.problems:
        print(f"{summary}; the file's own problems stop the import: nothing written", file=sys.stderr)
        return 1
    if args.dry_run:
        print(f"{summary} (dry run: nothing written)")
        return 1 if refused else 0
    if not changing:
        print(f"{summary}: nothing written")
        return 1 if refused else 0
    queue = TaskQueue(services.settings, JobStore(services.catalog.db))
    try:
        job = submit_import(queue, plan, f"{getpass.getuser()} (command line)")
        print(f"{summary}; queued job {job.id}: follow it with `muniment jobs show {job.id}`")
        if args.wait:
            return _report(queue, job.id) or (1 if refused else 0)
    finally:
        queue.close()
    return 1 if refused else 0


def _report(queue: Any, job_id: str) -> int:
    """Wait for the job, then one line per item; 1 when any item failed."""
    job = queue.get(job_id)
    while not job.finished:
        time.sleep(0.5)
        job = queue.get(job_id)
    for task in job.tasks:
        print(f"{task.name}: {task.result}: {task.message}")
        for problem in task.problems:
            print(f"    - {problem}")
    return 1 if job.counts["failed"] else 0
