"""Soak: minutes of mixed requests against a real ``muniment serve`` (2 workers) while batches ingest,
watching each worker's memory and open files.

    .venv/bin/python bench/soak.py [--minutes 10] [--connections 8] [--items 12] [--workdir DIR]
                                   [--setting NAME=VALUE ...]

A fixed set of items (``--items``, two textured 2400x3200 pages each) is ingested first with the real
``muniment ingest --batch``; then, for the whole run, small batches of new items are ingested one
after another by the same command while ``--connections`` keep-alive clients send a mix of
requests for the fixed items: aligned tiles across every zoom level (a viewer's), full images at
the sizes info.json lists and others (some PNG, WebP and GIF, some rotated), varied crops (a few
thousand distinct regions and sizes, each asked for rarely: what fills caches), info.json, manifests,
item pages, the home and collection pages, search, and OAI-PMH (Identify, ListRecords, GetRecord).

It prints the 5xx count (503s apart), p50/p99 per request kind, and each worker's RSS and open files
at start (after the seed, before load), at mid-run and at the end, sampled every 15 s; the verdict
is whether every worker's RSS grew by less than 10% over the second half of the run (the baseline
is the same worker at mid-run, in the same run). The exit status is 1 when it did not, or when any
request got a 5xx other than 503.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.iiif import Server, free_port  # noqa: E402

PAGE_WIDTH, PAGE_HEIGHT = 2400, 3200
WORDS = ["harbour", "charter", "ledger", "survey", "letters", "parish", "estate", "mill", "railway", "census"]
GROWTH_LIMIT = 0.10
SAMPLE_SECONDS = 15


# ------------------------------------------------------------------------------------ data


def make_item(folder: Path, seed: int, pages: int, width: int, height: int) -> None:
    """Pages of paper grain on colour gradients (distinct per seed: no two items have one content)."""
    import pyvips

    folder.mkdir(parents=True)
    for n in range(pages):
        noise = pyvips.Image.gaussnoise(width, height, sigma=8, mean=200, seed=seed * 100 + n)
        xy = pyvips.Image.xyz(width, height)
        gradient = xy[0] * (40 / width) + xy[1] * (20 / height)
        page = (noise - gradient).bandjoin([noise - gradient * 0.8, noise - gradient * 1.2]).cast("uchar")
        page.copy(interpretation="srgb").jpegsave(str(folder / f"p{n + 1}.jpg"), Q=92)


def write_batch(folder: Path, first: int, count: int, pages: int, width: int, height: int) -> Path:
    """Item folders and the batch CSV naming them (identifiers soak-{n})."""
    rows = []
    for n in range(first, first + count):
        make_item(folder / f"item-{n}", n, pages, width, height)
        word = WORDS[n % len(WORDS)]
        rows.append(
            {
                "folder": f"item-{n}",
                "collection": "soak",
                "identifier": f"soak-{n}",
                "title": f"Soak item {n}: {word}",
                "creator": "Muniment soak",
                "subject": word,
                "date": str(1850 + n % 100),
            }
        )
    path = folder / "batch.csv"
    with path.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


# This checkout's command line, whatever ``muniment`` script the environment has installed.
MUNIMENT = [sys.executable, "-m", "app.cli.main"]


def ingest(batch: Path, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    cmd = [*MUNIMENT, "ingest", "--batch", str(batch), "--quiet"]
    # In the batch's folder: the report it writes (ingest-report.json) goes with it.
    return subprocess.run(cmd, env=env, capture_output=True, check=False, cwd=batch.parent)


class Ingester(threading.Thread):
    """Batches of new items, one after another, until stopped: a curator's afternoon."""

    def __init__(self, work: Path, env: dict[str, str], first: int) -> None:
        super().__init__(daemon=True)
        self.work, self.env, self.next = work, env, first
        self.stop = threading.Event()
        self.items = self.failures = 0

    def run(self) -> None:
        while not self.stop.is_set():
            folder = self.work / f"batch-{self.next}"
            shutil.rmtree(folder, ignore_errors=True)
            batch = write_batch(folder, self.next, 3, 1, 1800, 2400)
            self.next += 3
            done = ingest(batch, self.env)
            if done.returncode == 0:
                self.items += 3
            else:
                self.failures += 1
                print(f"  batch failed ({done.returncode}): {done.stderr.decode()[-300:]}", flush=True)
            shutil.rmtree(folder, ignore_errors=True)


# -------------------------------------------------------------------------------- requests


def get_json(port: int, path: str) -> dict[str, object]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise SystemExit(f"GET {path}: {response.status} {body[:200]!r}")
        return dict(json.loads(body))
    finally:
        conn.close()


def image_requests(port: int, identifier: str) -> dict[str, list[str]]:
    """Tiles of every level (as a viewer asks for them) and whole-image sizes of one image."""
    base = f"/iiif/3/{identifier}"
    info = get_json(port, f"{base}/info.json")
    width, height = int(info["width"]), int(info["height"])  # type: ignore[call-overload]
    tiles: list[str] = []
    for spec in info["tiles"]:  # type: ignore[attr-defined]
        tw = spec["width"]
        th = spec.get("height", tw)
        for s in spec["scaleFactors"]:
            level_w, level_h = max(1, width // s), max(1, height // s)
            for row in range(-(-level_h // th)):
                for col in range(-(-level_w // tw)):
                    x, y = col * tw * s, row * th * s
                    w, h = min(tw * s, width - x), min(th * s, height - y)
                    out_w, out_h = min(tw, level_w - col * tw), min(th, level_h - row * th)
                    if w > 0 and h > 0 and out_w > 0 and out_h > 0:
                        tiles.append(f"{base}/{x},{y},{w},{h}/{out_w},{out_h}/0/default.jpg")
    listed = [f"{base}/full/{s['width']},{s['height']}/0/default.jpg" for s in info["sizes"]]  # type: ignore[attr-defined]
    full = listed + [f"{base}/full/{w},/0/default.jpg" for w in (150, 300, 600, 1000, 1600)]
    other = [
        f"{base}/full/500,/0/default.png",
        f"{base}/full/400,/0/gray.webp",
        f"{base}/full/300,/0/default.gif",
        f"{base}/full/800,/90/default.jpg",
        f"{base}/full/600,/22.5/default.jpg",
        f"{base}/pct:25,25,50,50/700,/!0/default.jpg",
        f"{base}/square/256,256/0/bitonal.png",
    ]
    rng = random.Random(identifier)
    varied = []  # crops shared from a viewer, thumbnails of odd sizes: each asked for rarely
    for _ in range(400):
        w, h = rng.randrange(64, width // 2), rng.randrange(64, height // 2)
        x, y = rng.randrange(0, width - w), rng.randrange(0, height - h)
        fmt = rng.choice(["jpg", "jpg", "jpg", "png", "webp"])
        rotation = rng.choice(["0", "0", "0", "90", "!0", "5"])
        size = rng.randrange(48, min(900, w) + 1)  # never wider than the region: no ^ needed
        varied.append(f"{base}/{x},{y},{w},{h}/{size},/{rotation}/default.{fmt}")
    return {"tile": tiles, "full": full, "other": other, "varied": varied, "info": [f"{base}/info.json"]}


@dataclass
class Mix:
    """Request kinds with their paths and shares of the traffic."""

    paths: dict[str, list[str]] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)

    def add(self, kind: str, paths: list[str]) -> None:
        self.paths.setdefault(kind, []).extend(paths)

    def pick(self, rng: random.Random) -> tuple[str, str]:
        kind = rng.choices(list(self.weights), weights=list(self.weights.values()))[0]
        return kind, rng.choice(self.paths[kind])


def build_mix(port: int, items: int) -> Mix:
    mix = Mix()
    for n in range(items):
        item = f"soak-{n}"
        for seq in (1, 2):
            for kind, paths in image_requests(port, f"{item}~{seq}").items():
                mix.add(kind, paths)
        mix.add("manifest", [f"/iiif/{item}/manifest"])
        mix.add("page", [f"/items/{item}", f"/items/{item}/mods.xml"])
        mix.add("oai", [f"/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:muniment.example.org:{item}"])
    mix.add("page", ["/", "/collections/soak"])
    mix.add("search", [f"/search?q={w}" for w in WORDS] + ["/search?q=soak+item", "/search?subject=ledger"])
    mix.add("oai", ["/oai?verb=Identify", "/oai?verb=ListRecords&metadataPrefix=oai_dc", "/oai?verb=ListSets"])
    mix.weights = {
        "tile": 50,
        "full": 10,
        "other": 3,
        "varied": 4,
        "info": 10,
        "manifest": 6,
        "page": 9,
        "search": 6,
        "oai": 6,
    }
    return mix


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[int, int] = defaultdict(int)
        self.errors: dict[str, int] = defaultdict(int)
        self.examples: dict[int, str] = {}

    def record(self, kind: str, path: str, status: int, seconds: float) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            self.statuses[status] += 1
            if status >= 500:
                self.examples.setdefault(status, path)


class Client(threading.Thread):
    def __init__(self, port: int, mix: Mix, stats: Stats, seed: int, until: float) -> None:
        super().__init__(daemon=True)
        self.port, self.mix, self.stats, self.until = port, mix, stats, until
        self.rng = random.Random(seed)

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        while time.monotonic() < self.until:
            kind, path = self.mix.pick(self.rng)
            start = time.perf_counter()
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                status = response.status
                if response.getheader("connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException) as exc:
                with self.stats.lock:
                    self.stats.errors[type(exc).__name__] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                continue
            self.stats.record(kind, path, status, time.perf_counter() - start)
        conn.close()


# --------------------------------------------------------------------------------- workers


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = defaultdict(list)
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            children[int(stat[stat.rindex(")") + 2 :].split()[1])].append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def web_workers(server_pid: int) -> list[int]:
    """uvicorn's worker processes (multiprocessing spawns) below ``muniment serve``."""
    workers = []
    for pid in descendants(server_pid):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in cmdline:
            workers.append(pid)
    return sorted(workers)


def usage(pid: int) -> tuple[float, int]:
    """RSS in MB and open file descriptors of one process."""
    rss = 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1]) / 1024
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


# ------------------------------------------------------------------------------------ main


def percentile(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10, help="length of the run (default 10)")
    parser.add_argument("--connections", type=int, default=8, help="concurrent keep-alive clients (default 8)")
    parser.add_argument("--items", type=int, default=12, help="fixed items requested (two pages each)")
    parser.add_argument("--workdir", type=Path, help="keep data here (default: a temporary folder, removed)")
    parser.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a server setting, e.g. iiif_tile_cache_mb=0",
    )
    args = parser.parse_args()

    work = (args.workdir or Path(tempfile.mkdtemp(prefix="muniment-soak-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MUNIMENT_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    env.update({"MUNIMENT_DATA_DIR": str(work / "data"), "MUNIMENT_LOG_LEVEL": "WARNING"})
    server = None
    try:
        if not (work / "seeded").exists():
            print(f"seeding {args.items} items of 2 pages ({PAGE_WIDTH}x{PAGE_HEIGHT}) ...", flush=True)
            start = time.perf_counter()
            shutil.rmtree(work / "data", ignore_errors=True)
            done = ingest(write_batch(work / "seed", 0, args.items, 2, PAGE_WIDTH, PAGE_HEIGHT), env)
            if done.returncode != 0:
                raise SystemExit(f"seed ingest failed: {done.stderr.decode()[-2000:]}")
            print(f"  ingested in {time.perf_counter() - start:.0f} s", flush=True)
            shutil.rmtree(work / "seed")
            (work / "seeded").touch()

        port = free_port()
        server_env = {**env, "MUNIMENT_BASE_URL": f"http://127.0.0.1:{port}", "MUNIMENT_WORKERS": "2"}
        for item in args.setting:
            name, _, value = item.partition("=")
            server_env[f"MUNIMENT_{name.upper()}"] = value
        cmd = [*MUNIMENT, "serve", "--port", str(port)]
        server = Server("muniment serve", port, cmd, server_env, work / "serve.log", "/iiif/3/soak-0~1/info.json")
        server.wait_ready()
        mix = build_mix(port, args.items)
        print(
            f"{len(mix.paths['tile'])} tile paths, {sum(len(p) for p in mix.paths.values())} in all; "
            f"{args.connections} connections for {args.minutes:g} min",
            flush=True,
        )
        workers = web_workers(server.proc.pid)
        if len(workers) != 2:
            raise SystemExit(f"expected 2 web workers below muniment serve, found {workers}")
        samples: list[tuple[float, dict[int, tuple[float, int]]]] = [(0.0, {p: usage(p) for p in workers})]

        seconds = args.minutes * 60
        began = time.monotonic()
        ingester = Ingester(work, env, first=args.items)
        ingester.start()
        stats = Stats()
        clients = [Client(port, mix, stats, seed, began + seconds) for seed in range(args.connections)]
        for client in clients:
            client.start()
        while (elapsed := time.monotonic() - began) < seconds:
            time.sleep(min(SAMPLE_SECONDS, seconds - elapsed))
            samples.append((time.monotonic() - began, {p: usage(p) for p in workers}))
            count = sum(len(v) for v in stats.latencies.values())
            rss = ", ".join(f"{samples[-1][1][p][0]:.0f}" for p in workers)
            print(f"  {samples[-1][0]:5.0f} s  {count} requests  RSS MB {rss}", flush=True)
        for client in clients:
            client.join()
        ingester.stop.set()
        ingester.join(timeout=600)
        return report(stats, samples, workers, seconds, ingester)
    finally:
        if server is not None:
            server.stop()
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


def report(
    stats: Stats,
    samples: list[tuple[float, dict[int, tuple[float, int]]]],
    workers: list[int],
    seconds: float,
    ingester: Ingester,
) -> int:
    total = sum(len(v) for v in stats.latencies.values())
    server_errors = {s: n for s, n in stats.statuses.items() if s >= 500}
    other_5xx = sum(n for s, n in server_errors.items() if s != 503)
    print(f"\n{total} requests in {seconds:.0f} s ({total / seconds:.0f} req/s); statuses {dict(stats.statuses)}")
    print(f"5xx: {sum(server_errors.values())} (503: {server_errors.get(503, 0)}, other: {other_5xx})")
    for status, path in stats.examples.items():
        print(f"  e.g. {status} for {path}")
    if stats.errors:
        print(f"connection errors: {dict(stats.errors)}")
    print(f"ingested during the run: {ingester.items} items ({ingester.failures} batches failed)")
    print(f"\n{'kind':<10}{'requests':>10}{'p50 ms':>10}{'p99 ms':>10}")
    for kind, values in sorted(stats.latencies.items()):
        print(
            f"{kind:<10}{len(values):>10}{percentile(values, 50) * 1000:>10.1f}{percentile(values, 99) * 1000:>10.1f}"
        )

    mid_index = min(range(len(samples)), key=lambda i: abs(samples[i][0] - seconds / 2))
    points = {"start": samples[0], "mid": samples[mid_index], "end": samples[-1]}
    print(
        f"\n{'worker':<10}" + "".join(f"{name + ' MB':>12}{name + ' fds':>11}" for name in points) + f"{'growth':>10}"
    )
    ok = other_5xx == 0
    for pid in workers:
        cells = "".join(f"{s[1][pid][0]:>12.0f}{s[1][pid][1]:>11}" for s in points.values())
        growth = points["end"][1][pid][0] / points["mid"][1][pid][0] - 1
        ok = ok and growth < GROWTH_LIMIT
        print(f"{pid:<10}{cells}{growth:>+10.1%}")
    peak = max(s[1][p][0] for s in samples for p in workers)
    print(f"peak worker RSS {peak:.0f} MB; RSS growth over the second half must be < {GROWTH_LIMIT:.0%}")
    print(f"verdict: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
