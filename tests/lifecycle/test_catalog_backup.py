"""API tokens, the audit log and job records are the catalog's own (storage does not hold them): the
README's backup and restore, run as written, brings them back beside a catalog rebuilt from storage."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from app.web import create_app
from repo.auth import Role, TokenStore, WriteLog
from repo.services import Services
from repo.settings import Settings
from tests.audit.conftest import ingest_pages
from tests.foundation.test_cli import muniment


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_catalog_backup_restores_tokens_and_the_audit_log_after_a_rebuild(
    database: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    data = tmp_path / "data"
    env = {"MUNIMENT_DATA_DIR": str(data), "MUNIMENT_INGEST_WORKERS": "2"}
    if database == "postgresql":
        server = request.getfixturevalue("postgres")
        env["MUNIMENT_DATABASE_URL"] = server.create_database(f"t_{uuid.uuid4().hex[:12]}")
    settings = Settings.load(environ=env)
    services = Services.open(settings)
    try:
        ingest_pages(services, tmp_path, pages=1, name="before", seed=1)
        token, _ = TokenStore(services.catalog.db).create("archivist", Role.CURATOR)
        with TestClient(create_app(settings, services)) as client:
            renamed = client.patch(
                "/api/v1/collections/letters",
                json={"title": "Letters of the Parish"},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert renamed.status_code == 200
    finally:
        services.close()

    backup = tmp_path / "backup"
    if database == "sqlite":  # the README's commands
        run("sqlite3", str(data / "catalog.sqlite3"), f".backup '{backup}'")
    else:
        run("pg_dump", "--format=custom", *TABLES, f"--file={backup}", env["MUNIMENT_DATABASE_URL"])

    services = Services.open(settings)
    try:
        ingest_pages(services, tmp_path, pages=1, name="after", seed=2)  # stored after the backup
    finally:
        services.close()

    # The catalog is lost; storage remains.
    if database == "sqlite":
        for path in data.glob("catalog.sqlite3*"):
            path.unlink()
    else:
        env["MUNIMENT_DATABASE_URL"] = request.getfixturevalue("postgres").create_database(f"t_{uuid.uuid4().hex[:12]}")
    rebuilt = muniment("rebuild-catalog", env=env)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "1 collections, 2 items" in rebuilt.stdout
    assert "API tokens, the audit log and job records are the catalog's own" in rebuilt.stdout

    if database == "sqlite":
        for path in data.glob("catalog.sqlite3-*"):  # -wal and -shm of the rebuilt catalog
            path.unlink()
        shutil.copyfile(backup, data / "catalog.sqlite3")
        again = muniment("rebuild-catalog", "--replace", env=env)
        assert again.returncode == 0 and "2 items" in again.stdout, again.stdout + again.stderr
        assert "catalog's own" not in again.stdout
    else:
        run("pg_restore", "--clean", "--if-exists", f"--dbname={env['MUNIMENT_DATABASE_URL']}", str(backup))

    services = Services.open(Settings.load(environ=env))
    try:
        principal = TokenStore(services.catalog.db).authenticate(token)
        assert principal is not None and principal.name == "archivist"
        writes = WriteLog(services.catalog.db).entries()
        assert [(w.action, w.target, w.actor) for w in writes] == [
            ("PATCH /api/v1/collections/{slug}", "letters", "archivist")
        ]
        assert services.catalog.count_items() == 2
        letters = services.catalog.get_collection("letters")
        assert letters is not None and letters.title == "Letters of the Parish"
    finally:
        services.close()


TABLES = ("--table=api_tokens", "--table=api_audit", "--table=jobs", "--table=job_tasks")


def run(*command: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, env=dict(os.environ))
    assert done.returncode == 0, f"{command[0]}: {done.stderr}"
