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
    replicate,
    serve,
    token,
    user,
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
    token.register,
    user.register,
    audit.register,
]
