"""docker-compose.yml cannot run here (no Docker engine): check it parses and uses real settings."""

from __future__ import annotations

from pathlib import Path

import yaml  # type: ignore[import-untyped]

from repo.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_compose_file_wires_known_settings_only() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert {"muniment", "postgres", "seaweedfs"} <= set(compose["services"])
    known = {name for name, _, _ in Settings().describe()}
    env = compose["services"]["muniment"]["environment"]
    unknown = [name for name in env if name not in known]
    assert unknown == []
    assert Settings.load(None, {k: str(v) for k, v in env.items()}).database_url.startswith("postgresql://")
    assert compose["services"]["muniment"]["build"] == "."
    assert (ROOT / "Dockerfile").exists()
