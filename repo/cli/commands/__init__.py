"""Every subcommand module exposes ``register(subparsers)``; this list orders them in --help."""

from repo.cli.commands import config, demo, ingest, serve

REGISTRY = [ingest.register, serve.register, demo.register, config.register]
