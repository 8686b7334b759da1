"""`muniment demo`: make the sample collection, ingest it, and serve it (what `make demo` runs)."""

from __future__ import annotations

import argparse
from typing import Any

from repo.settings import Settings


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("demo", help="make and ingest the sample collection, then serve it")
    parser.add_argument("--no-serve", action="store_true", help="stop after ingesting")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from ingest.context import ItemSource
    from ingest.runner import Ingester
    from repo.demo.samples import make_collection
    from repo.lifecycle.collections import ensure_collection
    from repo.services import Services

    samples = make_collection(settings.data_dir / "samples")
    services = Services.open(settings)
    ensure_collection(services, "books", "Printed Books", "Books printed in the parish.")
    ensure_collection(services, "manuscripts", "Manuscripts and Plates", "Letters and engraved plates.")
    ingester = Ingester(services)
    ingested: list[str] = []
    try:
        for sample in samples:
            result = ingester.ingest(ItemSource(sample.folder, sample.collection))
            print(f"{result.status}: {sample.title} -> {result.item_id}", flush=True)
            if result.status == "failed":
                for problem in result.problems:
                    print(f"    {problem}")
                return 1
            if result.status == "ingested" and result.item_id:
                ingested.append(result.item_id)
        from app.cli.commands.ocr import queue_after_ingest

        queue_after_ingest(services, ingested)  # read by the worker that `serve` starts
    finally:
        ingester.close()
        services.close()
    _demo_curator(settings)
    if args.no_serve:
        return 0
    from app.cli.commands import serve

    return serve.run(argparse.Namespace(host=None, port=None, workers=None, config=args.config), settings)


DEMO_USER, DEMO_PASSWORD = "curator", "demo-curator-password"


def _demo_curator(settings: Settings) -> None:
    """A curator account for trying the staff pages: a known password, fit for a demo only."""
    from repo.auth import Role
    from repo.auth.users import UserStore
    from repo.services import Services

    services = Services.open(settings)
    try:
        users = UserStore(services.catalog.db)
        if users.get(DEMO_USER) is None:
            users.create(DEMO_USER, Role.CURATOR, DEMO_PASSWORD)
    finally:
        services.close()
    print(
        f"Staff pages: {settings.base_url}/staff/ - sign in as {DEMO_USER!r} with the password "
        f"{DEMO_PASSWORD!r} (a demo account: make your own with `muniment user create NAME --role curator`)",
        flush=True,
    )
