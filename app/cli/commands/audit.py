"""`muniment audit`: the audit log of writes (admin API requests and token changes), newest first."""

from __future__ import annotations

import argparse
import getpass
import json
import socket
from typing import Any

from repo.auth import WriteRecord
from repo.settings import Settings


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "audit",
        help="show the audit log of writes: who, what, when, from where",
        description="Every write through the admin API (and every token created or revoked) is logged with the "
        "token's name and role, the request, the client address and the outcome (HTTP status).",
    )
    parser.add_argument("--limit", type=int, default=50, help="how many entries (default 50)")
    parser.add_argument("--actor", help="only this token name (or OS account)")
    parser.add_argument("--target", help="only this item, collection, job or token")
    parser.add_argument("--json", action="store_true", help="JSON lines instead of text")
    parser.set_defaults(handler=run)


def cli_record(action: str, target: str, detail: str, outcome: int = 0) -> WriteRecord:
    """A write made (or refused: ``outcome`` the exit status) on the command line: the OS account, from this host."""
    return WriteRecord(
        actor=getpass.getuser(),
        action=action,
        target=target,
        outcome=outcome,
        remote=f"cli@{socket.gethostname()}",
        detail=detail,
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    from repo.auth import WriteLog
    from repo.services import Services

    services = Services.open(settings)
    try:
        entries = WriteLog(services.catalog.db).entries(limit=max(1, args.limit), actor=args.actor, target=args.target)
    finally:
        services.close()
    for e in entries:
        if args.json:
            print(json.dumps(e.to_json()))
        else:
            who = f"{e.actor} ({e.role})" if e.role else e.actor
            print(
                f"{e.at}  {who}  {e.action}  {e.target or '-'}  -> {e.outcome}  from {e.remote or '?'}"
                + (f"  {e.detail}" if e.detail else "")
            )
    if not entries and not args.json:
        print("the audit log is empty")
    return 0
