"""`muniment recover`: return every object to a valid state after a crash, and say what was done."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from repo.settings import Settings

if TYPE_CHECKING:
    from repo.services import Services


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "recover",
        help="finish or roll back interrupted writes in every object and remove what crashed writers left",
        description="Walks every object root and the staging folder of the preservation storage (and of the "
        "replica): a commit whose root inventory was written is finished, one whose was not is rolled back, "
        "temporary files of crashed writers are removed (also from access storage), and every object is then "
        "checked byte by byte. Prints one line per object repaired or invalid; exit status 1 when any object "
        "is invalid. Run it when no ingest or edit is under way.",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from repo.preservation.ocfl_recovery import Recovered, recover_root
    from repo.services import Services

    services = Services.open(settings)
    try:
        copies = [("preservation", services.preservation)]
        copies += [("replica", services.replica)] if services.replica is not None else []
        results: list[tuple[str, Recovered]] = []
        for copy, storage in copies:
            results += [(copy, r) for r in recover_root(services.object_store(storage))]
        access = services.access.discard_temporary("")
        uncatalogued = [
            r.recovery.object_id
            for copy, r in results
            if copy == "preservation" and r.committed and not r.problems
            if not _catalogued(services, r.recovery.object_id)
        ]
    finally:
        services.close()
    repaired = [(c, r) for c, r in results if r.recovery.changed or r.problems]
    invalid = sum(bool(r.problems) for _, r in results)
    recovered = sum(bool(r.recovery.object_root) and not r.problems for _, r in repaired)
    if args.json:
        doc = {
            "objects": sum(r.committed for _, r in results),
            "repaired": [
                {"copy": c, **r.recovery.to_json(), "problems": [list(p) for p in r.problems]} for c, r in repaired
            ],
            "access_removed": access,
            "uncatalogued": uncatalogued,
        }
        print(json.dumps(doc, indent=2))
    else:
        for copy, r in repaired:
            if r.problems:
                done = f"; {r.recovery.summary()}" if r.recovery.changed else ""
                print(f"INVALID {copy} {r.recovery.object_id}: {len(r.problems)} problem(s){done}")
            else:
                print(f"recovered {copy} {r.recovery.object_id}: {r.recovery.summary()}")
            for problem in r.problems:
                print(f"  {problem.key}: {problem.reason}")
        if access:
            print(f"recovered access: removed {len(access)} leftover file{'s' * (len(access) != 1)}")
        for object_id in uncatalogued:
            print(f"  {object_id} is stored but not catalogued: run its ingest again to register it")
        objects = sum(r.committed for _, r in results)
        print(f"checked {objects} objects: {recovered} recovered, {invalid} invalid")
    return 1 if invalid else 0


def _catalogued(services: Services, object_id: str) -> bool:
    from repo.identifiers import item_id_from_object

    try:
        return services.catalog.get_item(item_id_from_object(object_id)) is not None
    except ValueError:  # not an object Muniment made
        return True
