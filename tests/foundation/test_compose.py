"""docker-compose.yml cannot run here (no Docker engine): its structure is checked instead. Web and
a scalable worker from one image, both waiting for healthy PostgreSQL and SeaweedFS; healthchecks
and restart policies everywhere; pinned images; buckets created at first start; every MUNIMENT_*
a real setting; the image runs as a non-root user and its build context leaves the rest out."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

from repo.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
BACKENDS = {"postgres", "seaweedfs"}


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def settings_of(service: dict[str, Any]) -> Settings:
    return Settings.load(None, {k: str(v) for k, v in service["environment"].items() if k.startswith("MUNIMENT_")})


def test_web_and_worker_wait_for_healthy_backends_and_worker_scales() -> None:
    services = compose()["services"]
    assert set(services) == {"web", "worker", *BACKENDS}
    web, worker = services["web"], services["worker"]
    for name, service in services.items():
        assert service.get("restart") in ("unless-stopped", "always"), f"{name} has no restart policy"
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    for service in (web, worker):
        assert service["build"] == "." and service["image"] == web["image"], "one image for web and worker"
        for backend in BACKENDS:
            assert service["depends_on"][backend] == {"condition": "service_healthy"}
    assert worker["depends_on"]["web"] == {"condition": "service_healthy"}
    assert worker["command"] == ["muniment", "worker"] and web["command"] == ["muniment", "serve"]
    # `--scale worker=3` needs no fixed name and no host port on the worker.
    assert "container_name" not in worker and "ports" not in worker
    assert "/healthz" in " ".join(web["healthcheck"]["test"])


def test_settings_are_real_and_make_a_deployment_that_starts_on_empty_storage() -> None:
    services = compose()["services"]
    known = {name for name, _, _ in Settings().describe()}
    for name in ("web", "worker"):
        env = services[name]["environment"]
        assert [k for k in env if k not in known] == [], f"{name} sets unknown settings"
        settings = settings_of(services[name])
        assert settings.create_buckets, "the first start finds no buckets"
        assert settings.catalog_url.startswith("postgresql://") and settings.preservation_location.startswith("s3://")
    web, worker = settings_of(services["web"]), settings_of(services["worker"])
    assert not web.serve_worker, "no task runs in the web service"
    assert worker.worker_heartbeat and worker.worker_heartbeat in " ".join(services["worker"]["healthcheck"]["test"])
    assert (web.catalog_url, web.preservation_location) == (worker.catalog_url, worker.preservation_location)


def test_images_are_pinned_and_the_image_runs_as_a_user() -> None:
    services = compose()["services"]
    for backend in BACKENDS:
        image = services[backend]["image"]
        assert re.search(r":\d+(\.\d+)+", image) and "latest" not in image, f"{image} is not pinned"
    dockerfile = (ROOT / "Dockerfile").read_text()
    for base in re.findall(r"^FROM (\S+)", dockerfile, re.MULTILINE):
        assert re.search(r":\d+\.\d+", base), f"{base} is not pinned"
    user = re.findall(r"^USER (\S+)", dockerfile, re.MULTILINE)
    assert user and user[-1] not in ("root", "0"), "the image runs as root"
    assert "[dev]" not in dockerfile, "the image installs only what running needs"
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", "node_modules", "muniment-data", "tests"} <= set(ignored)
