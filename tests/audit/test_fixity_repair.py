"""Fixity audits find exactly the damaged files of either copy and repair them from the other."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from repo.audit import REPLICA, Budget, FixityAudit, Preservation, build_report, format_report
from repo.audit.copies import PRESERVATION
from repo.services import Services
from tests.audit.conftest import content_key, damage, ingest_pages
from tests.preservation.ocfl_check import validate_storage


def test_damage_on_either_copy_is_found_and_repaired_then_the_next_audit_is_clean(
    services: Services, tmp_path: Path
) -> None:
    item = ingest_pages(services, tmp_path)
    assert services.replica is not None
    p = Preservation(services)
    try:
        first = FixityAudit(p).run()
        files = services.catalog.fixity_count("all")
        assert first.clean and first.checked == files == 2 * 10  # 3 scans and 7 tag files, on each copy
        originals = {
            n: services.preservation.get_bytes(content_key(services.preservation, item, f"data/p{n}.tif"))
            for n in (1, 2, 3)
        }

        damage(services.preservation, content_key(services.preservation, item, "data/p1.tif"), "flip")
        damage(services.replica, content_key(services.replica, item, "data/p2.tif"), "delete")
        damage(services.preservation, content_key(services.preservation, item, "data/p3.tif"), "truncate")

        found = FixityAudit(p).run()
        assert found.checked == files
        assert {(r.copy, r.content_path, r.last_result) for r in found.repaired} == {
            (PRESERVATION, "v1/content/data/p1.tif", "repaired"),
            (REPLICA, "v1/content/data/p2.tif", "repaired"),
            (PRESERVATION, "v1/content/data/p3.tif", "repaired"),
        }
        assert found.failed == [] and not found.clean
        for n, data in originals.items():
            for storage in (services.preservation, services.replica):
                assert storage.get_bytes(content_key(storage, item, f"data/p{n}.tif")) == data

        events = services.catalog.events(item)
        repairs = [e for e in events if e.type == "repair"]
        assert len(repairs) == 3 and all(e.outcome == "success" for e in repairs)
        failures = [e for e in events if e.type == "fixity check" and e.outcome == "failure"]
        assert sorted(e.detail.split(":")[0] for e in failures) == [
            "v1/content/data/p1.tif",
            "v1/content/data/p2.tif",
            "v1/content/data/p3.tif",
        ]

        again = FixityAudit(p).run()
        assert again.clean and again.checked == files
        assert build_report(p, 90, _now()).ok
    finally:
        p.close()
    for storage in (services.preservation, services.replica):
        report = validate_storage(storage, tmp_path / storage.location.split(":")[0])
        assert report.errors == [] and report.warnings == []


def test_both_copies_bad_overwrites_nothing_and_says_so_loudly(fs_services: Services, tmp_path: Path) -> None:
    services = fs_services
    assert services.replica is not None
    item = ingest_pages(services, tmp_path, pages=1)
    keys = {s: content_key(s, item, "data/p1.tif") for s in (services.preservation, services.replica)}
    damage(services.preservation, keys[services.preservation], "flip")
    damage(services.replica, keys[services.replica], "truncate")
    damaged = {s: s.get_bytes(k) for s, k in keys.items()}
    p = Preservation(services)
    try:
        run = FixityAudit(p).run()
        assert run.repaired == []
        assert {(r.copy, r.content_path) for r in run.both_bad} == {
            (PRESERVATION, "v1/content/data/p1.tif"),
            (REPLICA, "v1/content/data/p1.tif"),
        }
        assert {s: s.get_bytes(k) for s, k in keys.items()} == damaged  # nothing overwritten
        report = build_report(p, 90, _now())
        assert not report.ok and len(report.both_bad) == 2
        text = format_report(report)
        assert "!!! BOTH COPIES BAD" in text and "NOTHING WAS OVERWRITTEN" in text
    finally:
        p.close()


def test_budget_checks_the_least_recently_checked_first(fs_services: Services, tmp_path: Path) -> None:
    services = fs_services
    ingest_pages(services, tmp_path, pages=2)
    p = Preservation(services)
    try:
        total = services.catalog.fixity_count("all")
        checked: list[tuple[str, str]] = []
        for _ in range(3):
            run = FixityAudit(p).run(budget=Budget(max_bytes=1))  # one file per run
            assert run.checked == 1 and run.budget_spent and run.clean
            checked.append(_last_checked(services))
        assert len(set(checked)) == 3
        assert services.catalog.fixity_count("never") == total - 3
        rest = FixityAudit(p).run()
        assert rest.checked == total  # the rest first (never checked), then the three again (oldest)
        assert services.catalog.fixity_count("never") == 0
        report = build_report(p, 90, _now())
        assert report.never_count == 0 and report.overdue_count == 0 and report.ok
        later = build_report(p, 90, _now(days=91))
        assert later.overdue_count == total
        assert p.catalog.fixity_rows("all")[0].last_checked < p.catalog.fixity_rows("all")[-1].last_checked
    finally:
        p.close()


def _last_checked(services: Services) -> tuple[str, str]:
    row = max(services.catalog.fixity_rows("all"), key=lambda r: r.last_checked)
    return row.copy, row.content_path


def _now(days: int = 0) -> datetime:
    return datetime.now(UTC) + timedelta(days=days)
