"""`muniment edit`: replace an item's descriptive metadata as a new preservation version."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from app.cli.commands._preservation import opened_preservation
from repo.settings import Settings


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "edit",
        help="replace an item's metadata (a new OCFL version; scans are not copied)",
        description="Write a new version of the item's bag with the new MODS and DC records, an updated "
        "bag-info and PREMIS log; then update the catalog and search.",
    )
    parser.add_argument("item", help="item id")
    parser.add_argument("--metadata", type=Path, required=True, help="MODS, DC (oai_dc or simple), CSV or JSON record")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from repo.lifecycle import edit_metadata, os_user
    from repo.metadata.loader import load_record

    record = load_record(args.metadata)  # a refused record is reported before anything is opened
    with opened_preservation(settings) as preservation:
        # The version this edit starts from: an edit by someone else meanwhile is a conflict, not lost.
        based_on = preservation.catalog.require_item(args.item).version
        result = edit_metadata(preservation, args.item, record, os_user(), based_on=based_on)
    if not result.version:
        print(f"{args.item}: the record is the same as the stored one; no new version written")
    else:
        print(
            f"{args.item}: v{result.version} written ({', '.join(result.changed)} changed; "
            f"{len(result.stored)} tag files stored, no scans copied)"
        )
    return 0
