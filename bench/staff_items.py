"""The staff items list over a large catalog: seed N items into SQLite, then time the page a
curator asks for (first page, a page deep in the list by its keyset cursor, each filter) through the
whole staff route in process (sign-in session, query, template), beside the same deep page fetched
by OFFSET (what a naive list would do) in the same run.

    .venv/bin/python bench/staff_items.py                  # 100,000 items, 200 requests per case
    .venv/bin/python bench/staff_items.py --items 20000

Target (issue 16): p99 under 200 ms for every case. The exit status is 1 when it is missed.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from starlette.testclient import TestClient

from app.web import create_app
from repo.auth import Role
from repo.auth.users import UserStore
from repo.catalog.models import format_datestamp
from repo.services import Services
from repo.settings import Settings

TARGET_MS = 200.0


def seed(services: Services, count: int) -> None:
    db = services.catalog.db
    start = datetime(2020, 1, 1, tzinfo=UTC)
    with db.transaction():
        for slug in ("books", "letters", "maps"):
            db.execute(
                "INSERT INTO collections (slug, title, created, modified) VALUES (?, ?, ?, ?)",
                (slug, slug.title(), "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z"),
            )
        rows = []
        for n in range(count):
            created = format_datestamp(start + timedelta(minutes=n))
            visibility = ("public", "public", "restricted", "embargoed")[n % 4]
            rows.append(
                (
                    f"item-{n:06d}",
                    ("books", "letters", "maps")[n % 3],
                    f"ck-{n}",
                    f"Letter number {n} of the parish",
                    visibility,
                    "2999-01-01" if visibility == "embargoed" else None,
                    "withdrawn" if n % 97 == 0 else "active",
                    3,
                    created,
                    created,
                )
            )
        db.executemany(
            "INSERT INTO items (id, collection, content_key, title, visibility, embargo_until, status, page_count,"
            " created, datestamp) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        # The search index, as ingest leaves it (the title's words are what the text filter finds).
        db.executemany(
            "INSERT INTO search_fts (item_id, title, creators, subjects, description, full_text)"
            " VALUES (?, ?, '', '', '', '')",
            [(r[0], r[3]) for r in rows],
        )


def timed(client: TestClient, url: str, rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        answer = client.get(url)
        times.append((time.perf_counter() - began) * 1000)
        assert answer.status_code == 200, (url, answer.status_code)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-staff-"))
    try:
        settings = Settings(data_dir=work / "data", base_url="http://testserver")
        services = Services.open(settings)
        began = time.perf_counter()
        seed(services, args.items)
        print(f"seeded {args.items:,} items in {time.perf_counter() - began:.1f} s")
        UserStore(services.catalog.db).create("bench", Role.CURATOR, "bench password")
        client = TestClient(create_app(settings, services), base_url="http://testserver")
        form = client.get("/staff/sign-in").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
        client.post("/staff/sign-in", data={"csrf_token": csrf, "name": "bench", "password": "bench password"})
        # The cursor of a page ~90% of the way down: what the 1,800th "Next page" would ask for.
        deep = args.items // 10
        row = services.catalog.db.query_one(
            "SELECT created, id FROM items ORDER BY created DESC, id DESC LIMIT 1 OFFSET ?", (args.items - deep,)
        )
        assert row is not None
        cursor = f"{row['created']}~{row['id']}"
        cases = {
            "first page": "/staff/items",
            "deep page (keyset)": f"/staff/items?after={cursor}",
            "collection + visibility": "/staff/items?collection=maps&visibility=restricted",
            "withdrawn": "/staff/items?status=withdrawn",
            "ingested between": "/staff/items?from=2020-02-01&to=2020-02-03",
            "title text": "/staff/items?q=number+4242",
        }
        worst = 0.0
        print(f"{'case':<26} {'p50 ms':>8} {'p99 ms':>8}")
        for name, url in cases.items():
            times = sorted(timed(client, url, args.rounds))
            p50, p99 = statistics.median(times), times[int(len(times) * 0.99) - 1]
            worst = max(worst, p99)
            print(f"{name:<26} {p50:8.1f} {p99:8.1f}")
        # Baseline, same run: the same deep page by OFFSET, the query alone (no route, no template).
        db = services.catalog.db
        offset_times = []
        keyset_times = []
        for _ in range(args.rounds // 4 or 1):
            began = time.perf_counter()
            db.query("SELECT * FROM items ORDER BY created DESC, id DESC LIMIT 51 OFFSET ?", (args.items - deep,))
            offset_times.append((time.perf_counter() - began) * 1000)
            began = time.perf_counter()
            db.query(
                "SELECT * FROM items WHERE (created, id) < (?, ?) ORDER BY created DESC, id DESC LIMIT 51",
                (row["created"], row["id"]),
            )
            keyset_times.append((time.perf_counter() - began) * 1000)
        off, key = statistics.median(offset_times), statistics.median(keyset_times)
        print(f"deep page query alone: OFFSET {off:.2f} ms, keyset {key:.2f} ms ({off / max(key, 1e-6):.0f}x)")
        verdict = "met" if worst < TARGET_MS else "MISSED"
        print(f"worst p99 {worst:.1f} ms against a target of {TARGET_MS:.0f} ms: {verdict}")
        services.close()
        return 0 if worst < TARGET_MS else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
