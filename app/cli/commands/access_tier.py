"""`muniment access-tier`: how much of a restricted item anyone may see (IIIF images)."""

from __future__ import annotations

import argparse
from typing import Any

from repo.settings import Settings


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "access-tier",
        help="show or set how much of a restricted item anyone may see",
        description="A restricted (or still embargoed) item's images are for signed-in readers. Its access tier, "
        "or its collection's, may open more: 'small' shows anyone thumbnails and sizes up to "
        "MUNIMENT_IIIF_AUTH_PUBLIC_SIZE pixels, and readers the full image; 'restricted' (the default) shows "
        "nothing without sign-in; 'inherit' makes an item follow its collection again.",
    )
    parser.add_argument(
        "target", metavar="ITEM_OR_COLLECTION", help="an item id, or a collection slug with --collection"
    )
    parser.add_argument("tier", nargs="?", choices=["restricted", "small", "inherit"], help="the tier to set")
    parser.add_argument("--collection", action="store_true", help="TARGET is a collection: its items inherit the tier")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from app.cli.commands.audit import cli_record
    from repo.access import Tier, access_tier, set_access_tier
    from repo.auth import WriteLog
    from repo.catalog.reader_access import own_tier
    from repo.errors import NotFoundError
    from repo.services import Services

    services = Services.open(settings)
    try:
        catalog = services.catalog
        scope = "collection" if args.collection else "item"
        if args.tier is not None:
            tier = None if args.tier == "inherit" else Tier.parse(args.tier)
            set_access_tier(catalog, scope, args.target, tier)
            WriteLog(catalog.db).record(cli_record("access-tier", f"{scope} {args.target}", args.tier))
        if args.collection:
            print(f"collection {args.target}: {own_tier(catalog.db, 'collection', args.target) or 'restricted'}")
            return 0
        item = catalog.get_item(args.target)
        if item is None:
            raise NotFoundError(f"no item {args.target!r}")
        tier, own = access_tier(catalog, item)
        source = "its own" if own else f"from collection {item.collection}" if item.collection else "the default"
        print(f"{item.id}: {tier.value} ({source}; the item is {item.visibility})")
    finally:
        services.close()
    return 0
