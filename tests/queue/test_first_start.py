"""The compose deployment's first start, outside Docker: `muniment serve` and `muniment worker`
started at the same moment against a SeaweedFS without Muniment's buckets and an empty PostgreSQL
database, as docker-compose.yml sets them up (MUNIMENT_CREATE_BUCKETS on, no task worker inside
serve). They create the buckets, migrate the catalog once, and a queued ingest is served."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.ingest.conftest import make_item
from tests.servers.ports import free_port, stop_process_group, wait_for_port
from tests.servers.postgres import PostgresServer
from tests.servers.seaweedfs import ACCESS_KEY, SECRET_KEY, SeaweedFS

ROOT = Path(__file__).resolve().parents[2]


def muniment(env: dict[str, str], *args: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "app.cli.main", *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def get(url: str, token: str = "") -> dict[str, object]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


@pytest.mark.slow
def test_serve_and_worker_start_on_empty_storage_and_database_and_ingest(
    postgres: PostgresServer, seaweedfs: SeaweedFS, tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:12]
    buckets = (f"preservation-{tag}", f"access-{tag}")
    assert not ({b["Name"] for b in seaweedfs.client().list_buckets()["Buckets"]} & set(buckets))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MUNIMENT_")}
    env.update(
        {
            "MUNIMENT_DATA_DIR": str(tmp_path / "data"),
            "MUNIMENT_DATABASE_URL": postgres.create_database(f"first_{tag}"),
            "MUNIMENT_PRESERVATION_STORAGE": f"s3://{buckets[0]}",
            "MUNIMENT_ACCESS_STORAGE": f"s3://{buckets[1]}",
            "MUNIMENT_S3_ENDPOINT": seaweedfs.endpoint,
            "MUNIMENT_S3_ACCESS_KEY": ACCESS_KEY,
            "MUNIMENT_S3_SECRET_KEY": SECRET_KEY,
            "MUNIMENT_CREATE_BUCKETS": "true",
            "MUNIMENT_SERVE_WORKER": "false",
            "MUNIMENT_WORKERS": "1",
            "MUNIMENT_INGEST_WORKERS": "1",
            "MUNIMENT_PORT": str(port),
            "MUNIMENT_BASE_URL": f"http://127.0.0.1:{port}",
            "MUNIMENT_WORKER_HEARTBEAT": str(tmp_path / "worker-alive"),
            "MUNIMENT_QUEUE_LEASE_SECONDS": "3",
        }
    )
    log = tmp_path / "processes.log"
    processes = [muniment(env, "serve", log=log), muniment(env, "worker", log=log), muniment(env, "worker", log=log)]
    try:
        wait_for_port(port, timeout=60)
        assert get(f"http://127.0.0.1:{port}/healthz") == {"status": "ok"}
        assert set(buckets) <= {b["Name"] for b in seaweedfs.client().list_buckets()["Buckets"]}
        token = subprocess.run(
            [sys.executable, "-m", "app.cli.main", "token", "create", "--role", "curator", "--name", "first"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()[0]  # the secret, printed once; then a line about it
        folder = make_item(tmp_path / "scans" / "letter", ["p1.tif", "p2.tif"], title="A first letter")
        queued = subprocess.run(
            [sys.executable, "-m", "app.cli.main", "ingest", str(folder), "--collection", "letters", "--queue"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        job_id = queued.split()[2].rstrip(":")
        deadline = time.monotonic() + 120
        while (job := get(f"http://127.0.0.1:{port}/api/v1/jobs/{job_id}", token))["state"] not in (
            "succeeded",
            "failed",
        ):
            assert time.monotonic() < deadline, job
            time.sleep(0.3)
        assert job["state"] == "succeeded", job
        item = job["tasks"][0]["item_id"]  # type: ignore[index]
        manifest = get(f"http://127.0.0.1:{port}/iiif/{item}/manifest")
        assert len(manifest["items"]) == 2  # type: ignore[arg-type]
        assert all(p.poll() is None for p in processes), log.read_text()[-3000:]
        assert time.time() - (tmp_path / "worker-alive").stat().st_mtime < 3, "the healthcheck's heartbeat"
    finally:
        for process in processes:
            stop_process_group(process, timeout=15)
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]
