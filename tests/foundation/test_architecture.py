"""The one-way architecture (ARCHITECTURE.md): app -> ingest, iiif -> repo -> storage, checked by
import-linter's contracts in pyproject.toml, so that an upward import fails the suite."""

from __future__ import annotations

import ast
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
    assert "Contracts: 3 kept, 0 broken." in result.stdout


def test_an_upward_import_breaks_them(tmp_path: Path) -> None:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("static", "templates", "*.pyc")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    lifecycle = tmp_path / "repo" / "lifecycle" / "edit.py"
    # The kind of import that once hid a cycle: inside a function, out of sight at the top.
    lifecycle.write_text(lifecycle.read_text() + "\n\ndef _upward() -> None:\n    import ingest.runner  # noqa\n")
    # And the cycle inside repo that the catalog's full-text index once made: the catalog reading search.
    item_list = tmp_path / "repo" / "catalog" / "item_list.py"
    item_list.write_text(item_list.read_text() + "\n\ndef _cycle() -> None:\n    import repo.search.query  # noqa\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert "repo.lifecycle.edit -> ingest.runner" in result.stdout
    assert "repo.catalog.item_list -> repo.search.query" in result.stdout


def test_no_import_hides_from_the_contracts() -> None:
    hidden = re.compile(r"__import__\(|importlib\.import_module\(")
    offenders = [
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if hidden.search(path.read_text())
    ]
    assert offenders == []


# SQL in a string: what the catalog's statements begin with, or their unmistakable middles.
_SQL = re.compile(
    r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|WITH)\s|\b(INSERT\s+INTO|DELETE\s+FROM|UPDATE\s+\w+\s+SET)\b"
    r"|\bSELECT\s.+\sFROM\s"
)
# Where SQL may be: the catalog owns the schema and every statement (ARCHITECTURE.md).
_SQL_HOMES = ("repo/catalog/",)
_SQL_KNOWN = {
    # Huey's own tables on the catalog's PostgreSQL server (an advisory lock around their creation):
    # the queue's storage, not the catalog's.
    "app/queue.py",
}


def _sql_in(path: Path, root: Path = ROOT) -> list[str]:
    """Each string holding SQL, and each statement run on a database handle, as ``file:line: what``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and _SQL.search(node.value):
            found.append(f"{path.relative_to(root)}:{node.lineno}: {node.value.strip()[:60]!r}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("execute", "executemany", "query", "query_one")
            and isinstance(node.func.value, ast.Attribute | ast.Name)
            and (node.func.value.attr if isinstance(node.func.value, ast.Attribute) else node.func.value.id)
            in ("db", "conn", "connection", "cursor")
        ):
            found.append(f"{path.relative_to(root)}:{node.lineno}: .{node.func.attr}(...)")
    return found


def test_only_the_catalog_issues_sql() -> None:
    offenders = [
        hit
        for package in ("app", "ingest", "iiif", "repo")
        for path in sorted((ROOT / package).rglob("*.py"))
        if not str(path.relative_to(ROOT)).startswith((*_SQL_HOMES, *_SQL_KNOWN))
        for hit in _sql_in(path)
    ]
    assert offenders == []


def test_the_sql_check_sees_statements_and_calls_but_not_prose(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "def f(db):\n"
        '    db.query_one(f"SELECT id FROM items WHERE x = {1}")\n'
        '    revoke = "UPDATE api_tokens SET revoked = ?"\n'
        '    doc = "Select the items from a list, then delete from it what is gone"\n'
    )
    assert sorted(_sql_in(module, tmp_path)) == [
        "m.py:2: 'SELECT id FROM items WHERE x ='",
        "m.py:2: .query_one(...)",
        "m.py:3: 'UPDATE api_tokens SET revoked = ?'",
    ]
