"""Ingest throughput beside the floor measured on the same files in the same run: into S3
(SeaweedFS) and into filesystem storage in the foreground, and queued to 1 and 2 `muniment worker`
processes (the book's pages spread over them) into S3.

The floor is the work ingest cannot avoid: a pyvips pyramid and a sha512 of every page, on all
cores. Pages are 400-dpi letter scans (3400x4400 RGB, uncompressed TIFF, about 45 MB each).

The foreground ingest is one process for one item, so its start (interpreter, imports, catalog,
storage root) is paid once per run: 32 pages, a short book, keep it from dominating; a real batch
pays it once for all its items. Queued runs are timed from the submission to the job's end, with
the workers already started. CPU seconds show where the time goes, Muniment and SeaweedFS apart
(it runs on the same cores and does work the floor does not: every byte ingested is sent to it).

    .venv/bin/python bench/ingest.py [--pages 32]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.servers.seaweedfs import ACCESS_KEY, SECRET_KEY, SeaweedFS  # noqa: E402

WIDTH, HEIGHT = 3400, 4400


def make_pages(folder: Path, count: int) -> None:
    import pyvips

    folder.mkdir(parents=True)
    for n in range(count):
        noise = pyvips.Image.gaussnoise(WIDTH, HEIGHT, sigma=8, mean=200, seed=n)  # paper grain
        xy = pyvips.Image.xyz(WIDTH, HEIGHT)
        gradient = xy[0] * (40 / WIDTH) + xy[1] * (20 / HEIGHT)
        page = (noise - gradient).bandjoin([noise - gradient * 0.8, noise - gradient * 1.2]).cast("uchar")
        page.copy(interpretation="srgb").tiffsave(str(folder / f"page{n + 1}.tif"), compression="none")
    (folder / "metadata.json").write_text('{"title": "Benchmark scans", "creator": "Muniment bench"}')


def floor_child(folder: str, out: str) -> None:
    """pyramid + sha512 of every page, all cores: nothing else."""
    import pyvips

    def one(path: Path) -> None:
        digest = hashlib.sha512()
        with path.open("rb") as handle:
            while chunk := handle.read(4 * 1024 * 1024):
                digest.update(chunk)
        image = pyvips.Image.new_from_file(str(path), access="sequential")
        image.tiffsave(
            str(Path(out) / (path.stem + ".tif")),
            tile=True,
            pyramid=True,
            compression="jpeg",
            Q=90,
            tile_width=256,
            tile_height=256,
        )

    with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        list(pool.map(one, sorted(Path(folder).glob("*.tif"))))


def measure(cmd: list[str], env: dict[str, str]) -> tuple[float, float, int, float]:
    """(seconds, peak RSS MB, exit status, CPU seconds) of a fresh process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - start, usage.ru_maxrss / 1024, status, usage.ru_utime + usage.ru_stime


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a running process (the SeaweedFS server), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def queued(folder: Path, env: dict[str, str], workers: int, weed_pid: int) -> tuple[float, float, float]:
    """(seconds from submission to the job's end, workers' CPU seconds, SeaweedFS CPU seconds)."""
    from repo.catalog.jobs import JobStore
    from repo.services import Services
    from repo.settings import Settings

    env = {**env, "MUNIMENT_QUEUE_FANOUT_PAGES": "1", "MUNIMENT_LOG_LEVEL": "WARNING"}
    command = [sys.executable, "-m", "app.cli.main"]
    procs = [
        subprocess.Popen([*command, "worker"], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        for _ in range(workers)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            proc.stdout.readline()  # "Muniment worker ... taking tasks": started, storage checked
        services = Services.open(Settings.load(environ=env))
        store = JobStore(services.catalog.db)
        before = [cpu_seconds(p.pid) for p in procs], cpu_seconds(weed_pid)
        start = time.perf_counter()
        job_id = subprocess.run(
            [*command, "ingest", str(folder), "--collection", "bench", "--queue", "--quiet"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        while not (job := store.get(job_id)).finished:
            time.sleep(0.05)
        seconds = time.perf_counter() - start
        if job.state != "succeeded":
            raise SystemExit(f"queued ingest {job.state}: {[t.message for t in job.tasks if t.state != 'succeeded']}")
        cpu = sum(cpu_seconds(p.pid) for p in procs) - sum(before[0])
        weed = cpu_seconds(weed_pid) - before[1]
        services.close()
        return seconds, cpu, weed
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=32)
    parser.add_argument("--floor-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor_child:
        floor_child(*args.floor_child)
        return
    work = Path(tempfile.mkdtemp(prefix="muniment-bench-ingest-"))
    server = SeaweedFS(work / "weed").start()
    try:
        folder = work / "scans"
        print(f"making {args.pages} pages of {WIDTH}x{HEIGHT} RGB ...", flush=True)
        make_pages(folder, args.pages)
        total_mb = sum(p.stat().st_size for p in folder.glob("*.tif")) / 1e6
        env = dict(os.environ)
        floor_out = work / "floor"
        floor_out.mkdir()
        floor_s, floor_rss, _, floor_cpu = measure(
            [sys.executable, __file__, "--floor-child", str(folder), str(floor_out)], env
        )
        env.update(
            {
                "MUNIMENT_DATA_DIR": str(work / "data"),
                "MUNIMENT_S3_ENDPOINT": server.endpoint,
                "MUNIMENT_S3_ACCESS_KEY": ACCESS_KEY,
                "MUNIMENT_S3_SECRET_KEY": SECRET_KEY,
                "MUNIMENT_PRESERVATION_STORAGE": f"s3://{server.create_bucket('preservation')}",
                "MUNIMENT_ACCESS_STORAGE": f"s3://{server.create_bucket('access')}",
            }
        )
        cmd = [
            sys.executable,
            "-m",
            "app.cli.main",
            "ingest",
            str(folder),
            "--collection",
            "bench",
            "--report",
            str(work / "report.json"),
        ]
        assert server.process is not None
        weed_before = cpu_seconds(server.process.pid)
        ingest_s, ingest_rss, status, ingest_cpu = measure(cmd, env)
        weed_cpu = cpu_seconds(server.process.pid) - weed_before
        if status != 0:
            raise SystemExit(f"ingest failed: {(work / 'report.json').read_text()}")
        files_env = {k: v for k, v in env.items() if not k.startswith("MUNIMENT_")}
        files_env["MUNIMENT_DATA_DIR"] = str(work / "data-files")  # folders and SQLite: the embedded default
        files_s, files_rss, status, files_cpu = measure(cmd, files_env)
        if status != 0:
            raise SystemExit(f"filesystem ingest failed: {(work / 'report.json').read_text()}")
        runs = {}
        for workers in (1, 2):
            queue_env = {
                **env,
                "MUNIMENT_DATA_DIR": str(work / f"data-queue-{workers}"),
                "MUNIMENT_PRESERVATION_STORAGE": f"s3://{server.create_bucket(f'preservation-q{workers}')}",
                "MUNIMENT_ACCESS_STORAGE": f"s3://{server.create_bucket(f'access-q{workers}')}",
            }
            runs[workers] = queued(folder, queue_env, workers, server.process.pid)
        print(f"{'':28} {'pages/s':>8} {'MB/s':>8} {'peak RSS MB':>12}")
        print(
            f"{'floor (pyramid + sha512)':28} {args.pages / floor_s:8.2f} {total_mb / floor_s:8.1f} {floor_rss:12.0f}"
        )
        print(
            f"{'muniment ingest into S3':28} {args.pages / ingest_s:8.2f} {total_mb / ingest_s:8.1f} {ingest_rss:12.0f}"
        )
        print(
            f"{'muniment ingest into files':28} {args.pages / files_s:8.2f} {total_mb / files_s:8.1f} {files_rss:12.0f}"
        )
        for workers, (seconds, _, _) in runs.items():
            label = f"queued, {workers} worker{'s' if workers > 1 else ''} (S3)"
            print(f"{label:28} {args.pages / seconds:8.2f} {total_mb / seconds:8.1f}")
        print(
            f"\ningest / floor: S3 {floor_s / ingest_s:.2f}, files {floor_s / files_s:.2f} (reach >= 0.8); "
            f"peak RSS {ingest_rss:.0f} MB (reach < 1024)"
        )
        print(f"2 workers / 1 worker: {runs[1][0] / runs[2][0]:.2f} x the pages/s")
        print(
            f"queued / foreground into S3: 1 worker {ingest_s / runs[1][0]:.2f}, "
            f"2 workers {ingest_s / runs[2][0]:.2f} x the pages/s (reach >= 1 with 2)"
        )
        print(f"{args.pages} pages, {total_mb:.0f} MB, {os.cpu_count()} cores")
        print(f"CPU seconds per page: floor {floor_cpu / args.pages:.2f}")
        print(f"  foreground into S3: Muniment {ingest_cpu / args.pages:.2f} + SeaweedFS {weed_cpu / args.pages:.2f}")
        print(f"  foreground into files: Muniment {files_cpu / args.pages:.2f}")
        for workers, (_, cpu, weed) in runs.items():
            print(f"  queued, {workers} worker(s): Muniment {cpu / args.pages:.2f} + SeaweedFS {weed / args.pages:.2f}")
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
