"""Ingest throughput into S3 (SeaweedFS) beside the floor measured on the same files in the same run.

The floor is the work ingest cannot avoid: a pyvips pyramid and a sha512 of every page, on all
cores. Pages are 400-dpi letter scans (3400x4400 RGB, uncompressed TIFF, about 45 MB each).

    .venv/bin/python bench/ingest.py [--pages 16]
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


def measure(cmd: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """(seconds, peak RSS MB, exit status) of a fresh process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - start, usage.ru_maxrss / 1024, status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=16)
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
        floor_s, floor_rss, _ = measure(
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
            "repo.cli.main",
            "ingest",
            str(folder),
            "--collection",
            "bench",
            "--report",
            str(work / "report.json"),
        ]
        ingest_s, ingest_rss, status = measure(cmd, env)
        if status != 0:
            raise SystemExit(f"ingest failed: {(work / 'report.json').read_text()}")
        print(f"{'':28} {'pages/s':>8} {'MB/s':>8} {'peak RSS MB':>12}")
        print(
            f"{'floor (pyramid + sha512)':28} {args.pages / floor_s:8.2f} {total_mb / floor_s:8.1f} {floor_rss:12.0f}"
        )
        print(
            f"{'muniment ingest into S3':28} {args.pages / ingest_s:8.2f} {total_mb / ingest_s:8.1f} {ingest_rss:12.0f}"
        )
        print(
            f"\ningest / floor: {floor_s / ingest_s:.2f}  (reach >= 0.8); peak RSS {ingest_rss:.0f} MB (reach < 1024)"
        )
        print(f"{args.pages} pages, {total_mb:.0f} MB, {os.cpu_count()} cores")
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
