"""`muniment serve`: the web application (pages, IIIF, OAI-PMH, admin API) under uvicorn."""

from __future__ import annotations

import argparse
import dataclasses
import os
import socket
import subprocess
import sys
from typing import Any

from repo.settings import Settings

DEFAULT_BASE_URL: str = next(f.default for f in dataclasses.fields(Settings) if f.name == "base_url")  # type: ignore[assignment]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("serve", help="serve the web application, IIIF, OAI-PMH and the API")
    parser.add_argument("--host", help="listen address (default: MUNIMENT_HOST)")
    parser.add_argument("--port", type=int, help="listen port (default: MUNIMENT_PORT)")
    parser.add_argument("--workers", type=int, help="worker processes (default: MUNIMENT_WORKERS, 0 = cores)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from repo.services import Services

    Services.open(settings).check()  # fail with one clear line before forking workers
    workers = settings.effective_workers(args.workers if args.workers is not None else settings.workers)
    if args.config:
        # Workers are new processes: they rebuild the same Settings from the same sources.
        os.environ["MUNIMENT_CONFIG"] = str(args.config.resolve())
    host = args.host or settings.host
    port = args.port or settings.port
    public = _follow_server(settings, host, port)
    if public != settings.base_url:
        # Web workers and the task worker are new processes: they read the same environment.
        os.environ["MUNIMENT_BASE_URL"] = public
        settings = dataclasses.replace(settings, base_url=public)
    print(f"Muniment serving at http://{host}:{port} with {workers} worker(s); public URL {public}", flush=True)
    # No web worker runs a task: one task worker process beside them (MUNIMENT_SERVE_WORKER).
    consumer = _start_task_worker(args) if settings.serve_worker else None
    try:
        _serve(uvicorn, host, port, workers, settings)
    finally:
        if consumer is not None:
            consumer.terminate()  # SIGTERM: the worker stops after its running task
            try:
                consumer.wait(timeout=60)
            except subprocess.TimeoutExpired:
                consumer.kill()
    return 0


def _follow_server(settings: Settings, host: str, port: int) -> str:
    """The public URL: the setting, unless left at its default; then the address served, so that
    `muniment serve --port 8011` writes :8011 into manifests, pages and OAI-PMH."""
    if settings.base_url != DEFAULT_BASE_URL:
        return settings.base_url
    if host in ("0.0.0.0", "::", ""):  # every interface: the name other machines know it by
        host = socket.gethostname()
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


def _start_task_worker(args: argparse.Namespace) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "app.cli.main"]
    if args.config:
        command += ["--config", str(args.config.resolve())]
    # Killed with -9, serve cannot stop its worker: the worker watches for that itself.
    return subprocess.Popen([*command, "worker", "--parent", str(os.getpid())])


def _serve(uvicorn: Any, host: str, port: int, workers: int, settings: Settings) -> None:
    uvicorn.run(
        "app.web.asgi:create_app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level.lower(),
        access_log=False,
        # Forwarded headers are the application's (app/web/forwarded.py: only from trusted proxies,
        # keeping which proxy spoke); uvicorn would otherwise believe 127.0.0.1's.
        proxy_headers=False,
        loop="uvloop",  # explicit: a missing package fails loudly instead of falling back to slower defaults
        http="httptools",
        server_header=False,
    )
