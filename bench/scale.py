"""Scale benchmark: public pages, search and listings from 10,000 to 1,000,000 items.

    .venv/bin/python bench/scale.py                          # 10k, 100k and 1M items, SQLite and PostgreSQL
    .venv/bin/python bench/scale.py --sizes 10000,100000 --databases sqlite

For each database and size it seeds a catalog straight through SQL (realistic Dublin Core:
titles, names, subjects, dates, languages, types, 300 words of page text each, one page per item;
1% restricted, 0.5% withdrawn, some embargoed), times the seed and the indexing of the search
queue the seed left, starts ``muniment serve`` (2 workers) on it and times its first answer.
All servers of a database run at once and are measured alternately, URL by URL, so that the
ratios between sizes share the machine's load. Each URL is asked once cold (the first request
after the catalog changed: a search's totals and facets are counted in the background from
then), asked again until every worker shows its counts ("counts s": the time that took), and
then for ``--duration`` seconds at 1 and at 8 connections; it prints p50, p99 and req/s per page
and size, the growth of p50 from the smallest size to the largest, the servers' private memory
(RssAnon), and PASS/FAIL per target:

- from the smallest to the largest size every page grows by at most 2x at p50 (warm);
- at the largest size each page answers under 100 ms at p99 at 1 connection (the staff items
  list too, first and deep page, signed in as a curator through the sign-in form);
- no page is larger than 1 MB.

The first two are for the pages the issue names (home, collection pages, browse, words, a word with a
facet, a subject facet alone, the staff items list);
IIIF collections, OAI-PMH, an item page and its manifest are measured beside them.

The exit status is 1 when a target is missed. PostgreSQL is Debian's, started by
``tests/servers/postgres.py``; installs nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench.oai import _memory_mb, _tree  # noqa: E402
from repo.auth import Role  # noqa: E402
from repo.auth.users import UserStore  # noqa: E402
from repo.catalog import Catalog  # noqa: E402
from repo.catalog.item_list import cursor_of  # noqa: E402
from repo.catalog.keyset import Cursor  # noqa: E402
from repo.catalog.models import Item  # noqa: E402
from repo.search import catch_up  # noqa: E402

WORK = ROOT / "bench" / ".work" / "scale"
COLLECTIONS = [f"c{n}" for n in range(10)]
LANGUAGES = ["en"] * 14 + ["fr", "fr", "de", "de", "la", "it"]
TYPES = ["Text"] * 6 + ["Image", "Image", "Cartographic", "Sound"]
COMMON_WORD = "letter"  # in every record
RARE_WORD = "zanzibarite"  # in 3 records of any size
TARGET_MS = 100.0
TARGET_GROWTH = 2.0
# The pages the targets are for (issue 20); the others are measured and shown beside them.
TARGETED = (
    "home",
    "collection page 1",
    "collection deep page",
    "browse (search, no words)",
    "a common word",
    "common word + language facet",
    "a subject facet alone",
    "a rare word",
    "staff items list",
    "staff items deep page",
)
STAFF_NAME, STAFF_PASSWORD = "bench", "bench password"


# -- seeding ---------------------------------------------------------------------------------------


def _vocabulary(rng: random.Random, size: int) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return ["".join(rng.choice(letters) for _ in range(rng.randint(3, 10))) for _ in range(size)]


@dataclass
class Corpus:
    """Realistic-looking parts drawn once; each record combines some of them."""

    rare_every: int  # the rare word goes into records 0, rare_every and 2 * rare_every
    rng: random.Random = field(default_factory=lambda: random.Random(20))
    words: list[str] = field(default_factory=list)
    chunks: list[str] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.words = _vocabulary(self.rng, 8000)
        # Zipf-like: a few words common, most rare, as in page text.
        weights = [1 / (rank + 1) for rank in range(len(self.words))]
        self.chunks = [" ".join(self.rng.choices(self.words, weights, k=100)) for _ in range(1500)]
        self.subjects = [
            f"{w.title()} -- {v.title()}" for w, v in zip(self.words[:300], self.words[300:600], strict=True)
        ]
        self.names = [
            f"{w.title()}, {v.title()}, {1700 + n % 250}-{1760 + n % 250}"
            for n, (w, v) in enumerate(zip(self.words[600:1600], self.words[1600:2600], strict=True))
        ]

    def record(self, n: int) -> dict[str, Any]:
        rng = self.rng
        year = rng.randint(1500, 1999)
        subjects = rng.sample(self.subjects[:40], 1) + rng.sample(self.subjects, 2)
        title = (
            f"{rng.choice(self.words).title()} {rng.choice(self.words)} of {rng.choice(self.words).title()}, no. {n}"
        )
        text = " ".join(rng.choice(self.chunks) for _ in range(3))
        if n % self.rare_every == 0 and n // self.rare_every < 3:
            text += f" {RARE_WORD}"
        return {
            "title": title,
            "creator": [rng.choice(self.names)],
            "subject": subjects,
            "description": f"Autograph {COMMON_WORD}, signed, on {rng.choice(self.words)} and {rng.choice(self.words)}",
            "date": str(year),
            "year": year,
            "language": rng.choice(LANGUAGES),
            "type": rng.choice(TYPES),
            "text": text,
        }


def seed(url: str, size: int) -> None:
    catalog = Catalog.open(url)
    db = catalog.db
    for slug in COLLECTIONS:
        catalog.ensure_collection(slug, f"Collection {slug[1:]}: papers and plates")
    corpus = Corpus(max(1, size // 3))
    stamp = "2024-01-01T00:00:00Z"
    with db.transaction():
        for first in range(0, size, 2000):
            items, metadata, files = [], [], []
            for n in range(first, min(first + 2000, size)):
                r = corpus.record(n)
                item_id = f"s{n:07d}"
                status = "withdrawn" if n % 200 == 7 else "active"
                visibility = "restricted" if n % 100 == 3 else "embargoed" if n % 1000 == 5 else "public"
                embargo = ("2020-01-01" if n % 2000 == 5 else "2099-01-01") if visibility == "embargoed" else None
                created = f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}T{n % 24:02d}:00:00Z"
                items.append(
                    (
                        item_id,
                        COLLECTIONS[n % len(COLLECTIONS)],
                        f"k{n}",
                        r["title"],
                        visibility,
                        embargo,
                        status,
                        created,
                        stamp,
                    )
                )
                dc = {
                    k: [r[k]] if isinstance(r[k], str) else r[k]
                    for k in ("title", "creator", "subject", "description", "date", "language", "type")
                }
                metadata.append(
                    (
                        item_id,
                        json.dumps(dc),
                        "<dc/>",
                        "<mods/>",
                        r["language"],
                        r["creator"][0],
                        "\n".join(r["subject"]),
                        r["description"],
                        r["date"],
                        r["year"],
                        r["year"],
                        r["type"],
                        r["text"],
                    )
                )
                files.append((item_id,))
            db.executemany(
                "INSERT INTO items (id, collection, content_key, title, visibility, embargo_until, status,"
                " page_count, created, datestamp) VALUES (?,?,?,?,?,?,?,1,?,?)",
                items,
            )
            db.executemany(
                "INSERT INTO metadata (item_id, dc_json, dc_xml, mods_xml, language, creators, subjects, description,"
                " date, date_start, date_end, type, full_text) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                metadata,
            )
            db.executemany(
                "INSERT INTO files (item_id, seq, path, label, size, sha512, mime, width, height, derivative_key,"
                " thumbnail_key) VALUES (?, 1, 'data/p1.tif', 'p. 1', 1, '', 'image/tiff', 3000, 4000, '', '')",
                files,
            )
    catalog.close()


def index(url: str) -> int:
    catalog = Catalog.open(url)
    try:
        done = catch_up(catalog.db, batch=2000)
        catalog.db.execute("ANALYZE")
        return done
    finally:
        catalog.close()


def deep_cursor(url: str, slug: str) -> tuple[str, int]:
    """The cursor of a page halfway through ``slug`` in title order, and its position."""
    catalog = Catalog.open(url)
    try:
        count = catalog.db.query_one("SELECT COUNT(*) AS n FROM search_docs WHERE collection = ?", (slug,))
        position = (int(count["n"]) if count else 0) // 2
        row = catalog.db.query_one(
            "SELECT sort_title, item_id FROM search_docs WHERE collection = ? ORDER BY sort_title, item_id"
            " LIMIT 1 OFFSET ?",
            (slug, position - 1),
        )
        assert row is not None
        return Cursor((row["sort_title"], row["item_id"]), False, position).encode(), position
    finally:
        catalog.close()


def popular_subject(url: str) -> str:
    catalog = Catalog.open(url)
    try:
        row = catalog.db.query_one(
            "SELECT subject, COUNT(*) AS n FROM search_subjects GROUP BY subject ORDER BY n DESC LIMIT 1"
        )
        return str(row["subject"]) if row else ""
    finally:
        catalog.close()


# -- serving --------------------------------------------------------------------------------------


def start_server(data_dir: Path, url: str, port: int, workers: int) -> tuple[subprocess.Popen[bytes], float]:
    env = {
        **os.environ,
        "MUNIMENT_DATA_DIR": str(data_dir),
        "MUNIMENT_DATABASE_URL": url,
        "MUNIMENT_BASE_URL": f"http://127.0.0.1:{port}",
        "MUNIMENT_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    command = [sys.executable, "-m", "app.cli.main", "serve", "--host", "127.0.0.1", "--port", str(port)]
    began = time.perf_counter()
    server = subprocess.Popen([*command, "--workers", str(workers)], env=env, cwd=ROOT, start_new_session=True)
    while time.perf_counter() - began < 300:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/", timeout=5).status_code == 200:
                return server, time.perf_counter() - began
        except httpx.TransportError:
            pass
        if server.poll() is not None:
            raise SystemExit(f"the server exited with status {server.returncode}")
        time.sleep(0.1)
    raise SystemExit("the server did not answer within 300 s")


# -- load -----------------------------------------------------------------------------------------


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> tuple[int, int]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
        return status, len(body)
    size = 0
    while True:  # chunked
        chunk = int((await reader.readuntil(b"\r\n")).strip(), 16)
        await reader.readexactly(chunk + 2)
        size += chunk
        if chunk == 0:
            return status, size


ERRORS: dict[str, Counter[int]] = {}  # path -> statuses other than 200 seen under load


async def _load(port: int, path: str, connections: int, seconds: float, cookie: str) -> tuple[list[float], int]:
    headers = f"Host: 127.0.0.1:{port}\r\nAccept-Encoding: identity\r\n" + (f"Cookie: {cookie}\r\n" if cookie else "")
    request = f"GET {path} HTTP/1.1\r\n{headers}\r\n".encode()
    latencies: list[float] = []
    sizes: list[int] = []
    deadline = time.perf_counter() + seconds

    async def one() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < deadline:
                began = time.perf_counter()
                status, size = await _get(reader, writer, request)
                latencies.append(time.perf_counter() - began)
                sizes.append(size)
                if status != 200:  # counted and reported (a failed target), not fatal
                    ERRORS.setdefault(path, Counter())[status] += 1
        finally:
            writer.close()

    await asyncio.gather(*(one() for _ in range(connections)))
    return latencies, max(sizes) if sizes else 0


@dataclass
class Figure:
    p50: float
    p99: float
    rate: float


def measure(port: int, path: str, connections: int, seconds: float, cookie: str = "") -> tuple[Figure, int]:
    began = time.perf_counter()
    latencies, size = asyncio.run(_load(port, path, connections, seconds, cookie))
    elapsed = time.perf_counter() - began
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return Figure(statistics.median(ordered) * 1000, p99 * 1000, len(ordered) / elapsed), size


def cold(port: int, path: str, cookie: str = "") -> float:
    began = time.perf_counter()
    response = httpx.get(f"http://127.0.0.1:{port}{path}", headers={"Cookie": cookie} if cookie else {}, timeout=600)
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}")
    return (time.perf_counter() - began) * 1000


# What a search page says while its counts are being made (app/web/templates/_macros.html).
_COUNTING = ("Counting items", "(recounting)")


def counted(port: int, path: str, cookie: str = "", workers: int = 2, timeout: float = 300) -> float:
    """Seconds until the page shows its counts, from every worker (asked until ``4 * workers``
    answers in a row show them): the counts of a word at 1,000,000 items are made in the
    background after the cold request, and a warm figure measured meanwhile would be of a server
    busy counting (for a page without counts: the time of those answers)."""
    began, in_a_row = time.perf_counter(), 0
    with httpx.Client(headers={"Cookie": cookie} if cookie else {}, timeout=600) as client:
        while in_a_row < 4 * workers:
            text = client.get(f"http://127.0.0.1:{port}{path}").text
            in_a_row = 0 if any(marker in text for marker in _COUNTING) else in_a_row + 1
            if time.perf_counter() - began > timeout:
                raise SystemExit(f"{path}: still counting after {timeout:.0f} s")
            if not in_a_row:
                time.sleep(0.05)
    return time.perf_counter() - began


# -- the run --------------------------------------------------------------------------------------


@dataclass
class Site:
    size: int
    url: str
    port: int
    data_dir: Path
    seed_s: float = 0.0
    index_s: float = 0.0
    start_s: float = 0.0
    server: subprocess.Popen[bytes] | None = None
    pages: dict[str, str] = field(default_factory=dict)
    deep_position: int = 0
    cookie: str = ""  # a curator's session, for the staff pages

    def cookie_for(self, path: str) -> str:
        return self.cookie if path.startswith("/staff/") else ""


def page_paths(site: Site) -> dict[str, str]:
    cursor, site.deep_position = deep_cursor(site.url, "c1")
    subject = popular_subject(site.url)
    members = 2 * site.deep_position
    return {
        "home": "/",
        "collection page 1": "/collections/c1",
        "collection deep page": f"/collections/c1?cursor={cursor}",
        "browse (search, no words)": "/search",
        "a common word": f"/search?q={COMMON_WORD}",
        "common word + language facet": f"/search?q={COMMON_WORD}&language=fr",
        "a subject facet alone": "/search?" + httpx.QueryParams({"subject": subject}).__str__(),
        "a rare word": f"/search?q={RARE_WORD}",
        "IIIF collection (parts when large)": "/iiif/collection/c1",
        # A collection of more than MUNIMENT_IIIF_COLLECTION_PAGE_SIZE (1,000) items is split into parts.
        "IIIF collection part 2 (or whole)": "/iiif/collection/c1/2" if members > 1000 else "/iiif/collection/c1",
        "OAI ListIdentifiers page 1": "/oai?verb=ListIdentifiers&metadataPrefix=oai_dc",
        "item page": "/items/s0000010",
        "manifest": "/iiif/s0000010/manifest",
        "staff items list": "/staff/items",
        "staff items deep page": f"/staff/items?after={staff_deep_cursor(site.url)}",
    }


def staff_deep_cursor(url: str) -> str:
    """The staff list's cursor ~90% of the way down (newest first): what a curator's 1,800th
    "Next page" at 100,000 items would ask for."""
    catalog = Catalog.open(url)
    try:
        total = catalog.db.query_one("SELECT COUNT(*) AS n FROM items")["n"]  # type: ignore[index]
        deep = "SELECT * FROM items ORDER BY created DESC, id DESC LIMIT 1 OFFSET ?"
        row = catalog.db.query_one(deep, (total * 9 // 10,))
        assert row is not None
        return cursor_of(Item.from_row(row))
    finally:
        catalog.close()


def add_curator(url: str) -> None:
    catalog = Catalog.open(url)
    try:
        UserStore(catalog.db).create(STAFF_NAME, Role.CURATOR, STAFF_PASSWORD)
    finally:
        catalog.close()


def sign_in(port: int) -> str:
    """A curator's session cookie, through the sign-in form as a person would."""
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
        form = client.get("/staff/sign-in").text
        found = re.search(r'name="csrf_token" value="([^"]+)"', form)
        if found is None:
            raise SystemExit("the sign-in page has no csrf_token field")
        client.post(
            "/staff/sign-in", data={"csrf_token": found.group(1), "name": STAFF_NAME, "password": STAFF_PASSWORD}
        )
        if client.get("/staff/items", follow_redirects=False).status_code != 200:
            raise SystemExit("signing in to the staff pages failed")
        return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


def prepare(database: str, sizes: list[int], workers: int, base_port: int, pg_url: Any) -> list[Site]:
    sites = []
    for n, size in enumerate(sizes):
        data_dir = WORK / f"{database}-{size}"
        shutil.rmtree(data_dir, ignore_errors=True)
        data_dir.mkdir(parents=True)
        url = f"sqlite:///{data_dir / 'catalog.sqlite3'}" if database == "sqlite" else pg_url(f"scale_{size}")
        site = Site(size, url, base_port + n, data_dir)
        began = time.perf_counter()
        seed(url, size)
        site.seed_s = time.perf_counter() - began
        began = time.perf_counter()
        indexed = index(url)
        site.index_s = time.perf_counter() - began
        print(
            f"{database} {size:,}: seeded in {site.seed_s:.1f} s, indexed {indexed:,} in {site.index_s:.1f} s",
            flush=True,
        )
        site.pages = page_paths(site)
        add_curator(url)
        site.server, site.start_s = start_server(data_dir, url, site.port, workers)
        site.cookie = sign_in(site.port)
        print(
            f"{database} {size:,}: serving on :{site.port}, first answer {site.start_s:.1f} s after start", flush=True
        )
        sites.append(site)
    return sites


def run_database(database: str, sizes: list[int], args: argparse.Namespace, pg_url: Any) -> list[str]:
    sites = prepare(database, sizes, args.workers, args.port, pg_url)
    failures: list[str] = []
    try:
        names = list(sites[0].pages)
        results: dict[tuple[str, int, str], Any] = {}
        for name in names:
            for site in sites:
                path = site.pages[name]
                results[(name, site.size, "cold")] = cold(site.port, path, site.cookie_for(path))
            for site in sites:
                path = site.pages[name]
                results[(name, site.size, "counted")] = counted(site.port, path, site.cookie_for(path), args.workers)
            for connections in (1, 8):
                for site in sites:
                    path = site.pages[name]
                    figure, body = measure(site.port, path, connections, args.duration, site.cookie_for(path))
                    results[(name, site.size, f"c{connections}")] = figure
                    results[(name, site.size, "bytes")] = body
        # Private memory (RssAnon): the whole RSS also counts catalog pages SQLite maps, which the kernel shares.
        rss = {site.size: sum(_memory_mb(p)[0] for p in _tree(site.server.pid)) for site in sites if site.server}
    finally:
        for site in sites:
            if site.server is not None:
                os.killpg(site.server.pid, signal.SIGTERM)
                site.server.wait(timeout=30)
    small, large = sizes[0], sizes[-1]
    print(
        f"\n== {database}: {', '.join(f'{s:,}' for s in sizes)} items; {args.workers} workers;"
        f" {args.duration:.0f} s per figure; load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'page':32} {'items':>9} {'cold ms':>8} {'counts s':>8} {'p50 ms':>7} {'p99 ms':>7} {'req/s':>7}"
        f" {'p50@8':>7} {'p99@8':>7} {'req/s@8':>8} {'KB':>7}"
    )
    for name in names:
        for size in sizes:
            one, eight = results[(name, size, "c1")], results[(name, size, "c8")]
            print(
                f"{name:32} {size:>9,} {results[(name, size, 'cold')]:>8.1f} {results[(name, size, 'counted')]:>8.2f}"
                f" {one.p50:>7.2f} {one.p99:>7.2f}"
                f" {one.rate:>7.0f} {eight.p50:>7.2f} {eight.p99:>7.2f} {eight.rate:>8.0f}"
                f" {results[(name, size, 'bytes')] / 1024:>7.1f}"
            )
    print(f"\ngrowth of p50 at 1 connection, {small:,} -> {large:,} items (target <= {TARGET_GROWTH}x):")
    for name in names:
        growth = results[(name, large, "c1")].p50 / results[(name, small, "c1")].p50
        p99 = results[(name, large, "c1")].p99
        print(
            f"  {name:34} {growth:5.2f}x   p99 at {large:,}: {p99:.1f} ms{'' if name in TARGETED else '  (no target)'}"
        )
        if name in TARGETED and len(sizes) > 1 and growth > TARGET_GROWTH:
            failures.append(f"{database}: {name} grows {growth:.2f}x")
        if name in TARGETED and p99 > TARGET_MS:
            failures.append(f"{database}: {name} p99 {p99:.0f} ms at {large:,}")
        if results[(name, large, "bytes")] > 1_000_000:
            failures.append(f"{database}: {name} is {results[(name, large, 'bytes')]:,} bytes")
    for site in sites:
        for name, path in site.pages.items():
            if path in ERRORS:
                statuses = ", ".join(f"{n} x {status}" for status, n in ERRORS[path].items())
                failures.append(f"{database} {site.size:,}: {name} answered {statuses}")
    for site in sites:
        print(
            f"  {site.size:>9,} items: seed {site.seed_s:.1f} s, index {site.index_s:.1f} s"
            f" ({site.size / max(site.index_s, 1e-9):,.0f} items/s), first answer {site.start_s:.1f} s,"
            f" server private memory {rss.get(site.size, 0):.0f} MB ({args.workers} workers and supervisor),"
            f" deep page at position {site.deep_position:,}"
        )
    return failures


def _allow_clients(postgres: Any) -> None:
    """Room for every process's pool of catalog connections (MUNIMENT_DATABASE_POOL_SIZE, 10 each:
    the workers, the supervisor, the queue consumer of each size's server, all running at once)."""
    import psycopg

    from tests.servers.postgres import _bin

    with psycopg.connect(postgres.url(), autocommit=True) as conn:
        conn.execute("ALTER SYSTEM SET max_connections = 600")
    data, log = str(postgres.dir / "data"), str(postgres.dir / "log")  # a log file, or pg_ctl holds our pipe
    postgres._run(_bin("pg_ctl"), "-D", data, "-l", log, "-w", "restart")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000", help="item counts, comma separated")
    parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite, postgresql or both")
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per figure (default 3)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8870)
    parser.add_argument("--keep", action="store_true", help="keep bench/.work/scale")
    args = parser.parse_args()
    sizes = sorted(int(s.replace("_", "")) for s in args.sizes.split(","))
    failures: list[str] = []
    postgres = None
    try:
        for database in [d.strip() for d in args.databases.split(",") if d.strip()]:
            if database == "postgresql":
                from tests.servers.postgres import PostgresServer

                postgres = PostgresServer().start()
                _allow_clients(postgres)
                failures += run_database(database, sizes, args, postgres.create_database)
            elif database == "sqlite":
                failures += run_database(database, sizes, args, None)
            else:
                raise SystemExit(f"--databases: unknown database {database!r}; use sqlite or postgresql")
            args.port += len(sizes)
    finally:
        if postgres is not None:
            postgres.stop()
        if not args.keep:
            shutil.rmtree(WORK, ignore_errors=True)
    print()
    for failure in failures:
        print(f"FAIL {failure}")
    print("PASS every target" if not failures else f"{len(failures)} target(s) missed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
