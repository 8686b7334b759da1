"""`muniment export`: a version of an item as a complete BagIt bag (folder, .zip or .tar)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from repo.settings import Settings


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "export",
        help="write a version of an item as a complete BagIt bag",
        description="Every file is checked against its sha512 as it is written.",
    )
    parser.add_argument("item", help="item id")
    parser.add_argument("dest", type=Path, help="a new (or empty) folder, or the archive file to write")
    parser.add_argument("--version", dest="item_version", help="version number (default: the latest)")
    kind = parser.add_mutually_exclusive_group()
    kind.add_argument("--zip", action="store_const", const="zip", dest="archive", help="write a .zip archive")
    kind.add_argument("--tar", action="store_const", const="tar", dest="archive", help="write a .tar archive")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from repo.identifiers import object_id
    from repo.lifecycle import export_bag, version_name
    from repo.services import Services

    services = Services.open(settings)
    try:
        store = services.object_store()
        oid = object_id(args.item)
        name = version_name(store, oid, args.item_version) or store.read_inventory(oid).head
        written = export_bag(store, oid, name, args.dest, args.archive, top=f"{args.item}-{name}")
    finally:
        services.close()
    print(f"{args.item} {name} exported to {written}")
    return 0
