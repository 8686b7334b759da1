"""Running a bench's rows for this checkout and for another one in the same run (an A/B).

A side is a checkout (this one, or a commit unpacked into a temporary folder) run by the same
Python: its code comes first on PYTHONPATH (the virtual environment's editable install points
elsewhere) and it is given only the ``MUNIMENT_*`` settings it knows, since an unknown one is an
error at start. The sides take turns in an A B B A order, so a drift of the machine's load falls
on both alike.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

SETTINGS_PREFIX = "MUNIMENT_"
T = TypeVar("T")

# Asked of the side's own code: the names of its Settings fields.
_LIST_SETTINGS = (
    "import dataclasses, repo.settings as s; print(' '.join(f.name for f in dataclasses.fields(s.Settings)))"
)


def code_env(root: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """An environment in which ``python`` imports the packages of ``root``."""
    return {**(os.environ if base is None else base), "PYTHONPATH": str(root)}


@dataclass(frozen=True)
class Side:
    name: str  # "this" or "against": the label of its column
    root: Path
    revision: str  # what the reader is told it is (a short commit, "-dirty" when it has changes)
    cli_module: str  # the module of its `muniment` command
    settings: frozenset[str]  # the names of its settings, lower case

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", self.cli_module, *args]

    def env(self, **settings: str) -> dict[str, str]:
        """This process's environment without any MUNIMENT_* of its own (both sides get the same
        settings: those given here), with the given settings this side knows."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(SETTINGS_PREFIX)}
        env.update({SETTINGS_PREFIX + k.upper(): v for k, v in settings.items() if k in self.settings})
        return code_env(self.root, env)

    def unknown(self, names: Sequence[str]) -> list[str]:
        return [n for n in names if n not in self.settings]


def open_side(name: str, root: Path, revision: str) -> Side:
    """A side at ``root``: its command from its pyproject.toml, its settings from its own code."""
    scripts = tomllib.loads((root / "pyproject.toml").read_text())["project"]["scripts"]
    module = scripts["muniment"].split(":")[0]
    out = subprocess.run(
        [sys.executable, "-c", _LIST_SETTINGS], cwd=root, env=code_env(root), capture_output=True, text=True
    )
    if out.returncode:
        raise SystemExit(f"cannot read the settings of {root}: {out.stderr.strip()[-500:]}")
    return Side(name, root, revision, module, frozenset(out.stdout.split()))


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True).stdout.strip()


def this_revision(root: Path) -> str:
    return git(root, "describe", "--always", "--dirty", "--abbrev=7")


def tree_stamp(root: Path, revision: str) -> str:
    """What the code of a checkout is: its commit, and a digest of its changes when it has some
    (what was made with it, such as an ingest, is made again when this changes)."""
    if not revision.endswith("-dirty"):
        return revision
    return f"{revision}:{hashlib.sha256(git(root, 'diff', 'HEAD').encode()).hexdigest()[:16]}"


@contextlib.contextmanager
def checkout_at(root: Path, revision: str) -> Iterator[tuple[Path, str]]:
    """The tree of ``revision`` unpacked into a temporary folder (and its short commit); removed after.

    ``git archive`` reads the commit without touching the repository's checkouts, index or worktree
    list, which other work may be using at the same time."""
    try:
        commit = git(root, "rev-parse", "--verify", "--short=7", f"{revision}^{{commit}}")
    except subprocess.CalledProcessError:
        raise SystemExit(f"--against {revision}: no such commit in {root}") from None
    folder = Path(tempfile.mkdtemp(prefix=f"muniment-bench-{commit}-"))
    try:
        with subprocess.Popen(
            ["git", "-C", str(root), "archive", "--format=tar", commit], stdout=subprocess.PIPE
        ) as git_archive:
            assert git_archive.stdout is not None
            with tarfile.open(fileobj=git_archive.stdout, mode="r|") as tar:
                tar.extractall(folder, filter="data")
        if git_archive.returncode:
            raise SystemExit(f"git archive {commit} failed ({git_archive.returncode})")
        yield folder, commit
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def turns(sides: Sequence[T], round_: int, row: int) -> list[T]:
    """The order of the sides for one row of one round: A B in one, B A in the next (A B B A over
    two rounds), starting the other way on every other row, so neither side always goes first."""
    return list(sides) if (round_ + row) % 2 == 0 else list(reversed(sides))


def spread(values: Sequence[float]) -> float:
    """How far the rounds of one figure lie apart: (largest - smallest) / median; 0 for one round."""
    return (max(values) - min(values)) / statistics.median(values) if len(values) > 1 else 0.0
