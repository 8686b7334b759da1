"""`muniment ocr`: read an item's pages again with Tesseract and store the text as a new version."""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from repo.services import Services
from repo.settings import Settings

log = logging.getLogger("muniment.ocr")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "ocr",
        help="read an item's pages again with OCR (a new OCFL version with their ALTO)",
        description="Read every page of each item whose text is not the archivist's own (supplied ALTO or hOCR "
        "is kept) with Tesseract, in the record's languages, and store the ALTO as a new version with a PREMIS "
        "event; the text is searchable at once. Runs here on every core, or with --queue on the task workers.",
    )
    parser.add_argument("items", nargs="+", metavar="ITEM", help="item id")
    parser.add_argument("--missing", action="store_true", help="only pages that have no text yet")
    parser.add_argument("--queue", action="store_true", help="hand the pages to the task workers; print the job id")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from repo.ocr.service import ItemOcr

    services = Services.open(settings)
    ocr = ItemOcr(services)
    try:
        if args.queue:
            job = _submit(services, ocr, args.items, again=not args.missing)
            print(f"queued job {job}: follow it with `muniment jobs show {job}`" if job else "no page to read")
            return 0
        failed = 0
        for item_id in args.items:
            failed += read_here(services, ocr, item_id, again=not args.missing)
        return 1 if failed else 0
    finally:
        ocr.close()
        services.close()


def read_here(services: Services, ocr: Any, item_id: str, *, again: bool) -> int:
    """Read the item's pages on every core, then store them; the number of pages that failed."""
    from repo.lifecycle import os_user
    from repo.ocr.engine import OcrFailed

    ocr.index_stored(item_id)
    seqs = ocr.plan(item_id, again=again)
    if not seqs:
        print(f"{item_id}: no page to read")
        return 0
    languages = ocr.languages(item_id)

    def one(seq: int) -> tuple[int, int | str]:
        try:
            return seq, ocr.read_page(item_id, seq, languages)
        except OcrFailed as exc:
            return seq, str(exc)

    workers = services.settings.effective_workers(services.settings.ingest_workers)
    with ThreadPoolExecutor(workers, thread_name_prefix="ocr-page") as pool:
        outcomes = list(pool.map(one, seqs))
    errors = [message for _, message in outcomes if isinstance(message, str)]
    for message in errors:
        print(f"muniment: error: {message}", file=sys.stderr)
    words = sum(n for _, n in outcomes if isinstance(n, int))
    version = ocr.commit(item_id, os_user())
    stored = f"stored as v{version}" if version else "nothing stored"
    read = f"{len(seqs) - len(errors)} of {len(seqs)} page(s) read ({words} words, {'+'.join(languages)})"
    print(f"{item_id}: {read}, {stored}")
    return len(errors)


def _submit(services: Services, ocr: Any, item_ids: Sequence[str], *, again: bool) -> str | None:
    from app.ocr_tasks import submit_ocr
    from app.queue import TaskQueue
    from repo.catalog.jobs import JobStore

    queue = TaskQueue(services.settings, JobStore(services.catalog.db))
    try:
        job = submit_ocr(queue, ocr, item_ids, getpass.getuser(), again=again)
    finally:
        queue.close()
    return job.id if job else None


def queue_after_ingest(services: Services, item_ids: Sequence[str], *, quiet: bool = False) -> None:
    """After a foreground ingest: the new items' pages go to the task workers (a note on stderr,
    unless ``quiet``)."""
    from repo.errors import MunimentError
    from repo.ocr.service import ItemOcr

    if not services.settings.ocr or not item_ids:
        return
    ocr = ItemOcr(services)
    try:
        job = _submit(services, ocr, item_ids, again=False)
    except MunimentError as exc:
        print(f"muniment: warning: OCR not queued: {exc}", file=sys.stderr)
        return
    finally:
        ocr.close()
    if job and not quiet:
        print(
            f"OCR of {len(item_ids)} item(s) queued as job {job} (run by `muniment serve` or `muniment worker`)",
            file=sys.stderr,
        )
