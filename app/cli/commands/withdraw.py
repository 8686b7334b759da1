"""`muniment withdraw`: hide an item from the public while keeping its preservation object."""

from __future__ import annotations

import argparse
from typing import Any

from app.cli.commands._preservation import opened_preservation
from repo.settings import Settings


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "withdraw",
        help="hide an item (pages, search, IIIF 410, OAI-PMH deleted); preservation is kept",
        description="Records the withdrawal as a PREMIS deaccession event in a new version of the object, so a "
        "rebuilt catalog keeps it; the catalog status becomes 'withdrawn' and the datestamp moves.",
    )
    parser.add_argument("item", help="item id")
    parser.add_argument("--reason", required=True, help="why (kept in the catalog and the PREMIS log)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from repo.lifecycle import os_user, withdraw

    with opened_preservation(settings) as preservation:
        item = withdraw(preservation, args.item, args.reason, os_user())
    print(f"{item.id}: withdrawn (v{item.version}); reason: {item.status_reason}")
    return 0
