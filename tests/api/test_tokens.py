"""Tokens on SQLite and PostgreSQL: shown once, stored as a hash, listed without secrets, revoked;
the audit log on both; and the `muniment token` and `muniment audit` commands."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from repo.auth import Role, TokenStore, WriteLog, WriteRecord
from repo.catalog import Catalog
from repo.errors import MunimentError, NotFoundError
from repo.settings import Settings
from tests.api.helpers import open_repository


def test_tokens_are_hashed_checked_and_revoked(catalog_url: str) -> None:
    db = Catalog.open(catalog_url).db  # the catalog schema holds the token and audit tables
    try:
        store = TokenStore(db)
        text, info = store.create("harvester", Role.READER)
        assert text.startswith(f"mnt_{info.id}_") and len(text) == 60
        stored = db.query("SELECT * FROM api_tokens")
        assert len(stored) == 1 and text.split("_", 2)[2] not in str(stored), "only a hash is stored"
        principal = store.authenticate(text)
        assert principal is not None and (principal.name, principal.role) == ("harvester", Role.READER)
        assert store.authenticate(text[:-1] + ("A" if text[-1] != "A" else "B")) is None
        assert store.authenticate("mnt_" + info.id) is None and store.authenticate("") is None
        assert [t.name for t in store.list()] == ["harvester"]
        store.create("twin", Role.ADMIN)
        store.create("twin", Role.CURATOR)
        with pytest.raises(MunimentError, match="several valid tokens"):
            store.revoke("twin")
        with pytest.raises(NotFoundError):
            store.revoke("nobody")
        revoked = store.revoke("harvester")
        assert revoked.revoked and store.authenticate(text) is None
        assert store.revoke(info.id).revoked == revoked.revoked  # revoking twice changes nothing
    finally:
        db.close()


def test_the_write_log_on_both_databases(catalog_url: str) -> None:
    db = Catalog.open(catalog_url).db  # the catalog schema holds the token and audit tables
    try:
        writes = WriteLog(db)
        for n in range(5):
            writes.record(WriteRecord(actor=f"a{n % 2}", action="POST /x", target=f"t{n}", outcome=201, remote="::1"))
        newest = writes.entries(limit=2)
        assert [e.target for e in newest] == ["t4", "t3"]
        assert [e.target for e in writes.entries(limit=10, before=newest[-1].id)] == ["t2", "t1", "t0"]
        assert [e.target for e in writes.entries(actor="a1")] == ["t3", "t1"]
    finally:
        db.close()


def _muniment(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MUNIMENT_")}
    env["MUNIMENT_DATA_DIR"] = str(data)
    return subprocess.run(
        [sys.executable, "-m", "app.cli.main", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_token_and_audit_commands(tmp_path: Path) -> None:
    data = tmp_path / "data"
    created = _muniment(data, "token", "create", "--role", "curator", "--name", "Ada's scanner")
    assert created.returncode == 0, created.stderr
    token = created.stdout.splitlines()[0]
    assert token.startswith("mnt_") and "shown once" in created.stdout
    listed = _muniment(data, "token", "list")
    assert "Ada's scanner" in listed.stdout and "curator" in listed.stdout and token not in listed.stdout
    assert token.encode() not in (data / "catalog.sqlite3").read_bytes()

    for repository in open_repository(Settings(data_dir=data)):
        answer = repository.client.post(
            "/api/v1/collections", json={"slug": "maps", "title": "Maps"}, headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status_code == 201
    audit = _muniment(data, "audit")
    lines = audit.stdout.splitlines()
    assert "Ada's scanner (curator)  POST /api/v1/collections  maps  -> 201  from testclient" in lines[0]
    assert "token create" in lines[-1]

    token_id = token.split("_")[1]
    revoked = _muniment(data, "token", "revoke", token_id)
    assert revoked.returncode == 0 and "revoked" in revoked.stdout
    for repository in open_repository(Settings(data_dir=data)):
        answer = repository.client.post(
            "/api/v1/collections", json={"slug": "x", "title": "X"}, headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status_code == 401
    bad = _muniment(data, "token", "create", "--role", "owner", "--name", "x")
    assert bad.returncode != 0 and "invalid choice" in bad.stderr
