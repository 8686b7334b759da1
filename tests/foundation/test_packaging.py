"""What a user installs: `make demo` sets up only the runtime dependencies (the development tools
come with `make test`), and a wheel built from the project carries the Mirador bundle that
app/web/static/build.sh puts in place, so `pip install` users get the viewer."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = "app/web/static/vendor/mirador/mirador.min.js"


def dry_run(target: str, tmp_path: Path) -> str:
    """The commands `make TARGET` would run in a checkout without a .venv."""
    checkout = tmp_path / "checkout"
    checkout.mkdir(exist_ok=True)
    for name in ("Makefile", "pyproject.toml", "package.json", "package-lock.json"):
        shutil.copy(ROOT / name, checkout / name)
    (checkout / "app/web/static").mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "app/web/static/build.sh", checkout / "app/web/static/build.sh")
    done = subprocess.run(["make", "-n", target], cwd=checkout, capture_output=True, text=True, check=True)
    return done.stdout


def test_make_demo_installs_the_runtime_only_and_make_test_the_tools(tmp_path: Path) -> None:
    demo = dry_run("demo", tmp_path)
    assert re.search(r"pip install --quiet (--no-binary tesserocr )?-e \.(\s|$)", demo) and "[dev]" not in demo
    assert "[dev]" in dry_run("test", tmp_path)


@pytest.mark.slow
def test_a_wheel_carries_the_mirador_bundle_and_the_templates(tmp_path: Path) -> None:
    source = tmp_path / "source"
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for name in tracked.splitlines():
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    # build.sh's output, as it leaves it (the registry's bundle is not fetched in tests).
    bundle = source / BUNDLE
    bundle.parent.mkdir(parents=True, exist_ok=True)
    bundle.write_text("/* Mirador 4 UMD bundle */ window.Mirador = {};\n")
    (bundle.parent / "VERSION").write_text("4.0.0\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(tmp_path / "dist"), "."],
        cwd=source,
        check=True,
        timeout=300,
    )
    (wheel,) = (tmp_path / "dist").glob("muniment-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {BUNDLE, "app/web/static/vendor/mirador/VERSION", "app/web/templates/item.html"} <= names
    assert not [n for n in names if n.startswith("tests/")], "the tests stay out of the wheel"
