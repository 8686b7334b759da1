"""The image endpoint's own cost per request, in process (no sockets, servers or wrk): what is left
of a request once its bytes are cached, where the request value keys the caches (issue 14).

    .venv/bin/python bench/iiif_lane.py [--requests 3000] [--rounds 5] [--base DIR]

Rows, each over a viewer's aligned tiles of a 4000x3000 pyramid whose encoded images are all cached:
- memo: the same URLs again (the endpoint's memo by raw path answers);
- values: conditional requests (``If-None-Match`` of another ETag: never remembered by raw path),
  so each is parsed (by its text's memo), resolved (by its value's memo) and found in the encoded-
  image cache by its resolved value;
- respelled: the same tiles spelled otherwise (``w,h`` for ``w,``, rotation ``0.0``), first seen:
  parsed and resolved anew, their bytes found under the entry of the first spelling (a render
  when that spelling has its own entry);
- info.json: memo hits.

CPU microseconds per request (process time, best of ``--rounds``). With ``--base DIR`` the same
rows run for the checkout at DIR too, rounds taking turns (A B B A: bench/_ab.py), with the ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _ab import code_env, turns  # beside this file (ROOT stays off sys.path: the code measured is PYTHONPATH's)

ROOT = Path(__file__).resolve().parents[1]
WIDTH, HEIGHT, TILE = 4000, 3000, 256


def _pyramid(folder: Path) -> Path:
    import pyvips

    xy = pyvips.Image.xyz(WIDTH, HEIGHT)
    noise = pyvips.Image.gaussnoise(WIDTH, HEIGHT, sigma=8, mean=128, seed=1)
    image = (noise + xy[0] * (60 / WIDTH)).bandjoin([noise, noise - xy[1] * (60 / HEIGHT)]).cast("uchar")
    path = folder / "page.tif"
    image.copy(interpretation="srgb").tiffsave(
        str(path), tile=True, pyramid=True, compression="jpeg", Q=75, tile_width=TILE, tile_height=TILE
    )
    return path


def _tiles() -> list[tuple[str, str]]:
    """(as a viewer spells it, another spelling of the same tile) for every tile of every level."""
    out = []
    scale = 1
    while WIDTH / scale >= TILE / 2:
        step = TILE * scale
        for y in range(0, HEIGHT, step):
            for x in range(0, WIDTH, step):
                w, h = min(step, WIDTH - x), min(step, HEIGHT - y)
                ow, oh = math.ceil(w / scale), math.ceil(h / scale)
                out.append((f"{x},{y},{w},{h}/{ow},/0/default.jpg", f"{x},{y},{w},{h}/{ow},{oh}/0.0/default.jpg"))
        scale *= 2
    return out


async def _measure(work: Path, requests: int, rounds: int) -> dict[str, float]:
    from iiif.image import ImageServerConfig, ResolvedImage
    from iiif.image.resolver import ANONYMOUS, Credentials
    from iiif.image.routes import ImageEndpoint
    from iiif.image.service import ImageService
    from storage import FilesystemStorage

    pyramid = _pyramid(work)
    storage = FilesystemStorage(work, fsync=False)
    image = ResolvedImage(storage, pyramid.name, datetime(2024, 1, 1, tzinfo=UTC))

    class Resolver:
        def resolve(self, identifier: str, credentials: Credentials = ANONYMOUS) -> ResolvedImage:
            return image

    config = ImageServerConfig(source_cache_dir=str(work / "copies"), resolve_ttl=3600)
    endpoint = ImageEndpoint(ImageService(Resolver(), config), config)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start" and message["status"] != 200:
            raise SystemExit(f"status {message['status']}")

    def scope(path: str, *extra: tuple[bytes, bytes]) -> dict[str, Any]:
        full = f"/iiif/3/page/{path}"
        return {
            "type": "http",
            "method": "GET",
            "path": full,
            "raw_path": full.encode(),
            "root_path": "/iiif/3",
            "scheme": "http",
            "server": ("bench", 80),
            "query_string": b"",
            "headers": [(b"host", b"bench"), *extra],
        }

    tiles = _tiles()
    viewer = [scope(t[0]) for t in tiles]
    conditional = [scope(t[0], (b"if-none-match", b'"another"')) for t in tiles]
    for s in viewer:  # every tile rendered once and cached
        await endpoint(s, receive, send)

    async def run(scopes: list[dict[str, Any]], n: int) -> float:
        start = time.process_time()
        for i in range(n):
            await endpoint(scopes[i % len(scopes)], receive, send)
        return (time.process_time() - start) / n * 1e6

    best: dict[str, float] = {}
    for r in range(rounds):
        # A new spelling per round: its text unseen by the endpoint and the parser's memo.
        respelled = [scope(t[1].replace("/0.0/", f"/0.{'0' * (r + 1)}/")) for t in tiles]
        figures = {
            "memo": await run(viewer, requests),
            "values": await run(conditional, requests),
            "respelled": await run(respelled, len(respelled)),
            "info.json": await run([scope("info.json")], requests),
        }
        for k, v in figures.items():
            best[k] = min(best.get(k, math.inf), v)
    best["cached entries"] = len(endpoint.service.responses)
    best["tiles"] = len(tiles)
    return best


def _child(args: argparse.Namespace) -> int:
    # The code measured is that of PYTHONPATH, not of this folder (whose iiif.py would shadow the package).
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
    with tempfile.TemporaryDirectory(prefix="muniment-bench-lane-") as work:
        print(json.dumps(asyncio.run(_measure(Path(work), args.requests, args.rounds))))
    return 0


def _run(root: Path, requests: int) -> dict[str, float]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "--requests", str(requests), "--rounds", "1"]
    out = subprocess.run(cmd, env=code_env(root), cwd=root, capture_output=True, text=True, check=False)
    if out.returncode:
        raise SystemExit(f"{root}: {out.stderr.strip().splitlines()[-1] if out.stderr.strip() else out.returncode}")
    figures: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="requests per row and round (default 3000)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds; the best is shown (default 5)")
    parser.add_argument("--base", type=Path, help="another checkout to run the same rows for, as the baseline")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return _child(args)
    roots = {"this": ROOT, **({"base": args.base.resolve()} if args.base else {})}
    best: dict[str, dict[str, float]] = {}
    load = os.getloadavg()[0]
    for r in range(args.rounds):  # A B B A, so that both see the machine's load alike
        for name in turns(list(roots), r, 0):
            figures = _run(roots[name], args.requests)
            mine = best.setdefault(name, {})
            for k, v in figures.items():
                mine[k] = min(mine.get(k, math.inf), v)
    rows = ("memo", "values", "respelled", "info.json")
    this = best["this"]
    print(
        f"\n{int(this['tiles'])} tiles, all cached; CPU us per request, best of {args.rounds}; load {load:.1f} at start"
    )
    print(
        f"{'':12} "
        + "".join(f"{name + ' ' + str(roots[name].name):>24}" for name in roots)
        + ("  this/base" if args.base else "")
    )
    for row in rows:
        line = f"{row:12} " + "".join(f"{best[name][row]:24.1f}" for name in roots)
        if args.base:
            line += f"  {this[row] / best['base'][row]:9.3f}"
        print(line)
    print(f"{'entries':12} " + "".join(f"{int(best[name]['cached entries']):24d}" for name in roots))
    print(f"(entries: encoded images cached after every row; load now {os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
