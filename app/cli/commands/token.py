"""`muniment token`: create, list and revoke admin API tokens (reader, curator, admin)."""

from __future__ import annotations

import argparse
from typing import Any

from repo.settings import Settings


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "token",
        help="create, list or revoke admin API tokens",
        description="Tokens authenticate admin API requests (Authorization: Bearer TOKEN). A token is printed once, "
        "when it is made; only a hash of it is stored. Roles: reader (sees restricted and embargoed "
        "items) < curator (ingests, edits, sets visibility) < admin (withdraws, reads the audit log).",
    )
    actions = parser.add_subparsers(dest="token_action", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="make a token and print it (once)")
    create.add_argument("--role", required=True, choices=["reader", "curator", "admin"])
    create.add_argument("--name", required=True, help="who or what uses it (shown in the audit log)")
    actions.add_parser("list", help="list tokens (never their secrets)")
    revoke = actions.add_parser("revoke", help="revoke a token")
    revoke.add_argument("token", metavar="ID_OR_NAME", help="the token's id, or its name when one valid token has it")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from app.cli.commands.audit import cli_record
    from repo.auth import Role, TokenStore, WriteLog
    from repo.services import Services

    services = Services.open(settings)
    try:
        store = TokenStore(services.catalog.db)
        writes = WriteLog(services.catalog.db)
        if args.token_action == "create":
            text, info = store.create(args.name, Role.parse(args.role))
            writes.record(cli_record("token create", info.id, f"{info.role.value} token {info.name!r}"))
            print(text)
            print(f"token {info.id} ({info.role.value}, {info.name!r}): shown once; keep it secret", flush=True)
        elif args.token_action == "list":
            tokens = store.list()
            if not tokens:
                print("no tokens")
            for t in tokens:
                state = f"revoked {t.revoked}" if t.revoked else "valid"
                print(f"{t.id}  {t.role.value:<8} {state:<28} created {t.created}  {t.name}")
        else:
            info = store.revoke(args.token)
            writes.record(cli_record("token revoke", info.id, f"{info.role.value} token {info.name!r}"))
            print(f"token {info.id} ({info.name!r}) revoked {info.revoked}")
    finally:
        services.close()
    return 0
