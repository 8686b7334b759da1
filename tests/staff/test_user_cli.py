"""`muniment user create` makes an account that can sign in; bad input is one clear line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from repo.auth.users import UserStore
from repo.catalog import Catalog


def _muniment(data: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MUNIMENT_DATA_DIR": str(data)}
    command = [sys.executable, "-m", "app.cli.main", *args]
    return subprocess.run(command, input=stdin, env=env, capture_output=True, text=True, timeout=60)


def test_user_create_reads_the_password_from_stdin(tmp_path: Path) -> None:
    made = _muniment(
        tmp_path, "user", "create", "ada", "--role", "curator", "--password-stdin", stdin="a long password\n"
    )
    assert made.returncode == 0, made.stderr
    assert "user ada (curator) created" in made.stdout
    catalog = Catalog.open(f"sqlite:///{tmp_path / 'catalog.sqlite3'}")
    try:
        user = UserStore(catalog.db).authenticate("ada", "a long password", "127.0.0.1")
        assert user.role.value == "curator"
    finally:
        catalog.close()
    again = _muniment(
        tmp_path, "user", "create", "ada", "--role", "admin", "--password-stdin", stdin="another password\n"
    )
    assert again.returncode == 2 and again.stderr.strip() == "muniment: error: user 'ada' already exists"
    short = _muniment(tmp_path, "user", "create", "bob", "--role", "reader", "--password-stdin", stdin="short\n")
    assert short.returncode == 2 and "password: at least 10 characters" in short.stderr
    listed = _muniment(tmp_path, "user", "list")
    assert "ada" in listed.stdout and "bob" not in listed.stdout
