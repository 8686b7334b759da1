"""The `muniment` command line: one parser, subcommands registered by small modules."""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sqlite3
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from repo.errors import MunimentError, known_cause
from repo.metadata.errors import MetadataError
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
    settings: Settings | None = None
    try:
        config = args.config or _env_config()
        settings = Settings.load(config)
        logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
        logging.getLogger("pyvips").setLevel(logging.WARNING)  # libvips narrates every operation at INFO
        handler: Handler = args.handler
        return handler(args, settings)
    except KeyboardInterrupt:
        print("muniment: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # whatever it was: one line, the traceback only with --debug
        if args.debug:
            traceback.print_exc()
        print(f"muniment: error: {_one_line(exc, settings, debug=args.debug)}", file=sys.stderr)
        return 2


def _env_config() -> Path | None:
    value = os.environ.get("MUNIMENT_CONFIG")
    return Path(value) if value else None


def _one_line(exc: BaseException, settings: Settings | None, *, debug: bool) -> str:
    """The cause in words: our own errors say it already; a failure of the machine or of the
    catalog names the path or setting at fault; anything else is a defect, named by its type."""
    if isinstance(exc, MetadataError):
        return f"{exc.problems[0].file}: the metadata record is refused\n" + "\n".join(f"  - {p}" for p in exc.problems)
    if isinstance(exc, MunimentError):
        return str(exc)
    if isinstance(exc, StorageError):  # storage's own root: one line, whatever its backend said
        return " ".join(str(exc).split())
    psycopg = sys.modules.get("psycopg")  # never imported: the error cannot be one of its
    if isinstance(exc, sqlite3.Error) or (psycopg is not None and isinstance(exc, psycopg.Error)):
        return _catalog_failure(exc, settings)
    cause = known_cause(exc)
    if cause:
        return cause
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.strerror or exc}: {exc.filename}"
    hint = "" if debug else " (--debug shows the traceback)"
    return f"unexpected {type(exc).__name__}: {exc}{hint}"


def _catalog_failure(exc: Exception, settings: Settings | None) -> str:
    url = settings.catalog_url if settings else ""
    reason = known_cause(exc) or str(exc).strip().splitlines()[0]
    if url.startswith("sqlite:///"):
        folder = Path(url[len("sqlite:///") :]).parent
        # SQLite says "disk I/O error" when its shared-memory file cannot grow on a full disk,
        # and "unable to open database file" when its folder refuses this account.
        if "disk" in reason and folder.is_dir() and shutil.disk_usage(folder).free < 1024 * 1024:
            reason = "disk full: the catalog cannot grow"
        elif folder.is_dir() and not os.access(folder, os.W_OK | os.X_OK):
            reason = f"permission denied: {folder}"
    return f"{reason}: {_catalog_name(url) if url else 'the catalog'} (MUNIMENT_DATABASE_URL)"


def _catalog_name(url: str) -> str:
    """The SQLite file, or the database URL without its password."""
    if url.startswith("sqlite:///"):
        return url[len("sqlite:///") :]
    parsed = urlsplit(url)
    if parsed.password is None:
        return url
    return urlunsplit(parsed._replace(netloc=parsed.netloc.replace(f":{parsed.password}@", ":***@")))


if __name__ == "__main__":
    sys.exit(main())
