"""IIIF image serving: Muniment (``muniment serve``) beside IIPImage (Debian iipimage-server behind
lighttpd, as in ../shared/bench/iipimage) on the very same 10000x8000 pyramidal TIFF, with the
same request lists sent by wrk at 1 and 8 connections, in one run.

    .venv/bin/python bench/iiif.py [--duration 10] [--connections 1,8] [--rounds 1] [--workdir DIR]
                                   [--no-floor] [--servers] [--against REV [--pin] [--rows LISTS]]
                                   [--awake]

``make bench-tools`` installs the Debian packages it runs (lighttpd, iipimage-server, wrk); the
bench itself installs nothing: it says which is missing and exits with status 2. The image is
made with real texture (noise plus gradients), ingested with the real ``muniment ingest`` into a
temporary data folder, and IIPImage gets a copy of the pyramid that ingest stored. Request lists
(each cycled by a wrk Lua script):

- tiles: a viewer's session of pyramid-aligned tiles across zoom levels (all tiles of the small
  levels, viewports of the large ones, edges included), uncached for Muniment
  (MUNIMENT_IIIF_TILE_CACHE_MB=0), with stored-tile passthrough (the default) and re-encoding;
- tiles from Muniment's warm tile cache (against IIPImage's uncached figure: it runs without cache);
- ``full/1000,/0/default.jpg`` and ``info.json``.

Floor rows (unless ``--no-floor``) send the warm-cache and info.json lists to servers that only
replay Muniment's very answers: a bare ASGI app under uvicorn (the least any app under uvicorn can
do) and lighttpd serving the bodies as static files (the least any server can do on this machine).

``--servers`` adds warm-cache and info.json rows for other ways to serve the same app: the
Starlette application without the image fast lane of app/web/asgi.py (under uvicorn, as
``muniment serve`` runs it), and app/web/asgi.py under granian instead of uvicorn.

IIPImage gets Image API 2 URLs (``x,y,w,h/w,/0/default.jpg``, or ``w,h`` where its own height
rounding would give another size), Muniment the 3.0 ones (``x,y,w,h/w,h/0/default.jpg``); every
tile is fetched from both first and checked to have the same size and pixels.
Ingest now stores Q75 tiles (MUNIMENT_PYRAMID_QUALITY: YCbCr, 4:2:0): the passthrough rows are
at bytes comparable with IIPImage's Q75 tiles, the re-encoded rows at equal quality.
``--tiles-only`` needs none of the tools: in process, the bytes and one core's tiles/s of the
stored tiles passed through, before (Q90 RGB) and now, beside the re-encode path.
Targets (issue 4): uncached tiles >= 1.2x IIPImage's req/s with p99 no higher, warm cache >= 10x,
full/1000, >= 1.2x, info.json >= 2x. The exit status is 1 when a target is missed.

``--against REV`` (issue 14: figures within 3% of the commit before a change, e.g. ``--against
8e13501 --rounds 2``) runs Muniment's rows only (tiles passed through, re-encoded and from the warm
cache, ``full/1000,``, the whole image at 81 widths from 960 to 1040 (``full/~1000,``: no two
alike, so neither side's libvips operation cache answers part of a render, as it does for one URL
asked again and again with the response cache off), ``info.json``; no IIPImage or floor rows; needs
wrk alone) for this checkout and for REV, unpacked by ``git archive`` into a temporary folder, in
the same run. Each side is its own ``muniment`` (the module of its pyproject's
``[project.scripts]``, PYTHONPATH its folder, this Python), given only the MUNIMENT_* settings its
code has (none from the caller's environment): no task worker beside ``serve`` and no OCR where
those exist, and pyramids stored at quality 90 (RGB, as ingest stored them before
MUNIMENT_PYRAMID_QUALITY); each ingests the scan with its own code into its own data folder, and
the run stops unless the stored tiles' mean bytes agree within 3%.
``--rows full`` (list names' beginnings, comma separated) runs only those rows, for more rounds of
one figure in the same time.
Per row the sides take turns (A B in one round, B A in the next, the first side alternating by
row, so the machine's drift falls on both); medians of the rounds, this/against, and the spread of
each side's rounds ((largest - smallest) / median). The exit status is 1 when a row's req/s is
below 0.97x against. p99 is shown with its ratio but not judged: on a machine shared with wrk its
rounds lie further apart than 3%, so a 3% p99 bound would fail on noise.

``--awake`` keeps every CPU from halting while wrk runs (a busy loop at the idle scheduling class on
each, which yields to any other thread at once). On a virtual machine a halted CPU is woken through
the hypervisor, and at 1 connection every request wakes the server and then wrk: without it the
1-connection rows measure mostly those wake-ups, which vary with the host's load.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import functools
import http.client
import importlib.util
import json
import os
import pickle
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import simplejpeg  # noqa: E402

from bench._ab import Side, checkout_at, open_side, spread, this_revision, tree_stamp, turns  # noqa: E402

WIDTH, HEIGHT = 10000, 8000
ITEM = "bench-image"
IDENTIFIER = f"{ITEM}~1"
IIP_NAME = "bench.tif"
IIP_CONF = ROOT.parent / "shared" / "bench" / "iipimage" / "lighttpd.conf"
IIPSRV = Path("/usr/lib/iipimage-server/iipsrv.fcgi")
FULL = "full/1000,/0/default.jpg"
# The whole image at 81 widths around 1000: no two requests alike, so no libvips operation cache
# answers any part of a render (it does for one URL asked again and again with no response cache).
FULL_SIZES = [f"full/{w},/0/default.jpg" for w in range(960, 1041)]

LUA = r"""
-- Cycles through the request paths of the file named after "--", from the offset given after it.
local paths, i = {}, 0
function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  i = tonumber(args[2] or "0") % #paths
end
function request()
  i = i % #paths + 1
  return wrk.format(nil, paths[i])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'JSON {"requests":%d,"duration_us":%d,"bytes":%d,"errors":%d,"status_errors":%d,' ..
    '"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect + e.read + e.write + e.timeout,
    e.status, latency:percentile(50), latency:percentile(99)))
end
"""


# ------------------------------------------------------------------------------------ setup


def missing_tools() -> list[str]:
    missing = []
    if not (shutil.which("lighttpd") or Path("/usr/sbin/lighttpd").exists()):
        missing.append("lighttpd (Debian package lighttpd)")
    if not IIPSRV.exists():
        missing.append(f"iipsrv ({IIPSRV}, Debian package iipimage-server)")
    if not shutil.which("wrk"):
        missing.append("wrk (Debian package wrk)")
    return missing


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_scan(folder: Path) -> None:
    """A 10000x8000 RGB scan as bench/ingest.py makes its pages: paper grain on colour gradients."""
    import pyvips

    folder.mkdir(parents=True)
    noise = pyvips.Image.gaussnoise(WIDTH, HEIGHT, sigma=8, mean=200, seed=1)
    xy = pyvips.Image.xyz(WIDTH, HEIGHT)
    gradient = xy[0] * (40 / WIDTH) + xy[1] * (20 / HEIGHT)
    page = (noise - gradient).bandjoin([noise - gradient * 0.8, noise - gradient * 1.2]).cast("uchar")
    page.copy(interpretation="srgb").tiffsave(str(folder / "page1.tif"), compression="none")
    (folder / "metadata.json").write_text('{"title": "IIIF benchmark scan", "creator": "Muniment bench"}')


def muniment_command() -> list[str]:
    script = Path(sys.executable).parent / "muniment"
    return [str(script)] if script.exists() else [sys.executable, "-m", "app.cli.main"]


def prepare(work: Path) -> Path:
    """Make the scan and ingest it (once per work folder); return the pyramid ingest stored."""
    pyramid = ingest_scan(work, work / "data", muniment_command(), dict(os.environ), work / "ingested", "")
    (work / "scan" / "page1.tif").unlink(missing_ok=True)
    return pyramid


def ingest_scan(
    work: Path, data: Path, command: list[str], env: dict[str, str], marker: Path, stamp: str, cwd: Path | None = None
) -> Path:
    """Ingest the scan (made in work/scan when absent) into ``data`` with ``command`` (a
    ``muniment``, run in ``cwd``), unless ``marker`` says it was done with this ``stamp``; the
    pyramid stored."""
    if not marker.exists() or marker.read_text() != stamp:
        shutil.rmtree(data, ignore_errors=True)
        if not (work / "scan" / "page1.tif").exists():
            shutil.rmtree(work / "scan", ignore_errors=True)
            print(f"making a {WIDTH}x{HEIGHT} scan ...", flush=True)
            make_scan(work / "scan")
        print(f"muniment ingest into {data.relative_to(work)} ...", flush=True)
        start = time.perf_counter()
        cmd = [*command, "ingest", str(work / "scan"), "--collection", "bench", "--identifier", ITEM, "--quiet"]
        subprocess.run(cmd, env={**env, "MUNIMENT_DATA_DIR": str(data)}, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
        print(f"  ingested in {time.perf_counter() - start:.0f} s", flush=True)
        marker.write_text(stamp)
    pyramids = sorted((data / "access").rglob("*.tif"))
    if len(pyramids) != 1:
        raise SystemExit(f"expected one pyramid in {data / 'access'}, found {pyramids}")
    return pyramids[0]


# ---------------------------------------------------------------------------------- servers


class Server:
    def __init__(
        self, label: str, port: int, cmd: list[str], env: dict[str, str], log: Path, probe: str, cwd: Path | None = None
    ) -> None:
        self.label, self.port, self.probe = label, port, probe
        self._log = log.open("wb")
        self.proc = subprocess.Popen(
            cmd, env=env, cwd=cwd, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.log = log

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"{self.label} exited with {self.proc.returncode}:\n{self.log.read_text()[-2000:]}")
            try:
                status, _ = get(self.port, self.probe)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise SystemExit(f"{self.label} not ready after {timeout:.0f} s:\n{self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)  # the process group this script started
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            except ProcessLookupError:
                pass
        self._log.close()

    def cpu_seconds(self) -> float:
        """User plus system time of every process of the server (its process group), so far."""
        total = 0
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                try:
                    stat = Path(f"/proc/{pid}/stat").read_text()
                except OSError:
                    continue
                fields = stat[stat.rindex(")") + 2 :].split()
                if int(fields[2]) == self.proc.pid:
                    total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")


def start_iipimage(work: Path, images: Path, cores: int) -> Server:
    run = work / "iip-run"
    shutil.rmtree(run, ignore_errors=True)
    run.mkdir()
    port = free_port()
    env = {
        **os.environ,
        "IIP_DIR": str(run),
        "IIP_IMAGES": f"{images}/",
        "IIP_PORT": str(port),
        "IIP_PROCS": str(cores),
        "IIP_CACHE_MB": "0",
        "IIP_OMP": "1",
    }
    lighttpd = shutil.which("lighttpd") or "/usr/sbin/lighttpd"
    return Server(
        "IIPImage", port, [lighttpd, "-D", "-f", str(IIP_CONF)], env, run / "stdout.log", f"/iiif/{IIP_NAME}/info.json"
    )


def start_muniment(label: str, work: Path, cores: int, **settings: str) -> Server:
    port = free_port()
    env = {
        **os.environ,
        "MUNIMENT_DATA_DIR": str(work / "data"),
        "MUNIMENT_BASE_URL": f"http://127.0.0.1:{port}",
        "MUNIMENT_WORKERS": str(cores),
        "MUNIMENT_LOG_LEVEL": "WARNING",
        **{f"MUNIMENT_{k.upper()}": v for k, v in settings.items()},
    }
    env.pop("MUNIMENT_CONFIG", None)
    cmd = [*muniment_command(), "serve", "--port", str(port)]
    log = work / f"muniment-{label.replace(' ', '-')}.log"
    return Server(f"Muniment {label}", port, cmd, env, log, f"/iiif/3/{IDENTIFIER}/info.json")


# One a CPU: at the idle scheduling class any runnable thread takes the CPU from it at once, so it
# costs the measured processes next to nothing but keeps the virtual CPU from halting between requests.
_SPIN = (
    "import os, sys; os.sched_setaffinity(0, {int(sys.argv[1])}); "
    "os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))\nwhile True: pass"
)


@contextlib.contextmanager
def cpus_kept_awake(enabled: bool) -> Iterator[None]:
    """With ``enabled``, a busy loop at SCHED_IDLE on every CPU while the block runs.

    On a virtual machine an idle CPU halts, and waking it for the next request goes through the
    hypervisor: at 1 connection, where every request wakes the server and then wrk, that wake-up is
    much of what a request takes and varies with the host's load (lighttpd's static file at 1
    connection here, 2026-12-03: 6,300-7,000 req/s with halting CPUs, 22,000-24,000 kept awake)."""
    cpus = sorted(os.sched_getaffinity(0)) if enabled else []
    spinners = [subprocess.Popen([sys.executable, "-c", _SPIN, str(cpu)]) for cpu in cpus]
    try:
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def on_cpus(cpus: str | None, cmd: list[str]) -> list[str]:
    """``cmd`` kept to the CPUs ``cpus`` (taskset's list, e.g. "1"), or as it is for None."""
    return ["taskset", "-c", cpus, *cmd] if cpus else cmd


def server_workers(args: argparse.Namespace) -> int:
    """Workers each A/B server runs: one a CPU, less the one wrk has under ``--pin``."""
    cores = os.cpu_count() or 1
    return cores - 1 if args.pin and cores > 1 else cores


def start_side(side: Side, label: str, work: Path, cores: int, cpus: str | None = None, **settings: str) -> Server:
    """``muniment serve`` of one side of an A/B, on its own data, with the settings it knows,
    kept to ``cpus`` when given."""
    port = free_port()
    env = side.env(
        data_dir=str(work / side.name / "data"),
        base_url=f"http://127.0.0.1:{port}",
        workers=str(cores),
        log_level="WARNING",
        **AB_SETTINGS,
        **settings,
    )
    log = work / side.name / f"muniment-{label.replace(' ', '-')}.log"
    cmd = on_cpus(cpus, side.command("serve", "--port", str(port)))
    return Server(f"{side.name} {label}", port, cmd, env, log, f"/iiif/3/{IDENTIFIER}/info.json", cwd=side.root)


def start_floor(work: Path, cores: int, responses: dict[str, tuple[list[tuple[str, str]], bytes]]) -> Server:
    """The least any uvicorn app can do: Muniment's very responses (headers and bytes), looked up
    by path, from a bare ASGI app under uvicorn with the same workers."""
    table = work / "floor.pickle"
    table.write_bytes(pickle.dumps(responses))
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "bench.iiif:floor_app",
        "--port",
        str(port),
        "--workers",
        str(cores),
        "--no-access-log",
        "--no-server-header",
        "--log-level",
        "warning",
    ]
    env = {**os.environ, "BENCH_IIIF_FLOOR": str(table), "PYTHONPATH": str(ROOT)}
    return Server("uvicorn floor (same bytes)", port, cmd, env, work / "floor.log", next(iter(responses)))


def start_static(work: Path, cores: int, responses: dict[str, tuple[list[tuple[str, str]], bytes]]) -> Server:
    """The ceiling of this machine for an answer known in advance: the same bodies as files, from
    lighttpd (C, the front IIPImage runs behind) with as many workers. No Python server can send
    them faster; at 1 connection both sit mostly waiting for the other core to wake."""
    root = work / "static"
    shutil.rmtree(root, ignore_errors=True)
    for path, (_, body) in responses.items():
        file = root / path.lstrip("/")
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(body)
    port = free_port()
    conf = work / "static.conf"
    conf.write_text(
        f'server.document-root = "{root}"\nserver.bind = "127.0.0.1"\nserver.port = {port}\n'
        f'server.errorlog = "{work}/static-error.log"\nserver.max-worker = {cores}\n'
        "server.max-keep-alive-requests = 100000\n"
    )
    lighttpd = shutil.which("lighttpd") or "/usr/sbin/lighttpd"
    return Server(
        "lighttpd static, same bytes",
        port,
        [lighttpd, "-D", "-f", str(conf)],
        {**os.environ},
        work / "static.log",
        next(iter(responses)),
    )


def floor_app() -> object:
    table = pickle.loads(Path(os.environ["BENCH_IIIF_FLOOR"]).read_bytes())
    answers = {
        path.encode(): ([(k.lower().encode(), v.encode()) for k, v in headers], body)
        for path, (headers, body) in table.items()
    }

    async def app(scope: dict, receive: object, send: object) -> None:
        if scope["type"] == "http":
            headers, body = answers[scope["raw_path"]]
            await send({"type": "http.response.start", "status": 200, "headers": headers})  # type: ignore[operator]
            await send({"type": "http.response.body", "body": body})  # type: ignore[operator]

    return app


def start_entry_point(label: str, work: Path, cores: int, server: str, factory: str) -> Server:
    """Muniment's app with the warm-cache instance's settings, from ``factory`` under ``server``
    (uvicorn with the options ``muniment serve`` gives it, or granian): other ways to serve it."""
    port = free_port()
    cmd = [sys.executable, "-m", server, "--factory", factory, "--port", str(port), "--workers", str(cores)]
    if server == "uvicorn":
        cmd += ["--no-access-log", "--no-server-header", "--log-level", "warning", "--loop", "uvloop"]
        cmd += ["--http", "httptools"]
    else:  # granian: ASGI with lifespan, no access log (its default), HTTP/1 only as uvicorn
        cmd += ["--interface", "asgi", "--loop", "uvloop", "--log-level", "warning", "--http", "1", "--no-ws"]
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "MUNIMENT_DATA_DIR": str(work / "data"),
        "MUNIMENT_BASE_URL": f"http://127.0.0.1:{port}",
        "MUNIMENT_IIIF_TILE_CACHE_MB": "256",
        "MUNIMENT_IIIF_TILE_PASSTHROUGH": "true",
        "MUNIMENT_LOG_LEVEL": "WARNING",
    }
    env.pop("MUNIMENT_CONFIG", None)
    log = work / f"{label.replace(' ', '-').replace(',', '')}.log"
    return Server(label, port, cmd, env, log, f"/iiif/3/{IDENTIFIER}/info.json")


def starlette_app() -> object:
    """Muniment's Starlette application alone, without the image fast lane of app/web/asgi.py."""
    from app.web.app import create_app
    from repo.settings import Settings

    return create_app(Settings.load(None))


_connections: dict[int, http.client.HTTPConnection] = {}


def get_response(port: int, path: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """GET on a kept-alive connection (made again once if the server closed an idle one)."""
    for attempt in (1, 2):
        conn = _connections.get(port)
        if conn is None:
            conn = _connections[port] = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            return response.status, response.getheaders(), response.read()
        except (OSError, http.client.HTTPException):
            conn.close()
            _connections.pop(port, None)
            if attempt == 2:
                raise
    raise AssertionError


def get(port: int, path: str) -> tuple[int, bytes]:
    status, _, body = get_response(port, path)
    return status, body


# ---------------------------------------------------------------------------- request lists


@dataclass(frozen=True)
class Tile:
    scale: int
    x: int
    y: int
    w: int  # region, full-image pixels
    h: int
    out_w: int  # the stored tile's pixels
    out_h: int


def viewer_tiles(pyramid_path: Path, seed: int = 4) -> list[Tile]:
    """A viewer's session: every tile of the levels that fit a screen, viewports (8x5 tiles, one in
    the bottom-right corner) of the larger ones, deeper zooms seeing more viewports."""
    from iiif.image.source import LocalFileSource
    from iiif.image.tiff import read_pyramid

    info = read_pyramid(LocalFileSource(str(pyramid_path)))
    rng = random.Random(seed)
    tiles: list[Tile] = []
    for level in sorted(info.levels, key=lambda lv: -lv.scale):
        s, tw, th = level.scale, level.tile_width, level.tile_height
        across, down = -(-level.width // tw), -(-level.height // th)
        if across * down <= 80:
            cells = [(c, r) for r in range(down) for c in range(across)]
        else:
            views = 8 if s == 1 else 4
            corners = [(across - 8, down - 5)] + [
                (rng.randrange(across - 7), rng.randrange(down - 4)) for _ in range(views - 1)
            ]
            cells = [(c0 + c, r0 + r) for c0, r0 in corners for r in range(5) for c in range(8)]
        seen: set[tuple[int, int]] = set()
        for c, r in cells:
            if (c, r) in seen:
                continue
            seen.add((c, r))
            x, y = c * tw * s, r * th * s
            tiles.append(
                Tile(
                    s,
                    x,
                    y,
                    min(tw * s, info.width - x),
                    min(th * s, info.height - y),
                    min(tw, level.width - c * tw),
                    min(th, level.height - r * th),
                )
            )
    return tiles


def muniment_tile(t: Tile) -> str:
    return f"/iiif/3/{IDENTIFIER}/{t.x},{t.y},{t.w},{t.h}/{t.out_w},{t.out_h}/0/default.jpg"


def iip_tile(t: Tile, exact: bool) -> str:
    size = f"{t.out_w},{t.out_h}" if exact else f"{t.out_w},"
    return f"/iiif/{IIP_NAME}/{t.x},{t.y},{t.w},{t.h}/{size}/0/default.jpg"


def check_same_tiles(iip: Server, muniment: Server, tiles: list[Tile]) -> list[str]:
    """IIPImage paths giving the same tiles as Muniment's (size and pixels); fails loudly if not."""
    import numpy as np

    paths, exact, diffs = [], 0, []
    for n, t in enumerate(tiles):
        status, ours = get(muniment.port, muniment_tile(t))
        if status != 200:
            raise SystemExit(f"Muniment answered {status} to {muniment_tile(t)}")
        path = iip_tile(t, exact=False)
        status, theirs = get(iip.port, path)
        if status == 200 and simplejpeg.decode_jpeg_header(theirs)[:2] != (t.out_h, t.out_w):
            path = iip_tile(t, exact=True)  # IIPImage's own height rounding: ask for both sides
            status, theirs = get(iip.port, path)
            exact += 1
        if status != 200:
            raise SystemExit(f"IIPImage answered {status} to {path}")
        a, b = simplejpeg.decode_jpeg(ours), simplejpeg.decode_jpeg(theirs)
        if a.shape != b.shape or a.shape[:2] != (t.out_h, t.out_w):
            raise SystemExit(f"different tiles: {muniment_tile(t)} is {a.shape}, {path} is {b.shape}")
        if n % 7 == 0:
            diffs.append(float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean()))
        paths.append(path)
    worst = max(diffs)
    if worst > 12:
        raise SystemExit(f"tiles differ in content (mean absolute difference {worst:.1f})")
    print(
        f"  {len(tiles)} tiles, same sizes from both ({exact} IIPImage paths as w,h); "
        f"mean |pixel difference| {statistics.mean(diffs):.1f} (worst {worst:.1f}; both encode at Q75)"
    )
    return paths


# ------------------------------------------------------------------------------------- wrk


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    kb: float  # per response
    cpu_ms: float  # server CPU (user + system, all its processes) per request


def wrk(
    server: Server,
    paths: list[str],
    connections: int,
    seconds: int,
    work: Path,
    *,
    close: bool = False,
    cpus: str | None = None,
) -> Result:
    script, listing = work / "cycle.lua", work / f"paths-{server.port}.txt"
    if not script.exists():
        script.write_text(LUA)
    listing.write_text("\n".join(paths) + "\n")
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script)]
    if close:
        cmd += ["-H", "Connection: close"]
    cmd += [f"http://127.0.0.1:{server.port}", "--", str(listing), str(random.randrange(len(paths)))]
    cpu = server.cpu_seconds()
    out = subprocess.run(on_cpus(cpus, cmd), check=True, capture_output=True, text=True).stdout
    cpu = server.cpu_seconds() - cpu
    line = next((x for x in out.splitlines() if x.startswith("JSON ")), None)
    if line is None:
        raise SystemExit(f"no result from wrk:\n{out}")
    r = json.loads(line[5:])
    if r["errors"] or r["status_errors"] or not r["requests"]:
        raise SystemExit(f"wrk saw errors from {server.label} ({paths[0]} ...): {r}")
    n = r["requests"]
    return Result(
        n / (r["duration_us"] / 1e6), r["p50_us"] / 1e3, r["p99_us"] / 1e3, r["bytes"] / n / 1024, cpu * 1e3 / n
    )


def warm_up(server: Server, paths: list[str], work: Path, seconds: int = 6) -> None:
    """Fill every worker's tile cache: a new connection per request lands on any worker."""
    wrk(server, paths, 8, seconds, work, close=True)


# ------------------------------------------------------------------------------------ main


def tile_bytes(work: Path, rounds: int) -> int:
    """``--tiles-only``: the stored tiles a viewer receives, in process (no servers, wrk or IIPImage).

    The bench scan's pyramid made as ingest made it before (JPEG Q90, RGB, no chroma subsampling)
    and as it makes it now (MUNIMENT_PYRAMID_QUALITY, YCbCr 4:2:0); for a viewer's session of
    aligned tiles, the bytes sent and the tiles a second one core gives: passing the stored tiles
    through, and re-encoding the Q90 ones to Q75 (the re-encode path, IIPImage's way).
    """
    from iiif.image.fastpath import AlignedTile, serve_tile
    from iiif.image.pyramid import Pyramid
    from iiif.image.source import LocalFileSource
    from iiif.image.tiff import read_pyramid
    from ingest.derivatives import make_derivatives
    from repo.settings import Settings

    quality = Settings().pyramid_quality
    scan = work / "scan" / "page1.tif"
    if not scan.exists():
        shutil.rmtree(work / "scan", ignore_errors=True)
        make_scan(work / "scan")
    pyramids = {}
    for q in (90, quality):
        out = work / f"q{q}"
        out.mkdir(exist_ok=True)
        made = make_derivatives(scan, "image/tiff", out, "page1", quality=q)
        assert not isinstance(made, Exception) and hasattr(made, "pyramid"), made
        source = LocalFileSource(str(made.pyramid))
        pyramids[q] = Pyramid(read_pyramid(source), source, functools.partial(str, made.pyramid))
    tiles = viewer_tiles(work / "q90" / "page1.tif")

    def aligned(pyramid: Pyramid, t: Tile) -> AlignedTile:
        level = next(lv for lv in pyramid.info.levels if lv.scale == t.scale)
        col, row = t.x // (level.tile_width * t.scale), t.y // (level.tile_height * t.scale)
        return AlignedTile(level, col, row, t.out_w, t.out_h)

    rows = [
        ("stored Q90 RGB, passed through (before)", pyramids[90], True, 0),
        (f"stored Q{quality} YCbCr 4:2:0, passed through", pyramids[quality], True, 0),
        ("stored Q90, re-encoded to Q75 (re-encode path)", pyramids[90], False, 75),
    ]
    load = os.getloadavg()[0]
    print(f"\n{len(tiles)} aligned tiles of a viewer's session, one thread, best of {rounds}; load {load:.1f}")
    print(f"{'':48} {'KB/tile':>8} {'tiles/s':>8} {'bytes x':>8} {'speed x':>8}")
    figures = []
    for label, pyramid, passthrough, q in rows:
        best, sent = float("inf"), 0
        for _ in range(rounds):
            start, sent = time.process_time(), 0
            for t in tiles:
                body = serve_tile(pyramid, aligned(pyramid, t), jpeg_quality=q or 75, passthrough=passthrough)
                assert body is not None
                sent += len(body)
            best = min(best, time.process_time() - start)
        figures.append((label, sent / len(tiles), len(tiles) / best))
    base_bytes, base_rate = figures[-1][1], figures[-1][2]
    for label, per_tile, rate in figures:
        print(f"{label:48} {per_tile / 1024:8.1f} {rate:8.0f} {per_tile / base_bytes:8.2f} {rate / base_rate:8.2f}")
    print("(bytes x and speed x against the re-encode path; IIPImage re-encodes as it does)")
    return 0


def machine() -> str:
    model = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} cores ({model})"


GOALS = {"tiles": 1.2, "tiles (warm)": 10.0, "full/1000,": 1.2, "info.json": 2.0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (default 10)")
    parser.add_argument("--connections", default="1,8", help="comma separated (default 1,8)")
    parser.add_argument("--rounds", type=int, default=1, help="repeat every run; medians are shown")
    parser.add_argument(
        "--no-floor", action="store_true", help="skip the rows of the same bytes from a bare uvicorn app and lighttpd"
    )
    parser.add_argument(
        "--servers",
        action="store_true",
        help="add warm-cache and info.json rows for the app without the image fast lane (uvicorn) and "
        "under granian (needs the granian package)",
    )
    parser.add_argument(
        "--against",
        metavar="REV",
        help="run Muniment's rows for this checkout and for the commit REV in the same run, and compare them",
    )
    parser.add_argument(
        "--pin",
        action="store_true",
        help="with --against: wrk on CPU 0 and the servers on the other CPUs (taskset), one worker a CPU",
    )
    parser.add_argument(
        "--awake",
        action="store_true",
        help="keep every CPU from halting while wrk runs (a busy loop at SCHED_IDLE on each): on a virtual "
        "machine the wake-ups otherwise weigh on the 1-connection rows",
    )
    parser.add_argument(
        "--rows",
        metavar="LISTS",
        help="with --against: only the rows whose request list begins with one of these, comma separated "
        "(e.g. full,info)",
    )
    parser.add_argument("--workdir", type=Path, help="keep the scan, data and logs here (reused when run again)")
    parser.add_argument(
        "--tiles-only",
        action="store_true",
        help="only the stored tiles' bytes and cost, in process, before and after MUNIMENT_PYRAMID_QUALITY "
        "(needs no lighttpd, iipsrv or wrk)",
    )
    args = parser.parse_args()
    if args.rows and not args.against:
        parser.error("--rows chooses among the rows of --against")
    if args.against:
        if args.tiles_only or args.servers:
            parser.error("--against runs Muniment's rows only: leave out --tiles-only and --servers")
        return run_against(args)
    if args.tiles_only:
        work = args.workdir.resolve() if args.workdir else Path(tempfile.mkdtemp(prefix="muniment-bench-tiles-"))
        work.mkdir(parents=True, exist_ok=True)
        return tile_bytes(work, max(args.rounds, 3))
    missing = missing_tools()
    if not IIP_CONF.exists():
        missing.append(f"the IIPImage lighttpd configuration {IIP_CONF}")
    if args.servers and importlib.util.find_spec("granian") is None:
        missing.append("granian, for --servers (.venv/bin/pip install granian)")
    if missing:
        print("bench/iiif.py needs, and does not install:", *(f"  - {m}" for m in missing), sep="\n", file=sys.stderr)
        print("  apt-get install -y --no-install-recommends iipimage-server lighttpd wrk", file=sys.stderr)
        return 2
    conns = [int(c) for c in args.connections.split(",")]
    cores = os.cpu_count() or 1
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(36, 1)  # PR_SET_CHILD_SUBREAPER: lighttpd's iipsrv children are reaped here
    work = args.workdir.resolve() if args.workdir else Path(tempfile.mkdtemp(prefix="muniment-bench-iiif-"))
    work.mkdir(parents=True, exist_ok=True)
    servers: list[Server] = []
    try:
        pyramid = prepare(work)
        images = work / "iip-images"
        images.mkdir(exist_ok=True)
        shutil.copyfile(pyramid, images / IIP_NAME)
        print(f"pyramid {pyramid.relative_to(work)} ({pyramid.stat().st_size / 1e6:.0f} MB), copied for IIPImage")
        iip = start_iipimage(work, images, cores)
        m_pass = start_muniment("passthrough", work, cores, iiif_tile_cache_mb="0", iiif_tile_passthrough="true")
        m_reenc = start_muniment("re-encode", work, cores, iiif_tile_cache_mb="0", iiif_tile_passthrough="false")
        m_warm = start_muniment("warm cache", work, cores, iiif_tile_cache_mb="256", iiif_tile_passthrough="true")
        servers += [iip, m_pass, m_reenc, m_warm]
        for server in servers:
            server.wait_ready()
        tiles = viewer_tiles(pyramid)
        print("checking that both servers give the same tiles ...", flush=True)
        m_tiles = [muniment_tile(t) for t in tiles]
        lists: dict[str, dict[str, list[str]]] = {
            "tiles": {"iip": check_same_tiles(iip, m_reenc, tiles), "m": m_tiles},
            "full/1000,": {"iip": [f"/iiif/{IIP_NAME}/{FULL}"], "m": [f"/iiif/3/{IDENTIFIER}/{FULL}"]},
            "info.json": {"iip": [f"/iiif/{IIP_NAME}/info.json"], "m": [f"/iiif/3/{IDENTIFIER}/info.json"]},
        }
        for server, kind in ((iip, "iip"), (m_pass, "m")):
            status, body = get(server.port, lists["full/1000,"][kind][0])
            if status != 200 or simplejpeg.decode_jpeg_header(body)[1] != 1000:
                raise SystemExit(f"{server.label} answered {status} to full/1000,")
        warm_up(m_warm, m_tiles, work)
        plan = [
            ("tiles", iip),
            ("tiles", m_pass),
            ("tiles", m_reenc),
            ("tiles (warm)", m_warm),
            ("full/1000,", iip),
            ("full/1000,", m_pass),
            ("info.json", iip),
            ("info.json", m_pass),
        ]
        if not args.no_floor:
            responses = {}
            for path in m_tiles + lists["info.json"]["m"]:
                status, headers, body = get_response(m_warm.port, path)
                responses[path] = ([(k, v) for k, v in headers if k.lower() not in ("date", "server")], body)
            for floor in (start_floor(work, cores, responses), start_static(work, cores, responses)):
                servers.append(floor)
                floor.wait_ready()
                plan.insert(plan.index(("tiles (warm)", m_warm)) + 1, ("tiles (warm)", floor))
                plan.insert(plan.index(("info.json", m_pass)) + 1, ("info.json", floor))
        if args.servers:
            others = [
                start_entry_point("uvicorn, no fast lane", work, cores, "uvicorn", "bench.iiif:starlette_app"),
                start_entry_point("granian", work, cores, "granian", "app.web.asgi:create_app_from_environment"),
            ]
            servers += others
            for other in others:
                other.wait_ready()
                warm_up(other, m_tiles, work)
                plan.insert(plan.index(("tiles (warm)", m_warm)) + 1, ("tiles (warm)", other))
                plan.insert(plan.index(("info.json", m_pass)) + 1, ("info.json", other))
        runs = len(plan) * len(conns) * args.rounds
        print(f"{runs} wrk runs of {args.duration} s; {machine()}, load average {os.getloadavg()[0]:.1f}", flush=True)
        results: dict[tuple[str, int, str], list[Result]] = {}
        with cpus_kept_awake(args.awake):
            for _ in range(args.rounds):
                for c in conns:
                    for name, server in plan:
                        which = "iip" if server is iip else "m"
                        res = wrk(server, lists[name.replace(" (warm)", "")][which], c, args.duration, work)
                        results.setdefault((name, c, server.label), []).append(res)
        return report(results, [(name, server.label) for name, server in plan], conns, len(tiles), args)
    finally:
        for server in reversed(servers):
            server.stop()
        for conn in _connections.values():
            conn.close()
        with contextlib.suppress(ChildProcessError):
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)


def report(
    results: dict[tuple[str, int, str], list[Result]],
    plan: list[tuple[str, str]],
    conns: list[int],
    n_tiles: int,
    args: argparse.Namespace,
) -> int:
    def med(key: tuple[str, int, str]) -> Result:
        rs = results[key]
        return Result(*(statistics.median(getattr(r, f) for r in rs) for f in Result.__dataclass_fields__))

    print()
    print(
        f"{'list':<13} {'conns':>5}  {'server':<27} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'KB':>5}"
        f" {'CPU ms':>7}  {'x IIP req/s':>11} {'p99/IIP':>7} {'CPU/IIP':>7}"
    )
    targets: list[tuple[str, bool]] = []
    for c in conns:
        for name, label in plan:
            r = med((name, c, label))
            line = (
                f"{name:<13} {c:>5}  {label:<27} {r.rps:7.0f} {r.p50_ms:7.2f} {r.p99_ms:7.2f} {r.kb:5.1f}"
                f" {r.cpu_ms:7.3f}"
            )
            if label != "IIPImage":
                b = med((name.replace(" (warm)", ""), c, "IIPImage"))
                ratio, p99 = r.rps / b.rps, r.p99_ms / b.p99_ms
                line += f"  {ratio:10.2f}x {p99:6.2f}x {r.cpu_ms / b.cpu_ms:6.2f}x"
                if label.startswith("Muniment") and label != "Muniment re-encode":
                    ok = ratio >= GOALS[name] and (name != "tiles" or p99 <= 1.0)
                    cond = f">= {GOALS[name]:g}x" + (", p99 <= IIPImage's" if name == "tiles" else "")
                    targets.append((f"{name:<13} {c} conn: {ratio:5.2f}x req/s, p99 {p99:.2f}x  (target {cond})", ok))
            print(line)
        print()
    for text, ok in targets:
        print(f"{'met   ' if ok else 'MISSED'}  {text}")
    print(
        f"\n{n_tiles} aligned tiles in the tiles list; KB and CPU ms per response; {args.duration} s per run, "
        f"{args.rounds} round(s); {os.cpu_count()} workers for each server, wrk on the same cores;"
    )
    load = os.getloadavg()[0]
    print(f"{machine()}, load average now {load:.1f} (other work shares the machine: compare within a run)")
    return 0 if all(ok for _, ok in targets) else 1


# ------------------------------------------------------------------------------- --against

# Both sides do the same work: no task worker beside `serve`, no OCR queued at ingest (a side
# that has neither setting had neither), and the pyramid stored at quality 90, RGB, as ingest
# made it before MUNIMENT_PYRAMID_QUALITY (so the stored tiles passed through are alike).
AB_SETTINGS = {"serve_worker": "false", "ocr": "false", "pyramid_quality": "90"}
AB_SERVERS = {
    "passthrough": {"iiif_tile_cache_mb": "0", "iiif_tile_passthrough": "true"},
    "re-encode": {"iiif_tile_cache_mb": "0", "iiif_tile_passthrough": "false"},
    "warm cache": {"iiif_tile_cache_mb": "256", "iiif_tile_passthrough": "true"},
}
AB_ROWS = [  # (request list, server): Muniment's rows of the normal run
    ("tiles", "passthrough"),
    ("tiles", "re-encode"),
    ("tiles (warm)", "warm cache"),
    ("full/1000,", "passthrough"),
    ("full/~1000,", "passthrough"),
    ("info.json", "passthrough"),
]
AB_FLOOR = 0.97  # issue 14: req/s within 3% of the commit before the change


def run_against(args: argparse.Namespace) -> int:
    """Muniment's rows for this checkout and for ``args.against`` in one run, sides interleaved."""
    if not shutil.which("wrk"):
        print("bench/iiif.py --against needs wrk (Debian package wrk): make bench-tools", file=sys.stderr)
        return 2
    conns = [int(c) for c in args.connections.split(",")]
    rows = ab_rows(args.rows)
    cores = server_workers(args)
    # --pin: wrk on CPU 0, the servers (a worker a CPU left) on the others, so neither side's
    # figures depend on where the scheduler put wrk that round.
    wrk_cpus, server_cpus = ("0", f"1-{cores}") if cores < (os.cpu_count() or 1) else (None, None)
    work = args.workdir.resolve() if args.workdir else Path(tempfile.mkdtemp(prefix="muniment-bench-iiif-ab-"))
    work.mkdir(parents=True, exist_ok=True)
    servers: list[Server] = []
    try:
        with checkout_at(ROOT, args.against) as (folder, commit):
            sides = [open_side("this", ROOT, this_revision(ROOT)), open_side("against", folder, commit)]
            for side in sides:
                left_out = side.unknown(list(AB_SETTINGS))
                print(
                    f"{side.name:>8}: {side.revision}, python -m {side.cli_module} in {side.root}"
                    + (f" (has no {', '.join(left_out)}: left out)" if left_out else "")
                )
            pyramids = {}
            for side in sides:
                (work / side.name).mkdir(exist_ok=True)
                pyramids[side.name] = ingest_scan(
                    work,
                    work / side.name / "data",
                    side.command(),
                    side.env(**AB_SETTINGS),
                    work / side.name / "ingested",
                    tree_stamp(side.root, side.revision),
                    cwd=side.root,
                )
            (work / "scan" / "page1.tif").unlink(missing_ok=True)
            tiles = viewer_tiles(pyramids["this"])
            compare_pyramids(pyramids, tiles)
            by_side = {
                side.name: {
                    label: start_side(side, label, work, cores, server_cpus, **s) for label, s in AB_SERVERS.items()
                }
                for side in sides
            }
            servers += [server for labels in by_side.values() for server in labels.values()]
            for server in servers:
                server.wait_ready()
            lists = {
                "tiles": [muniment_tile(t) for t in tiles],
                "full/1000,": [f"/iiif/3/{IDENTIFIER}/{FULL}"],
                "full/~1000,": [f"/iiif/3/{IDENTIFIER}/{full}" for full in FULL_SIZES],
                "info.json": [f"/iiif/3/{IDENTIFIER}/info.json"],
            }
            check_same_answers(by_side["this"]["passthrough"], by_side["against"]["passthrough"], lists)
            for side in sides:  # first requests (files opened, info read) in no side's figures
                warm_up(by_side[side.name]["warm cache"], lists["tiles"], work)
                for label in ("passthrough", "re-encode"):
                    for paths in lists.values():
                        warm_up(by_side[side.name][label], paths, work, seconds=1)
            runs = len(rows) * len(conns) * len(sides) * args.rounds
            print(
                f"{runs} wrk runs of {args.duration} s; {machine()}, load average {os.getloadavg()[0]:.1f}", flush=True
            )
            results: dict[tuple[str, int, str], list[Result]] = {}
            with cpus_kept_awake(args.awake):
                for r in range(args.rounds):
                    for c in conns:
                        for i, (name, label) in enumerate(rows):
                            for side in turns(sides, r, i):
                                server = by_side[side.name][label]
                                paths = lists[name.replace(" (warm)", "")]
                                res = wrk(server, paths, c, args.duration, work, cpus=wrk_cpus)
                                results.setdefault((name, c, server.label), []).append(res)
            return report_against(results, rows, conns, sides, len(tiles), args)
    finally:
        for server in reversed(servers):
            server.stop()
        for conn in _connections.values():
            conn.close()
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)


def compare_pyramids(pyramids: dict[str, Path], tiles: list[Tile]) -> None:
    """The two sides' pyramids have the same levels and, for the tiles list, about the same bytes
    per stored tile (else passthrough rows would compare bytes sent, not the servers)."""
    from iiif.image.source import LocalFileSource
    from iiif.image.tiff import read_pyramid

    infos = {name: read_pyramid(LocalFileSource(str(path))) for name, path in pyramids.items()}
    shapes = {
        name: [(lv.scale, lv.width, lv.height, lv.tile_width, lv.tile_height) for lv in info.levels]
        for name, info in infos.items()
    }
    if shapes["this"] != shapes["against"]:
        raise SystemExit(f"the two pyramids have other levels: {shapes}")
    mean = {}
    for name, info in infos.items():
        sizes = []
        for t in tiles:
            level = next(lv for lv in info.levels if lv.scale == t.scale)
            col, row = t.x // (level.tile_width * t.scale), t.y // (level.tile_height * t.scale)
            sizes.append(level.tile_byte_counts[row * level.tiles_across + col])
        mean[name] = statistics.mean(sizes)
    ratio = mean["this"] / mean["against"]
    print(
        f"stored tiles of the tiles list: {mean['this'] / 1024:.1f} KB mean (this), "
        f"{mean['against'] / 1024:.1f} KB (against), {ratio:.3f}x"
    )
    if not 0.97 <= ratio <= 1.03:
        raise SystemExit("the stored tiles differ by more than 3% in bytes: the sides would not be comparable")


def check_same_answers(this: Server, other: Server, lists: dict[str, list[str]]) -> None:
    """Both sides answer every request of the lists with a JPEG of the same size (or an info.json);
    how many tiles are byte for byte the same is printed."""
    same = 0
    images = lists["tiles"] + lists["full/1000,"] + lists["full/~1000,"]
    for path in images:
        (s1, a), (s2, b) = get(this.port, path), get(other.port, path)
        if s1 != 200 or s2 != 200:
            raise SystemExit(f"{path}: {this.label} answered {s1}, {other.label} {s2}")
        if simplejpeg.decode_jpeg_header(a)[:2] != simplejpeg.decode_jpeg_header(b)[:2]:
            raise SystemExit(f"{path}: the two sides answer images of other sizes")
        same += a == b
    for path in lists["info.json"]:
        (s1, a), (s2, b) = get(this.port, path), get(other.port, path)
        if s1 != 200 or s2 != 200 or json.loads(a)["width"] != json.loads(b)["width"]:
            raise SystemExit(f"{path}: {this.label} answered {s1}, {other.label} {s2}, or other sizes")
    print(f"  both sides answer the same sizes; {same} of {len(images)} images byte for byte the same")


def ab_rows(chosen: str | None) -> list[tuple[str, str]]:
    """The rows of ``AB_ROWS`` whose list begins with one of the comma separated ``chosen`` (all: None)."""
    if not chosen:
        return AB_ROWS
    prefixes = [p.strip() for p in chosen.split(",") if p.strip()]
    rows = [row for row in AB_ROWS if any(row[0].startswith(p) for p in prefixes)]
    if not rows:
        lists = ", ".join(dict.fromkeys(name for name, _ in AB_ROWS))
        raise SystemExit(f"--rows {chosen}: no row's list begins so (the lists: {lists})")
    return rows


def report_against(
    results: dict[tuple[str, int, str], list[Result]],
    rows: list[tuple[str, str]],
    conns: list[int],
    sides: list[Side],
    n_tiles: int,
    args: argparse.Namespace,
) -> int:
    def med(rs: list[Result]) -> Result:
        return Result(*(statistics.median(getattr(r, f) for r in rs) for f in Result.__dataclass_fields__))

    def shown(value: float) -> str:
        return f"{value:6.1%}" if args.rounds > 1 else f"{'-':>6}"

    this, other = sides
    pinned = "wrk on CPU 0, servers on the others (--pin)" if args.pin else "wrk and servers on the same CPUs"
    awake = "; CPUs kept awake (--awake)" if args.awake else ""
    print(f"\nthis = {this.revision}, against = {other.revision}; medians of {args.rounds} round(s); {pinned}{awake}")
    print(
        f"{'list':<13} {'conns':>5}  {'server':<12} {'req/s':>8} {'against':>8} {'this/ag':>7} {'spread':>13}"
        f"  {'p99 ms':>7} {'against':>7} {'this/ag':>7}  {'KB':>5} {'against':>7}  {'CPU ms':>6} {'this/ag':>7}"
    )
    verdicts: list[tuple[str, bool]] = []
    p99_spreads: list[float] = []
    for c in conns:
        for name, label in rows:
            mine, theirs = results[(name, c, f"this {label}")], results[(name, c, f"against {label}")]
            a, b = med(mine), med(theirs)
            ratio = a.rps / b.rps
            spreads = spread([r.rps for r in mine]), spread([r.rps for r in theirs])
            p99_spreads += [spread([r.p99_ms for r in mine]), spread([r.p99_ms for r in theirs])]
            print(
                f"{name:<13} {c:>5}  {label:<12} {a.rps:8.0f} {b.rps:8.0f} {ratio:7.3f} "
                f"{shown(spreads[0])} {shown(spreads[1])}  {a.p99_ms:7.2f} {b.p99_ms:7.2f} {a.p99_ms / b.p99_ms:7.3f}"
                f"  {a.kb:5.1f} {b.kb:7.1f}  {a.cpu_ms:6.3f} {a.cpu_ms / b.cpu_ms:7.3f}"
            )
            noisy = max(spreads) > 1 - AB_FLOOR
            text = f"{name:<13} {c} conn {label:<12} {ratio:.3f}x req/s (target >= {AB_FLOOR})"
            verdicts.append((text + (", rounds spread more than 3%" if noisy else ""), ratio >= AB_FLOOR))
        print()
    for text, ok in verdicts:
        print(f"{'met   ' if ok else 'MISSED'}  {text}")
    print(
        f"\nspread: (largest - smallest) / median of the rounds' req/s, this and against; "
        f"{n_tiles} tiles in the tiles list; {args.duration} s per run; {server_workers(args)} workers a server;"
        "\np99 is shown, not judged"
        + (
            f" (the median spread of its rounds is {statistics.median(p99_spreads):.1%} here)."
            if args.rounds > 1
            else "."
        )
    )
    print(f"{machine()}, load average now {os.getloadavg()[0]:.1f}")
    return 0 if all(ok for _, ok in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
