"""Every subcommand module exposes ``register(subparsers)``; this list orders them in --help."""

from app.cli.commands import (
    audit,
    config,
    demo,
    edit,
    export,
    fixity,
    history,
    ingest,
    jobs,
    purge,
    rebuild_catalog,
    replicate,
    serve,
    token,
    withdraw,
    worker,
)

REGISTRY = [
    ingest.register,
    serve.register,
    worker.register,
    jobs.register,
    demo.register,
    config.register,
    edit.register,
    history.register,
    export.register,
    withdraw.register,
    purge.register,
    fixity.register,
    replicate.register,
    rebuild_catalog.register,
    token.register,
    audit.register,
]
