"""`muniment history`: an item's versions, with dates, who, and what changed."""

from __future__ import annotations

import argparse
import json
from typing import Any

from repo.settings import Settings


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("history", help="list an item's versions with dates and what changed")
    parser.add_argument("item", help="item id")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from repo.errors import MunimentError
    from repo.identifiers import object_id
    from repo.lifecycle import format_history, item_history
    from repo.services import Services

    services = Services.open(settings)
    try:
        item = services.catalog.get_item(args.item)
        if item is not None and item.status == "purged":
            raise MunimentError(f"{args.item} was purged ({item.status_reason}); its versions are gone")
        entries = item_history(services.object_store(), object_id(args.item))
    finally:
        services.close()
    if args.json:
        print(json.dumps([e.to_json() for e in entries], indent=2))
    else:
        print(format_history(args.item, entries))
    return 0
