"""OAI-PMH harvest benchmark: seed N records into SQLite, serve them with uvicorn (2 workers),
harvest everything with ListRecords oai_dc over HTTP, and report the throughput, the latency
of the first and the last page, and the server's memory.

    .venv/bin/python bench/oai.py                 # 100,000 records, 2 workers, page size 500
    .venv/bin/python bench/oai.py --records 20000 --app full

Targets (issue 6): >= 3,000 records/s, last page within 1.5x of the first, flat server memory.
The exit status is 1 when a target is missed.

``--app oai`` (default) serves the OAI-PMH routes alone, through the same provider that
``create_app`` mounts; ``--app full`` runs ``muniment serve`` itself, whose other providers may
do work of their own at start-up.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from lxml import etree  # noqa: E402

from repo.catalog import Catalog, format_datestamp  # noqa: E402
from repo.metadata.crosswalk import dc_to_mods  # noqa: E402
from repo.metadata.dublin_core import dc_to_oai_dc_xml  # noqa: E402

OAI = "{http://www.openarchives.org/OAI/2.0/}"
STAND_IN = "ITEM-ID"
TEMPLATE_DC = {
    "title": [f"Letter {STAND_IN} from Charles Babbage to Ada Lovelace on the Analytical Engine"],
    "creator": ["Babbage, Charles, 1791-1871"],
    "contributor": ["Lovelace, Ada King, Countess of, 1815-1852"],
    "subject": ["Analytical Engine", "Calculating machines -- History", "Mathematicians -- Correspondence"],
    "description": [
        "Autograph letter, signed, discussing the notes to Menabrea's memoir, the Bernoulli"
        " numbers and the printing of the translation; with the envelope, postmarked London."
    ],
    "publisher": ["Muniment Library"],
    "date": ["1843-07-02"],
    "type": ["Text"],
    "format": ["4 p. ; 23 cm"],
    "identifier": [f"https://muniment.example.org/items/{STAND_IN}"],
    "language": ["en"],
    "rights": ["http://rightsstatements.org/vocab/NoC-US/1.0/"],
}


def oai_only_app() -> object:
    """uvicorn factory for ``--app oai``: the OAI-PMH provider's routes on settings from the environment."""
    from starlette.applications import Starlette

    from app.web.oai import oai_routes
    from repo.services import Services
    from repo.settings import Settings

    return Starlette(routes=oai_routes(Services.open(Settings.load())))


# -- seeding ---------------------------------------------------------------------------------


def seed(data_dir: Path, records: int) -> int:
    """Insert ``records`` items straight into the catalog; returns how many a harvest must return."""
    catalog = Catalog.open(f"sqlite:///{data_dir / 'catalog.sqlite3'}")
    db = catalog.db
    dc_xml = dc_to_oai_dc_xml(TEMPLATE_DC).decode()
    mods_xml = dc_to_mods(TEMPLATE_DC).decode()
    for slug in ("letters", "maps"):
        catalog.ensure_collection(slug, slug.title())
    start = datetime(2020, 1, 1, tzinfo=UTC)
    hidden = 0
    with db.transaction():
        for first in range(0, records, 5000):
            items, metadata = [], []
            for n in range(first, min(first + 5000, records)):
                item_id = f"b{n:07d}"
                stamp = format_datestamp(start + timedelta(minutes=7 * (n // 3)))  # three per datestamp
                status = "withdrawn" if n % 101 == 0 else "active"
                visibility = "restricted" if n % 103 == 0 and status == "active" else "public"
                hidden += visibility == "restricted"
                items.append(
                    (item_id, ("letters", "maps")[n % 2], f"k{n}", item_id, visibility, status, 1, stamp, stamp)
                )
                metadata.append((item_id, "{}", dc_xml.replace(STAND_IN, item_id), mods_xml.replace(STAND_IN, item_id)))
            db.executemany(
                "INSERT INTO items (id, collection, content_key, title, visibility, status,"
                " page_count, created, datestamp) VALUES (?,?,?,?,?,?,?,?,?)",
                items,
            )
            db.executemany("INSERT INTO metadata (item_id, dc_json, dc_xml, mods_xml) VALUES (?,?,?,?)", metadata)
    db.execute("ANALYZE")
    catalog.close()
    return records - hidden


# -- the server and its memory ---------------------------------------------------------------


def start_server(app: str, data_dir: Path, port: int, workers: int, page_size: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "MUNIMENT_DATA_DIR": str(data_dir),
        "MUNIMENT_OAI_PAGE_SIZE": str(page_size),
        "MUNIMENT_BASE_URL": f"http://127.0.0.1:{port}",
        "MUNIMENT_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    listen = ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]  # same for both servers
    if app == "full":
        command = [str(Path(sys.executable).parent / "muniment"), "serve", *listen]
    else:
        command = [sys.executable, "-m", "uvicorn", "--factory", "bench.oai:oai_only_app", *listen]
        command += ["--log-level", "warning", "--no-access-log"]
    server = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/oai?verb=Identify", timeout=5).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        if server.poll() is not None:
            raise SystemExit(f"the server exited with status {server.returncode}")
        time.sleep(0.2)
    raise SystemExit("the server did not answer within 600 s")


def _tree(pid: int) -> list[int]:
    """The process and its descendants (uvicorn's workers are children of the supervisor)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += children.get(current, [])
    return found


def _memory_mb(pid: int) -> tuple[float, float]:
    """(private memory, whole RSS) of a process. The RSS also counts the pages of the catalog file
    that SQLite reads through memory mapping (MUNIMENT_SQLITE_MMAP_MB): the kernel's page cache,
    shared and given back under pressure, which grows with every page of the catalog a harvest
    reads. Whether the server's own memory stays flat is a question for RssAnon alone."""
    fields: dict[str, float] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("RssAnon", "VmRSS"):
                fields[name] = int(value.split()[0]) / 1024
    except OSError:
        pass
    return fields.get("RssAnon", 0.0), fields.get("VmRSS", 0.0)


class MemorySampler(threading.Thread):
    """Samples the server's memory: private (all processes together, and the largest one) and RSS."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pids = _tree(pid)
        self.samples: list[tuple[float, float, float]] = []  # (total private MB, largest private MB, total RSS MB)
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(0.1):
            sizes = [_memory_mb(p) for p in self.pids]
            self.samples.append((sum(a for a, _ in sizes), max(a for a, _ in sizes), sum(r for _, r in sizes)))

    def stop(self) -> None:
        self._done.set()
        self.join()


# -- the harvest -----------------------------------------------------------------------------


def harvest(base_url: str) -> Iterator[tuple[int, float]]:
    """(records on the page, seconds for the whole page) for every page of ListRecords oai_dc."""
    params: dict[str, str] = {"verb": "ListRecords", "metadataPrefix": "oai_dc"}
    with httpx.Client(timeout=120, headers={"accept-encoding": "gzip"}) as client:
        while True:
            began = time.perf_counter()
            response = client.get(base_url, params=params)
            response.raise_for_status()
            root = etree.fromstring(response.content)
            elapsed = time.perf_counter() - began
            page = root.find(f"{OAI}ListRecords")
            if page is None:
                raise SystemExit(f"not a ListRecords response: {response.text[:300]}")
            yield sum(1 for _ in page.iterfind(f"{OAI}record")), elapsed
            token = page.find(f"{OAI}resumptionToken")
            if token is None or not token.text:
                return
            params = {"verb": "ListRecords", "resumptionToken": token.text}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--app", choices=["oai", "full"], default="oai")
    parser.add_argument("--keep", action="store_true", help="keep bench/.work/oai (the seeded catalog)")
    args = parser.parse_args()

    data_dir = ROOT / "bench" / ".work" / "oai"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    began = time.perf_counter()
    want = seed(data_dir, args.records)
    print(f"seeded {args.records:,} records ({want:,} to harvest) in {time.perf_counter() - began:.1f} s")

    server = start_server(args.app, data_dir, args.port, args.workers, args.page_size)
    try:
        sampler = MemorySampler(server.pid)
        sampler.start()
        time.sleep(0.3)
        idle = sampler.samples[-1][0] if sampler.samples else 0.0
        pages: list[tuple[int, float]] = []
        marks: list[float] = []
        began = time.perf_counter()
        for page in harvest(f"http://127.0.0.1:{args.port}/oai"):
            pages.append(page)
            marks.append(sampler.samples[-1][0] if sampler.samples else 0.0)
        seconds = time.perf_counter() - began
        sampler.stop()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)

    total = sum(n for n, _ in pages)
    rate = total / seconds
    full = [t for n, t in pages if n == args.page_size]
    first, last = pages[0][1], full[-1]  # the final, shorter page says little
    # Keyset paging: deep pages cost what early ones do. Quarters, not single pages, because a
    # shared machine's noise is larger than any one page (the first two also warm the workers up).
    quarter = max(1, len(full) // 4)
    early, late = statistics.median(full[2 : 2 + quarter]), statistics.median(full[-quarter:])
    peak_total = max(s[0] for s in sampler.samples)
    peak_worker = max(s[1] for s in sampler.samples)
    rss_end = sampler.samples[-1][2]
    tenth, end = marks[len(marks) // 10], marks[-1]
    print(f"app {args.app}, {args.workers} workers, page size {args.page_size}, {len(pages)} pages")
    print(f"harvested {total:,} records in {seconds:.1f} s: {rate:,.0f} records/s")
    print(
        f"page latency: first {first * 1000:.0f} ms, last full page {last * 1000:.0f} ms "
        f"({last / first:.2f}x); median of the first quarter {early * 1000:.0f} ms, of the last {late * 1000:.0f} ms "
        f"({late / early:.2f}x); all pages {statistics.median(t for _, t in pages) * 1000:.0f} ms"
    )
    print(
        f"server private memory (RssAnon): idle {idle:.0f} MB, at 10% {tenth:.0f} MB, at the end {end:.0f} MB, "
        f"peak {peak_total:.0f} MB (largest process {peak_worker:.0f} MB); "
        f"RSS at the end {rss_end:.0f} MB (with the memory-mapped catalog pages read)"
    )
    checks = {
        "every record harvested": total == want,
        ">= 3,000 records/s": rate >= 3000,
        "last full page within 1.5x of the first": last <= 1.5 * first,
        "last quarter's pages within 1.5x of the first quarter's": late <= 1.5 * early,
        "flat private memory (end within 10% + 10 MB of the 10% mark)": end <= tenth * 1.1 + 10,
    }
    for name, ok in checks.items():
        print(f"{'PASS' if ok else 'FAIL'} {name}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
