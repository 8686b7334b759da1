"""The `muniment` command line: one parser, subcommands registered by small modules."""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from repo.errors import MunimentError
from repo.settings import Settings
from repo.version import __version__
from storage.errors import StorageError

Handler = Callable[[argparse.Namespace, Settings], int]


def build_parser() -> argparse.ArgumentParser:
    from app.cli import commands

    parser = argparse.ArgumentParser(
        prog="muniment",
        description="Muniment: ingest, preserve and serve digitized collections (BagIt, OCFL, IIIF, OAI-PMH).",
    )
    parser.add_argument("--version", action="version", version=f"muniment {__version__}")
    parser.add_argument("--config", type=Path, help="TOML settings file (MUNIMENT_* variables override it)")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for register in commands.REGISTRY:
        register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        config = args.config or _env_config()
        settings = Settings.load(config)
        logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
        logging.getLogger("pyvips").setLevel(logging.WARNING)  # libvips narrates every operation at INFO
        handler: Handler = args.handler
        return handler(args, settings)
    except (MunimentError, StorageError, OSError) as exc:
        if args.debug:
            traceback.print_exc()
        print(f"muniment: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("muniment: interrupted", file=sys.stderr)
        return 130


def _env_config() -> Path | None:
    import os

    value = os.environ.get("MUNIMENT_CONFIG")
    return Path(value) if value else None


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.filename and not isinstance(exc, StorageError):
        return f"{exc.strerror or exc}: {exc.filename}"
    return str(exc)


if __name__ == "__main__":
    sys.exit(main())
