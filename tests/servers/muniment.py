"""`muniment serve` as a real subprocess on a free 127.0.0.1 port, for end-to-end tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.servers.ports import free_port, stop_process_group, wait_for_port


class MunimentServer:
    def __init__(self, data_dir: Path, *, workers: int = 1, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("MUNIMENT_")}
        self.env.update(
            {
                "MUNIMENT_DATA_DIR": str(data_dir),
                "MUNIMENT_BASE_URL": self.base_url,
                "MUNIMENT_PORT": str(self.port),
                "MUNIMENT_WORKERS": str(workers),
            }
        )
        self.env.update(env or {})
        self.log = data_dir / "serve.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> MunimentServer:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "app.cli.main", "serve"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            wait_for_port(self.port, timeout=60)
        except TimeoutError:
            self.stop()
            raise RuntimeError(f"muniment serve did not start: {self.log.read_text()[-2000:]}") from None
        return self

    def stop(self) -> None:
        if self.process is None:
            return
        stop_process_group(self.process, timeout=15)
        self.process = None
