"""What a reader's credentials cost the image server: the same stored tile of one page asked for
again and again, in process through the whole application, by anyone of a public item (the
remembered answer), by a signed-in reader of a restricted item (its session cookie: no answer to a
reader is reused, so each request asks the catalog), and by a holder of an access token (bearer,
with its origin), in the same run.

    .venv/bin/python bench/iiif_auth.py               # 500 requests per case
    .venv/bin/python bench/iiif_auth.py --requests 2000
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from starlette.testclient import TestClient

from app.web import create_app
from repo.auth import Role
from repo.auth.users import UserStore
from repo.lifecycle.collections import ensure_collection
from repo.lifecycle.visibility import set_visibility
from repo.services import Services
from repo.settings import Settings
from tests.api.helpers import ingest_item

BASE = "http://testserver"
PASSWORD = "a reader's password"
TILE = "0,0,256,200/256,200/0/default.jpg"


def timed(requests: int, call: Callable[[], int]) -> list[float]:
    for _ in range(20):  # warm caches and the pyramid handle
        assert call() == 200
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        status = call()
        times.append((time.perf_counter() - start) * 1000)
        assert status == 200, status
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-iiif-auth-"))
    try:
        settings = Settings(data_dir=root / "data", ingest_workers=2, base_url=BASE, ocr=False)
        services = Services.open(settings)
        ensure_collection(services, "letters", "Letters")
        public = ingest_item(services, root / "scans", "open-1")
        restricted = ingest_item(services, root / "scans", "closed-1")
        set_visibility(services, restricted, "restricted", None)
        UserStore(services.catalog.db).create("reader", Role.READER, PASSWORD)
        with TestClient(create_app(settings, services), base_url=BASE) as client:
            form = client.get("/iiif/auth/access", params={"origin": BASE})
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
            assert csrf
            client.post("/iiif/auth/access", data={"csrf_token": csrf.group(1), "name": "reader", "password": PASSWORD})
            page = client.get("/iiif/auth/2/token", params={"messageId": "b", "origin": BASE}).text
            token = re.search(r'"accessToken": "([^"]+)"', page)
            assert token
            anonymous = TestClient(client.app, base_url=BASE)
            anonymous.__enter__()  # its own running portal, as the signed-in client has: no loop per request
            bearer = {"Authorization": f"Bearer {token.group(1)}"}
            cases = {
                "public tile, anyone": lambda: anonymous.get(f"/iiif/3/{public}~1/{TILE}").status_code,
                "restricted tile, session cookie": lambda: client.get(f"/iiif/3/{restricted}~1/{TILE}").status_code,
                "restricted tile, access token": lambda: (
                    anonymous.get(f"/iiif/3/{restricted}~1/{TILE}", headers=bearer).status_code
                ),
            }
            results = {name: timed(args.requests, call) for name, call in cases.items()}
            anonymous.__exit__(None, None, None)
        services.close()
        baseline = statistics.median(results["public tile, anyone"])
        print(f"{args.requests} requests per case, in process (TestClient)")
        for name, times in results.items():
            median = statistics.median(times)
            p99 = sorted(times)[int(len(times) * 0.99) - 1]
            print(f"{name:34} median {median:6.2f} ms  p99 {p99:6.2f} ms  x{median / baseline:4.1f} of the public tile")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
