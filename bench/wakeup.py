"""How much of a 1-connection loopback round trip is one core waking the other, on this machine.

    .venv/bin/python bench/wakeup.py [--duration 5] [--size 1400]

A bare asyncio server (uvloop, no parsing, one write) answers every request with the same fixed
bytes; wrk sends them over 1 connection, first with the scheduler free to place both (as in
bench/iiif.py), then with both pinned to one core (``taskset``), then on two different cores.
Whatever a server does per request comes on top of the first figure, so it bounds every
1-connection rate in bench/iiif.py. Needs wrk and taskset (util-linux); installs nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import time

SERVER = """
import asyncio, sys, uvloop
body = b"x" * int(sys.argv[2])
answer = b"HTTP/1.1 200 OK\\r\\ncontent-type: application/json\\r\\ncontent-length: %d\\r\\n\\r\\n" % len(body) + body

class Answer(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        if data.endswith(b"\\r\\n\\r\\n"):  # wrk sends each request whole, one at a time
            self.transport.write(answer)

async def main():
    server = await asyncio.get_running_loop().create_server(Answer, "127.0.0.1", int(sys.argv[1]))
    await server.serve_forever()

uvloop.run(main())
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(server_cpu: str | None, wrk_cpu: str | None, size: int, seconds: int) -> float:
    port = free_port()
    pin = lambda cpu: ["taskset", "-c", cpu] if cpu is not None else []  # noqa: E731
    server = subprocess.Popen([*pin(server_cpu), sys.executable, "-c", SERVER, str(port), str(size)])
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        cmd = [*pin(wrk_cpu), "wrk", "-t1", "-c1", f"-d{seconds}s", f"http://127.0.0.1:{port}/"]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        match = re.search(r"Requests/sec:\s+([\d.]+)", out)
        if match is None:
            raise SystemExit(f"no result from wrk:\n{out}")
        return float(match.group(1))
    finally:
        server.terminate()
        server.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run (default 5)")
    parser.add_argument("--size", type=int, default=1400, help="answer body bytes (default 1400, an info.json)")
    args = parser.parse_args()
    missing = [tool for tool in ("wrk", "taskset") if shutil.which(tool) is None]
    if missing:
        print(f"bench/wakeup.py needs, and does not install: {', '.join(missing)}", file=sys.stderr)
        return 2
    cores = os.cpu_count() or 1
    rows = [("placed by the scheduler", None, None), ("both on core 0", "0", "0")]
    if cores > 1:
        rows.append(("server on core 0, wrk on core 1", "0", "1"))
    free = run(None, None, args.size, args.duration)
    print(f"bare asyncio server, {args.size}-byte answers, 1 connection, {args.duration} s each:")
    print(f"  {'placed by the scheduler':34} {free:9.0f} req/s  {1e6 / free:6.1f} us a round trip")
    for label, server_cpu, wrk_cpu in rows[1:]:
        rate = run(server_cpu, wrk_cpu, args.size, args.duration)
        print(f"  {label:34} {rate:9.0f} req/s  {1e6 / rate:6.1f} us a round trip  ({rate / free:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
