"""`muniment replicate`: copy every version the replica lacks and verify it (catch-up after an outage)."""

from __future__ import annotations

import argparse
from typing import Any

from app.cli.commands._preservation import opened_preservation
from repo.settings import Settings


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "replicate",
        help="copy object versions the replica lacks and verify them there",
        description="Every committed object version is copied to MUNIMENT_REPLICA_STORAGE and read back before "
        "the item counts as preserved. Ingest and edits do this at once; this command catches up "
        "after the replica was unreachable. Exit status 1 when an item could not be replicated.",
    )
    parser.add_argument("--item", help="only this item")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from repo.audit import replicate_item, sync_log
    from repo.errors import ConfigError, MunimentError
    from repo.lifecycle.collections import replicate_records
    from repo.preservation import PreservationError
    from storage.errors import StorageError

    if not settings.replica_storage:
        raise ConfigError("no replica is configured: set MUNIMENT_REPLICA_STORAGE")
    failed = done = 0
    with opened_preservation(settings) as preservation:
        items = [preservation.catalog.require_item(args.item)] if args.item else preservation.catalog.unreplicated()
        for item in items:
            try:
                result = replicate_item(preservation, item.id)
            except (MunimentError, PreservationError, StorageError) as exc:
                failed += 1
                print(f"FAILED  {item.id}: {exc}")
                continue
            done += 1
            print(
                f"ok      {item.id}: v{result.version} verified on the replica "
                f"({result.files} files, {result.bytes / 1e6:.1f} MB copied)"
            )
        if not args.item:
            sync_log(preservation)
            replicate_records(preservation)  # collection records written while the replica was away
    print(f"{done} replicated, {failed} failed")
    return 1 if failed else 0
