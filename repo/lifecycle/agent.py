"""Who does a lifecycle operation: the operating-system account running the command."""

from __future__ import annotations

import getpass
import socket

from repo.preservation import User


def os_user() -> User:
    """The OCFL version user: the account name, with ``user@host`` as its (mailto) address."""
    name = getpass.getuser()
    return User(name, f"mailto:{name}@{socket.gethostname()}")
