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
    purge,
    rebuild_catalog,
    recover,
    replicate,
    serve,
    token,
    withdraw,
)

REGISTRY = [
    ingest.register,
    serve.register,
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
    recover.register,
    token.register,
    audit.register,
]
