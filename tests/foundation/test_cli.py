"""The `muniment` command as a user runs it: a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from repo.version import __version__


def muniment(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("MUNIMENT_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "app.cli.main", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=120,
    )


def test_help_and_version() -> None:
    result = muniment("--help")
    assert result.returncode == 0
    assert "serve" in result.stdout and "config" in result.stdout
    assert muniment("--version").stdout.strip() == f"muniment {__version__}"


def test_config_prints_settings_with_secrets_masked(tmp_path: Path) -> None:
    result = muniment("config", env={"MUNIMENT_S3_SECRET_KEY": "topsecret", "MUNIMENT_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert "MUNIMENT_S3_SECRET_KEY" in result.stdout
    assert "topsecret" not in result.stdout


def test_unknown_setting_is_one_clear_line_without_traceback() -> None:
    result = muniment("config", env={"MUNIMENT_POTR": "1"})
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0
    assert "MUNIMENT_POTR" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_s3_is_one_clear_line(tmp_path: Path) -> None:
    from tests.servers.ports import free_port

    endpoint = f"http://127.0.0.1:{free_port()}"
    env = {
        "MUNIMENT_DATA_DIR": str(tmp_path),
        "MUNIMENT_PRESERVATION_STORAGE": "s3://pres",
        "MUNIMENT_S3_ENDPOINT": endpoint,
        "MUNIMENT_S3_ACCESS_KEY": "a",
        "MUNIMENT_S3_SECRET_KEY": "b",
    }
    result = muniment("config", "--check", env=env)
    assert result.returncode != 0
    assert "MUNIMENT_PRESERVATION_STORAGE" in result.stderr and endpoint in result.stderr
    assert "Traceback" not in result.stderr
    debug = muniment("--debug", "config", "--check", env=env)
    assert "Traceback" in debug.stderr


def test_missing_bucket_names_the_bucket(seaweedfs, tmp_path: Path) -> None:
    from tests.servers.seaweedfs import ACCESS_KEY, SECRET_KEY

    env = {
        "MUNIMENT_DATA_DIR": str(tmp_path),
        "MUNIMENT_ACCESS_STORAGE": "s3://no-such-access-bucket",
        "MUNIMENT_S3_ENDPOINT": seaweedfs.endpoint,
        "MUNIMENT_S3_ACCESS_KEY": ACCESS_KEY,
        "MUNIMENT_S3_SECRET_KEY": SECRET_KEY,
    }
    result = muniment("config", "--check", env=env)
    assert result.returncode != 0
    assert "MUNIMENT_ACCESS_STORAGE" in result.stderr and "no-such-access-bucket" in result.stderr
    wrong = dict(env, MUNIMENT_S3_SECRET_KEY="wrong", MUNIMENT_ACCESS_STORAGE="s3://x")
    result = muniment("config", "--check", env=wrong)
    assert "refused the credentials" in result.stderr
