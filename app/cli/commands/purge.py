"""`muniment purge`: remove an item from storage for good, keeping a tombstone and who and why."""

from __future__ import annotations

import argparse
from typing import Any

from app.cli.commands._preservation import opened_preservation
from repo.settings import Settings


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "purge",
        help="remove an item's object, replica and derivatives from storage (needs --confirm)",
        description="Deletes the preservation object, its replica and its access derivatives. A tombstone with "
        "the OS user and the reason stays in the event log and the catalog (OAI-PMH: deleted).",
    )
    parser.add_argument("item", help="item id")
    parser.add_argument("--reason", required=True, help="why (kept with the tombstone)")
    parser.add_argument("--confirm", action="store_true", help="really delete; nothing can bring it back")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from repo.errors import MunimentError
    from repo.lifecycle import os_user, purge

    if not args.confirm:
        raise MunimentError(f"purging {args.item} deletes it from every storage for good; add --confirm")
    user = os_user()
    with opened_preservation(settings) as preservation:
        result = purge(preservation, args.item, args.reason, user)
    print(
        f"{result.item_id}: purged by {user.name} ({result.preservation_keys} preservation files, "
        f"{result.replica_keys} replica files, {result.derivatives} derivatives); a tombstone remains"
    )
    return 0
