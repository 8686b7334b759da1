"""Every subcommand module exposes ``register(subparsers)``; this list orders them in --help."""

from repo.cli.commands import config, serve

REGISTRY = [config.register, serve.register]
