"""Scheduled maintenance run by a real consumer: Huey's scheduler starts a job at its cron
minute, and a worker runs it. The derivative scan makes again a deleted thumbnail and a cut
pyramid, the fixity run checks its daily share of the bytes, replication catches up; each is a
job record. Empty schedules start nothing, and two workers noticing one minute make one job."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import pyvips

from app.cli.main import main
from app.maintenance import Schedule, parse_cron, schedules, slot
from app.queue import TaskQueue
from app.worker import Worker
from ingest.context import ItemSource
from ingest.runner import Ingester
from repo.catalog.jobs import Job, JobStore
from repo.errors import ConfigError
from repo.identifiers import derivative_key, thumbnail_key
from repo.metadata.premis import REPAIR
from repo.services import Services
from repo.settings import Settings
from tests.ingest.conftest import make_item
from tests.preservation.ocfl_check import validate_root

EVERY_MINUTE = "* * * * *"
OFF = {"fixity_schedule": "", "replication_schedule": "", "derivative_scan_schedule": ""}


@pytest.fixture
def stored(tmp_path: Path) -> Iterator[tuple[Settings, list[str]]]:
    """Two items ingested in the foreground, every schedule off."""
    settings = Settings(data_dir=tmp_path / "data", ingest_workers=1, queue_lease_seconds=5, **OFF)
    services = Services.open(settings)
    ingester = Ingester(services)
    ids = []
    for n in (1, 2):
        folder = make_item(tmp_path / "scans" / f"book-{n}", ["p1.tif", "p2.tif"], title=f"Book {n}", seed=n)
        result = ingester.ingest(ItemSource(folder, "books", folder / "mods.xml", f"BOOK-{n}"))
        assert result.status == "ingested", result.problems
        ids.append(result.item_id or "")
    ingester.close()
    services.close()
    yield settings, ids


def run_worker(settings: Settings, until: str, timeout: float = 90) -> Job:
    """A real consumer until a job of kind ``until`` has ended; that job."""
    services = Services.open(settings)
    queue = TaskQueue(settings, JobStore(services.catalog.db))
    stop = Worker(services).start_in_background()
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            jobs = [j for j in queue.recent(kinds=(until,)) if j.finished]
            if jobs:
                return jobs[0]
            time.sleep(0.1)
        raise AssertionError(f"no {until} job ended; jobs: {[(j.id, j.state) for j in queue.recent()]}")
    finally:
        stop()
        queue.close()
        services.close()


def kinds_of_jobs(settings: Settings) -> list[str]:
    services = Services.open(settings)
    try:
        return [j.kind for j in JobStore(services.catalog.db).recent(limit=500)]
    finally:
        services.close()


def decodes(path: Path) -> tuple[int, int]:
    image = pyvips.Image.new_from_file(str(path), fail_on="error")
    image.avg()
    return image.width, image.height


def test_the_derivative_scan_makes_again_a_deleted_thumbnail_and_a_cut_pyramid(
    stored: tuple[Settings, list[str]], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, (first, second) = stored
    access = settings.data_dir / "access"
    thumbnail, pyramid = access / thumbnail_key(first, 1), access / derivative_key(second, 2)
    size = decodes(pyramid)
    thumbnail.unlink()
    pyramid.write_bytes(pyramid.read_bytes()[: pyramid.stat().st_size // 2])

    job = run_worker(dataclasses.replace(settings, derivative_scan_schedule=EVERY_MINUTE), "derivatives")

    assert job.state == "succeeded", [t.message for t in job.tasks]
    assert job.id.startswith("derivatives-") and job.submitted_by == "schedule"
    assert "2 item(s) scanned: 2 derivative(s) made again, 0 failed" in job.tasks[0].message
    assert {p.file for p in job.tasks[0].problems} == {
        f"{first} access {thumbnail_key(first, 1)}",
        f"{second} access {derivative_key(second, 2)}",
    }
    assert decodes(pyramid) == size and decodes(thumbnail)
    services = Services.open(settings)
    try:
        repairs = [e for e in services.catalog.events(second) if e.type == REPAIR]
    finally:
        services.close()
    assert repairs and repairs[-1].outcome == "success" and derivative_key(second, 2) in repairs[-1].detail
    assert "fixity" not in kinds_of_jobs(settings), "the fixity schedule is off"
    monkeypatch.setenv("MUNIMENT_DATA_DIR", str(settings.data_dir))
    assert main(["jobs", "list"]) == 0
    assert f"{job.id}  succeeded  derivatives  1/1" in capsys.readouterr().out


def test_the_daily_fixity_run_checks_its_share_of_the_bytes(stored: tuple[Settings, list[str]]) -> None:
    settings, _ = stored
    settings = dataclasses.replace(settings, fixity_schedule=EVERY_MINUTE, fixity_cycle_days=3)
    services = Services.open(settings)
    total = services.catalog.fixity_bytes()
    services.close()

    job = run_worker(settings, "fixity")

    assert job.state == "succeeded", job.tasks[0].message
    services = Services.open(settings)
    try:
        rows = services.catalog.fixity_rows("all")
    finally:
        services.close()
    checked = [r for r in rows if r.last_checked and r.sha512]
    share = -(-total // 3)
    assert checked and len(checked) < len([r for r in rows if r.sha512]), "a third of the bytes, not all"
    assert sum(r.size for r in checked) <= share + max(r.size for r in rows)
    assert job.tasks[0].bytes == sum(r.size for r in checked)
    assert f"checked {len(checked)} files" in job.tasks[0].message and "0 failed" in job.tasks[0].message


def test_replication_catches_up_on_a_replica_added_later(stored: tuple[Settings, list[str]], tmp_path: Path) -> None:
    settings, ids = stored
    replica = tmp_path / "replica"
    settings = dataclasses.replace(settings, replica_storage=str(replica), replication_schedule=EVERY_MINUTE)

    job = run_worker(settings, "replicate")

    assert job.state == "succeeded", job.tasks[0].message
    assert job.tasks[0].message.startswith("2 item(s) replicated and verified, 0 failed")
    services = Services.open(settings)
    try:
        assert services.catalog.unreplicated() == []
    finally:
        services.close()
    report = validate_root(replica)
    assert report.objects == len(ids) and not report.errors, report.errors


def test_two_workers_that_notice_the_same_minute_make_one_job(stored: tuple[Settings, list[str]]) -> None:
    settings, _ = stored
    settings = dataclasses.replace(settings, fixity_schedule=EVERY_MINUTE)
    begun = datetime.now(UTC)
    stops = [Worker(Services.open(settings)).start_in_background() for _ in range(2)]
    try:
        time.sleep(3)  # each scheduler checks its periodic tasks as it starts
    finally:
        for stop in stops:
            stop()
    minutes = int((datetime.now(UTC) - begun.replace(second=0)).total_seconds() // 60) + 1
    made = kinds_of_jobs(settings).count("fixity")
    assert 1 <= made <= minutes, f"{made} fixity jobs in {minutes} minute(s)"


def test_a_scheduled_job_is_named_for_its_scheduled_minute() -> None:
    daily = Schedule("fixity", "0 3 * * *", parse_cron("0 3 * * *", "MUNIMENT_FIXITY_SCHEDULE"))
    assert slot(daily, datetime(2026, 12, 2, 3, 0, 40)) == datetime(2026, 12, 2, 3, 0)
    assert slot(daily, datetime(2026, 12, 2, 3, 2, 5)) == datetime(2026, 12, 2, 3, 0), "a worker that was busy"


def test_a_bad_schedule_is_refused_naming_its_setting() -> None:
    with pytest.raises(ConfigError, match="MUNIMENT_DERIVATIVE_SCAN_SCHEDULE: '0 4 \\* \\*' is not five cron"):
        schedules(Settings(derivative_scan_schedule="0 4 * *"))
    with pytest.raises(ConfigError, match="MUNIMENT_FIXITY_SCHEDULE: '61 3 \\* \\* \\*' is not a cron schedule"):
        schedules(Settings(fixity_schedule="61 3 * * *"))
    assert [s.kind for s in schedules(Settings())] == ["fixity", "derivatives"], "replication needs a replica"
    assert schedules(Settings(**OFF, replica_storage="/r")) == []
