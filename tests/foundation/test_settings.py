from __future__ import annotations

from pathlib import Path

import pytest

from repo.errors import ConfigError
from repo.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_every_setting_is_in_the_readme_table() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [name for name, _, _ in Settings().describe() if f"| `{name}` |" not in readme]
    assert missing == [], f"settings missing from README.md's table: {missing}"


def test_every_setting_has_help() -> None:
    assert all(help_text.strip() for _, _, help_text in Settings().describe())


def test_environment_overrides_file(tmp_path: Path) -> None:
    config = tmp_path / "m.toml"
    config.write_text('port = 9000\nbase_url = "http://file"\nfetch_allowed_hosts = ["a.org", "b.org"]\n')
    settings = Settings.load(config, {"MUNIMENT_PORT": "9100", "OTHER": "x"})
    assert settings.port == 9100
    assert settings.base_url == "http://file"
    assert settings.fetch_allowed_hosts == ("a.org", "b.org")


def test_unknown_and_malformed_settings_name_the_culprit(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="MUNIMENT_PROT"):
        Settings.load(None, {"MUNIMENT_PROT": "1"})
    with pytest.raises(ConfigError, match="MUNIMENT_PORT must be int"):
        Settings.load(None, {"MUNIMENT_PORT": "eighty"})
    bad = tmp_path / "bad.toml"
    bad.write_text("colour = 'blue'\n")
    with pytest.raises(ConfigError, match=r"unknown setting 'colour' in .*bad\.toml"):
        Settings.load(bad, {})


def test_secrets_are_masked() -> None:
    shown = dict((n, v) for n, v, _ in Settings(s3_secret_key="hunter2").describe())
    assert shown["MUNIMENT_S3_SECRET_KEY"] == "********"
    assert "hunter2" not in repr(shown)
