"""`muniment fixity`: check stored files against their OCFL sha512, repairing from the other copy;
objects' inventories, stray files and access derivatives too (derivatives made again by ingest's
``make_derivatives``, which the domain may not import)."""

from __future__ import annotations

import argparse
import json
import re
from datetime import UTC, datetime
from functools import partial
from typing import Any

from app.cli.commands._preservation import opened_preservation
from repo.settings import Settings

_UNITS = {"": 1, "k": 1000, "m": 1000**2, "g": 1000**3, "t": 1000**4}


def byte_count(text: str) -> int:
    """``500M``, ``2G``, ``10000``: decimal units, as the report prints them."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)b?\s*", text.lower())
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size such as 500M or 20G")
    return int(float(match.group(1)) * _UNITS[match.group(2)])


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "fixity",
        help="check stored files against their sha512 (oldest-checked first) and repair from the replica",
        description="Stream stored content files, least recently checked first, and compare them with the OCFL "
        "inventory's sha512. A damaged file, inventory or sidecar is restored from the other copy once that "
        "copy verifies; stray files in an object are reported; missing or unreadable access derivatives are "
        "made again. Exit status 1 when any check failed (repaired or not).",
    )
    parser.add_argument("--item", help="check only this item's files")
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument("--max-bytes", type=byte_count, help="stop after starting this much (e.g. 50G)")
    budget.add_argument("--max-seconds", type=float, help="stop starting files after this many seconds")
    parser.add_argument(
        "--report", action="store_true", help="check nothing; list failures, files never checked and files overdue"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from ingest.derivatives import make_derivatives as make_at
    from repo.audit import Budget, FixityAudit, build_report, format_report

    make_derivatives = partial(make_at, quality=settings.pyramid_quality)

    with opened_preservation(settings) as preservation:
        if args.item:
            preservation.catalog.require_item(args.item)
        audit = FixityAudit(preservation, make_derivatives=make_derivatives)
        if args.report:
            audit.sync()
            report = build_report(preservation, settings.fixity_cycle_days, datetime.now(UTC))
            print(json.dumps(report.to_json(), indent=2) if args.json else format_report(report))
            return 0 if report.ok else 1
        result = audit.run(item_id=args.item, budget=Budget(args.max_bytes, args.max_seconds))
    rows = {"repaired": result.repaired, "failed": result.failed}
    if args.json:
        print(
            json.dumps(
                {
                    "checked": result.checked,
                    "objects": result.objects,
                    "bytes": result.bytes,
                    "seconds": round(result.seconds, 3),
                    "budget_spent": result.budget_spent,
                    **{
                        k: [{"item": r.item_id, "copy": r.copy, "path": r.content_path, "detail": r.detail} for r in v]
                        for k, v in rows.items()
                    },
                },
                indent=2,
            )
        )
    else:
        print(
            f"checked {result.checked} files ({result.bytes / 1e6:.1f} MB) of {result.objects} object copies in "
            f"{result.seconds:.1f} s: {result.files_ok} files ok, {len(result.repaired)} repaired, "
            f"{len(result.failed)} failed"
        )
        for label, items in (("REPAIRED", result.repaired), ("FAILED", result.failed)):
            for r in items:
                print(f"  {label}  {r.item_id}  {r.copy}  {r.content_path}: {r.detail}")
        if result.both_bad:
            print(
                "!" * 78 + f"\n!!! BOTH COPIES BAD for {len(result.both_bad)} file(s): NOTHING WAS OVERWRITTEN. "
                "Restore them from a backup.\n" + "!" * 78
            )
        if result.budget_spent:
            print("budget spent; the rest is checked by the next run (muniment fixity --report shows what is due)")
    return 0 if result.clean else 1
