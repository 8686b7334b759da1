"""The one-way architecture (ARCHITECTURE.md): app -> ingest, iiif -> repo -> storage, checked by
import-linter's contracts in pyproject.toml, so that an upward import fails the suite."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("app", "ingest", "iiif", "repo", "storage")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    binary = Path(sys.executable).parent / "lint-imports"
    return subprocess.run(
        [str(binary), "--no-cache"], cwd=cwd, capture_output=True, text=True, env={"PYTHONPATH": str(cwd)}, timeout=300
    )


def test_the_import_contracts_hold() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken." in result.stdout


def test_an_upward_import_breaks_them(tmp_path: Path) -> None:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("static", "templates", "*.pyc")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    lifecycle = tmp_path / "repo" / "lifecycle" / "edit.py"
    # The kind of import that once hid a cycle: inside a function, out of sight at the top.
    lifecycle.write_text(lifecycle.read_text() + "\n\ndef _upward() -> None:\n    import ingest.runner  # noqa\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert "repo.lifecycle.edit -> ingest.runner" in result.stdout


def test_no_import_hides_from_the_contracts() -> None:
    hidden = re.compile(r"__import__\(|importlib\.import_module\(")
    offenders = [
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if hidden.search(path.read_text())
    ]
    assert offenders == []
