"""`muniment serve` on the demo collection, in a folder of its own, for the browser test."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from repo.catalog import Catalog, Item
from tests.servers.ports import free_port

MUNIMENT = str(Path(sys.executable).parent / "muniment")


def load_demo_collection(env: dict[str, str]) -> None:
    """The data the server shows: the demo collection made and ingested by ``muniment demo``.

    The one place to change if the browser test should run on other data.
    """
    subprocess.run([MUNIMENT, "demo", "--no-serve"], env=env, check=True, capture_output=True, timeout=900)


@dataclass
class DemoServer:
    base_url: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    log: Path

    @classmethod
    def start(cls, data_dir: Path) -> DemoServer:
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "MUNIMENT_DATA_DIR": str(data_dir),
            "MUNIMENT_BASE_URL": base_url,
            "MUNIMENT_HOST": "127.0.0.1",
            "MUNIMENT_PORT": str(port),
            "MUNIMENT_WORKERS": "1",
            "MUNIMENT_LOG_LEVEL": "WARNING",
        }
        load_demo_collection(env)
        log = data_dir / "serve.log"
        with log.open("wb") as out:
            process = subprocess.Popen([MUNIMENT, "serve"], env=env, stdout=out, stderr=subprocess.STDOUT)
        server = cls(base_url, data_dir, process, log)
        server._wait_until_up()
        return server

    def _wait_until_up(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"muniment serve exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"muniment serve did not answer in {timeout}s: {self.log.read_text()[-2000:]}")

    def items(self) -> list[Item]:
        catalog = Catalog.open(f"sqlite:///{self.data_dir / 'catalog.sqlite3'}")
        try:
            return catalog.list_items()
        finally:
            catalog.close()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
