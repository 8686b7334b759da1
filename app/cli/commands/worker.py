"""`muniment worker`: a task worker (a Huey consumer) on any machine that reaches the catalog,
the queue and storage."""

from __future__ import annotations

import argparse
from typing import Any

from repo.settings import Settings


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "worker",
        help="run queued tasks (ingests) until stopped",
        description=(
            "Take tasks from the queue and run them. SIGTERM stops after the running task; "
            "SIGINT at once (the task is delivered again)."
        ),
    )
    parser.add_argument("--threads", type=int, help="tasks run at once (default: MUNIMENT_WORKER_THREADS)")
    parser.add_argument(
        "--parent",
        type=int,
        metavar="PID",
        help="stop, after the running task, once process PID has ended (how `muniment serve` runs its worker)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    import dataclasses

    from app.queue import queue_url
    from app.worker import Worker
    from repo.services import Services

    if args.threads is not None:
        settings = dataclasses.replace(settings, worker_threads=args.threads)
    services = Services.open(settings)
    services.check()
    worker = Worker(services, parent=args.parent)
    scheme = queue_url(settings).partition(":")[0]
    print(f"Muniment worker {worker.holder} taking tasks from the {scheme} queue", flush=True)
    try:
        worker.run()
    finally:
        services.close()
    return 0
