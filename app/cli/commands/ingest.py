"""`muniment ingest`: a folder of scans, a CSV batch, or an existing bag."""

from __future__ import annotations

import argparse
import json
import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

from repo.settings import Settings


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "ingest",
        help="ingest a folder of scans, a CSV batch (--batch) or a bag (--bag)",
        description="Validate, bag, store and register items. Nothing of an item is stored unless all of it is valid.",
    )
    parser.add_argument("folder", nargs="?", type=Path, help="folder of page images with a metadata record")
    parser.add_argument("--collection", help="collection slug (created when new)")
    parser.add_argument(
        "--collection-title",
        help="the collection's title (its label on pages, in IIIF and OAI-PMH), set before the ingest",
    )
    parser.add_argument("--metadata", type=Path, help="MODS, DC (oai_dc or simple), CSV or JSON record")
    parser.add_argument("--identifier", help="the item's identifier (default: made from its content)")
    parser.add_argument(
        "--batch",
        type=Path,
        help="CSV with one row per item: folder, collection, identifier, metadata or DC columns",
    )
    parser.add_argument("--bag", type=Path, help="an existing BagIt bag: folder, .zip or .tar")
    parser.add_argument("--profile", type=Path, help="BagIt profile (JSON) the bag must satisfy")
    parser.add_argument("--dry-run", action="store_true", help="validate everything, store nothing")
    parser.add_argument(
        "--update",
        action="store_true",
        help="scans an item holds already, with another record: make that record the item's new version",
    )
    parser.add_argument(
        "--queue", action="store_true", help="hand the work to the task workers (`muniment worker`); print the job id"
    )
    parser.add_argument(
        "--report",
        type=Path,
        help="write a JSON report of every item here (batch default: ingest-report.json)",
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--quiet", action="store_true", help="print nothing but errors")
    output.add_argument("--json", action="store_true", help="JSON lines on stdout, for scripts")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from app.cli.commands.audit import cli_record
    from ingest.bag_input import bag_source
    from ingest.batch import read_batch
    from ingest.context import ItemSource
    from ingest.errors import IngestError
    from ingest.progress import Progress
    from ingest.runner import Ingester, ItemResult
    from repo.auth import WriteLog, refused_bag
    from repo.errors import MunimentError
    from repo.services import Services

    chosen = [x for x in (args.folder, args.batch, args.bag) if x is not None]
    if len(chosen) != 1:
        raise MunimentError("give exactly one of FOLDER, --batch FILE or --bag PATH")
    if args.collection_title is not None and not args.collection:
        raise MunimentError("--collection-title needs --collection")
    if args.queue:
        return _queue(args, settings)
    services = Services.open(settings)
    if args.collection_title is not None and not args.dry_run:
        title_collection(services, args.collection, args.collection_title)
    ingester = Ingester(services, dry_run=args.dry_run)
    ingester.clean_stale_staging()
    mode = "quiet" if args.quiet else "json" if args.json else "auto"
    if args.quiet:  # bagit-python logs each step at INFO: not errors
        logging.getLogger().setLevel(logging.ERROR)
    try:
        if args.batch:
            sources = [replace(s, update=args.update) for s in read_batch(args.batch, args.collection)]
            progress = Progress(len(sources), mode)
            results = ingester.ingest_many(sources, progress)
            report = args.report or Path("ingest-report.json")
        else:
            progress = Progress(1, mode)
            if args.bag:
                with ingester.staging() as unpack:
                    try:
                        source = bag_source(
                            args.bag, unpack, settings, collection=args.collection, profile_path=args.profile
                        )
                        result = ingester.ingest(replace(source, update=args.update))
                    except IngestError as exc:
                        result = ItemResult(args.bag.name, "failed", problems=exc.problems)
                if result.status == "failed" and not args.dry_run:
                    detail = refused_bag(args.bag.name, result.problems)
                    WriteLog(services.catalog.db).record(cli_record("ingest refused (bag)", str(args.bag), detail, 1))
            else:
                if not args.collection:
                    raise MunimentError("--collection is required with a folder")
                source = ItemSource(args.folder, args.collection, args.metadata, args.identifier, update=args.update)
                result = ingester.ingest(source)
            results = [result]
            progress.item_finished(
                result.name,
                result.status,
                result.item_id,
                result.pages,
                result.bytes,
                [str(p) for p in result.problems],
            )
            report = args.report
        if not args.dry_run:
            from app.cli.commands.ocr import queue_after_ingest

            ingested = [r.item_id for r in results if r.status == "ingested" and r.item_id]
            queue_after_ingest(services, ingested, quiet=args.quiet)
    finally:
        ingester.close()
        services.close()
    summary = {
        status: sum(1 for r in results if r.status == status)
        for status in ("ingested", "already-ingested", "updated", "valid", "failed")
    }
    progress.finish({k: v for k, v in summary.items() if v})
    if report is not None:
        report.write_text(json.dumps({"summary": summary, "items": [r.to_json() for r in results]}, indent=2))
    return 1 if summary["failed"] else 0


def _queue(args: argparse.Namespace, settings: Settings) -> int:
    """Record the job, one task per item, for the workers; the ids are all that is printed."""
    import getpass

    from app.api.jobs import new_job_id
    from app.ingest_tasks import bag_task, item_task
    from app.queue import TaskQueue
    from ingest.batch import read_batch
    from ingest.context import ItemSource
    from repo.catalog.jobs import JobStore
    from repo.errors import MunimentError
    from repo.services import Services

    if args.dry_run:
        raise MunimentError("--dry-run runs here, not in the queue: leave out --queue")
    if args.batch:
        kind, source = "batch", args.batch
        tasks = [item_task(replace(s, update=args.update)) for s in read_batch(args.batch, args.collection)]
    elif args.bag:
        if not args.bag.exists():
            raise MunimentError(f"{args.bag}: no such bag")
        kind, source = "bag", args.bag
        tasks = [bag_task(args.bag, args.bag.name, args.collection, args.profile)]
    else:
        if not args.collection:
            raise MunimentError("--collection is required with a folder")
        if not args.folder.is_dir():
            raise MunimentError(f"{args.folder}: not a folder")
        kind, source = "folder", args.folder
        tasks = [
            item_task(ItemSource(args.folder, args.collection, args.metadata, args.identifier, update=args.update))
        ]
    services = Services.open(settings)
    if args.collection_title is not None:
        title_collection(services, args.collection, args.collection_title)
    queue = TaskQueue(settings, JobStore(services.catalog.db))
    try:
        job = queue.submit(
            new_job_id(),
            kind,
            str(source),
            tasks,
            submitted_by=f"{getpass.getuser()} (command line)",
            collection=args.collection,
        )
    finally:
        queue.close()
        services.close()
    if args.json:
        print(json.dumps({"job": job.id, "tasks": len(job.tasks)}))
    elif not args.quiet:
        print(f"queued job {job.id}: {len(job.tasks)} item(s); follow it with `muniment jobs show {job.id}`")
    else:
        print(job.id)
    return 0


def title_collection(services: Any, slug: str, title: str) -> None:
    """The collection made (or renamed) with ``title``, so that its label is never made from its slug."""
    from repo.catalog.slugs import slug_problem
    from repo.errors import MunimentError
    from repo.lifecycle.collections import ensure_collection, update_collection

    if not title.strip():
        raise MunimentError("--collection-title is empty")
    if problem := slug_problem(slug):
        raise MunimentError(problem)
    collection, created = ensure_collection(services, slug, title.strip())
    if not created and collection.title != title.strip():
        update_collection(services, slug, title=title.strip())
