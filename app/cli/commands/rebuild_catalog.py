"""`muniment rebuild-catalog`: recreate the catalog from preservation storage alone."""

from __future__ import annotations

import argparse
from typing import Any

from app.cli.commands._preservation import opened_preservation
from repo.settings import Settings


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "rebuild-catalog",
        help="recreate the catalog from the preservation storage (OCFL root and event log)",
        description="Reads every object's inventory, bag metadata and PREMIS log, the access derivatives' "
        "headers, the event log and the collection records, and replaces the catalog's contents with what they say. "
        "API tokens, the audit log and job records are the catalog's own: --replace keeps them.",
    )
    parser.add_argument("--replace", action="store_true", help="needed when the catalog already holds items")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from repo.auth import TokenStore
    from repo.errors import MunimentError
    from repo.lifecycle import rebuild_catalog

    with opened_preservation(settings) as preservation:
        if preservation.catalog.count_items() and not args.replace:
            raise MunimentError("the catalog is not empty; add --replace to rebuild it from storage anyway")
        result = rebuild_catalog(preservation)
        tokens = TokenStore(preservation.catalog.db).list()
    print(
        f"catalog rebuilt: {result.collections} collections, {result.items} items ({result.withdrawn} withdrawn),"
        f" {result.purged} tombstones"
    )
    if result.unrecorded:
        print(f"  no record in storage (titles made from the slug): {', '.join(result.unrecorded)}")
    if not tokens:
        print("  API tokens, the audit log and job records are the catalog's own, not in storage: restore them")
        print("  from a backup of the catalog, then run rebuild-catalog --replace (README: Backing up the catalog)")
    for problem in result.problems:
        print(f"  PROBLEM {problem}")
    return 1 if result.problems else 0
