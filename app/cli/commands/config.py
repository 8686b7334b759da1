"""`muniment config`: the effective settings, secrets masked, and a check of storage and catalog."""

from __future__ import annotations

import argparse
from typing import Any

from repo.settings import Settings


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("config", help="print the effective settings (secrets masked)")
    parser.add_argument("--check", action="store_true", help="also check that storage and the catalog answer")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    rows = settings.describe()
    width = max(len(name) for name, _, _ in rows)
    for name, value, _help in rows:
        print(f"{name.ljust(width)}  {value}")
    if args.check:
        from repo.services import Services

        services = Services.open(settings)
        try:
            services.check()
        finally:
            services.close()
        print("storage and catalog: ok")
    return 0
