"""Fixity audit throughput on S3 (a real SeaweedFS started here) beside plain sha512 of the same bytes.

A repository of random "scans" is stored as OCFL objects on S3 and registered in a SQLite
catalog; then ``FixityAudit.run`` (the code behind ``muniment fixity``: streaming, hashing,
events, catalog rows) and plain ``hashlib.sha512`` over the same bytes in memory take turns,
several rounds, and the medians are compared.

    .venv/bin/python bench/fixity.py [--size-mb 1024] [--files 32] [--rounds 5]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from repo.audit import FixityAudit, Preservation  # noqa: E402
from repo.catalog import Catalog, Item, ItemMetadata, utc_now  # noqa: E402
from repo.identifiers import object_id  # noqa: E402
from repo.preservation import BagInfo, ObjectStore, User, build_bag  # noqa: E402
from repo.services import Services  # noqa: E402
from repo.settings import Settings  # noqa: E402
from storage import FilesystemStorage  # noqa: E402
from storage.s3 import S3Location, S3Storage  # noqa: E402
from tests.servers.seaweedfs import ACCESS_KEY, SECRET_KEY, SeaweedFS  # noqa: E402

FILES_PER_ITEM = 4


def make_repository(work: Path, s3: S3Storage, catalog: Catalog, size: int, files: int) -> list[Path]:
    """``files`` random scans of ``size / files`` bytes, in items of four, stored and registered."""
    each = size // files
    scans = []
    store = ObjectStore(s3)
    catalog.ensure_collection("bench")
    for item in range(files // FILES_PER_ITEM):
        payload = {}
        for n in range(FILES_PER_ITEM):
            path = work / "scans" / f"{item}-{n}.bin"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(os.urandom(each))
            payload[f"p{n}.tif"] = path
            scans.append(path)
        bag = build_bag(
            work / "bags" / str(item),
            payload=payload,
            tags={"metadata/dc.xml": b"<dc/>"},
            info=BagInfo("Bench", date.today()),
        )
        item_id = f"bench-{item}"
        store.create_or_update(object_id(item_id), bag, "bench", User("bench", "mailto:bench@example.org"))
        shutil.rmtree(work / "bags" / str(item))
        now = utc_now()
        catalog.register_item(
            Item(item_id, "bench", item_id, item_id, FILES_PER_ITEM, now, now), [], ItemMetadata({}, "", ""), []
        )
    return scans


def plain_sha512(scans: list[Path]) -> tuple[float, float]:
    """(seconds, CPU seconds) to hash the scans' bytes already in memory: the floor for any fixity check."""
    seconds = cpu = 0.0
    for path in scans:
        data = path.read_bytes()
        start, start_cpu = time.perf_counter(), time.thread_time()
        hashlib.sha512(data).hexdigest()
        seconds += time.perf_counter() - start
        cpu += time.thread_time() - start_cpu
    return seconds, cpu


def process_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cpu_seconds(pid: int) -> float:
    """CPU time of another process (the S3 server), from /proc; 0 where there is none."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--files", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="muniment-bench-fixity-"))
    server = SeaweedFS(work / "weed").start()
    try:
        bucket = server.create_bucket("bench")
        s3 = S3Storage(
            S3Location(bucket=bucket, endpoint_url=server.endpoint, access_key=ACCESS_KEY, secret_key=SECRET_KEY)
        )
        settings = Settings(data_dir=work / "data")
        services = Services(settings, s3, FilesystemStorage(work / "access"), None, Catalog.open(settings.catalog_url))
        scans = make_repository(work, s3, services.catalog, args.size_mb * 1024 * 1024, args.files)
        total_mb = sum(p.stat().st_size for p in scans) / 1e6
        preservation = Preservation(services)
        FixityAudit(preservation).sync()
        print(
            f"{total_mb:.0f} MB in {len(scans)} files of {total_mb / len(scans):.0f} MB on S3 (SeaweedFS); "
            f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
        )
        print(
            f"{'round':>5} {'fixity MB/s':>12} {'sha512 MB/s':>12} {'ratio':>6} {'CPU s: fixity':>14} "
            f"{'SeaweedFS':>10} {'sha512':>7}"
        )
        ratios: list[float] = []
        for round_number in range(1, args.rounds + 1):
            # The baseline before and after each audit, so that a change in the machine's load
            # during the round weighs on both sides alike.
            before, _ = plain_sha512(scans)
            cpu, server_cpu = process_cpu(), cpu_seconds(server.process.pid if server.process else 0)
            run = FixityAudit(preservation).run()
            cpu, server_cpu = process_cpu() - cpu, cpu_seconds(server.process.pid if server.process else 0) - server_cpu
            after, plain_cpu = plain_sha512(scans)
            assert run.clean and run.checked >= len(scans), run
            ours, floor = total_mb / run.seconds, total_mb / ((before + after) / 2)
            ratios.append(ours / floor)
            print(
                f"{round_number:>5} {ours:12.0f} {floor:12.0f} {ratios[-1]:6.2f} {cpu:14.2f} {server_cpu:10.2f} "
                f"{plain_cpu:7.2f}",
                flush=True,
            )
        preservation.close()
        services.close()
        print(f"\nmedian ratio fixity / plain sha512: {statistics.median(ratios):.2f}  (reach >= 0.8)")
        print(
            "CPU s: Muniment's process during the audit (hashing, reading, catalog), the S3 server, and plain "
            "sha512 of the same bytes; with fewer free cores than their sum needs, the ratio falls with it."
        )
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
