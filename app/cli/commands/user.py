"""`muniment user`: staff accounts for the staff pages (the API keeps its tokens)."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from repo.errors import MunimentError
from repo.settings import Settings


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "user",
        help="create or list staff accounts (sign-in to /staff)",
        description="Staff accounts sign in at /staff. Roles: reader < curator (ingests, edits, collections) "
        "< admin (withdrawals, users, tokens, the audit log). Passwords are stored as scrypt hashes.",
    )
    actions = parser.add_subparsers(dest="user_action", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="make an account; asks for its password")
    create.add_argument("name")
    create.add_argument("--role", required=True, choices=["reader", "curator", "admin"])
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input (for scripts)"
    )
    actions.add_parser("list", help="list accounts")
    parser.set_defaults(handler=run)


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise MunimentError("the two passwords differ: nothing was created")
    return first


def run(args: argparse.Namespace, settings: Settings) -> int:
    from app.cli.commands.audit import cli_record
    from repo.auth import Role, WriteLog
    from repo.auth.users import UserStore
    from repo.services import Services

    services = Services.open(settings)
    try:
        users = UserStore(services.catalog.db)
        if args.user_action == "create":
            user = users.create(args.name, Role.parse(args.role), read_password(args.password_stdin))
            WriteLog(services.catalog.db).record(cli_record("user create", user.name, f"{user.role.value} account"))
            print(f"user {user.name} ({user.role.value}) created: sign in at {settings.base_url}/staff/")
        else:
            for u in users.list():
                state = f"disabled {u.disabled}" if u.disabled else "active"
                print(f"{u.name:<24} {u.role.value:<8} {state:<28} last sign-in {u.last_sign_in or 'never'}")
    finally:
        services.close()
    return 0
