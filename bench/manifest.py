"""Manifest speed: a 2,000-page item's manifest cold and warm, beside iiif-prezi3 building it naively.

    .venv/bin/python bench/manifest.py [--pages 2000] [--database-url postgresql://...]

Cold: a new service (empty cache) reads the item from the catalog, builds and serializes the
manifest. Warm: the same request again (one catalog lookup for the ETag, then cached bytes). Both
are also measured through HTTP in process. iiif-prezi3: the same manifest built with the library's
helpers (``make_canvas``, ``add_image``, ``make_service``) and serialized with ``.json()``.
Targets (issue 5): cold < 300 ms, warm < 5 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from starlette.applications import Starlette

from iiif.presentation.routes import presentation_routes
from iiif.presentation.service import PresentationService
from iiif.presentation.source import Publisher, load_source
from repo.catalog import Catalog, Event, Item, ItemMetadata, PageFile, utc_now
from repo.services import Services
from repo.settings import Settings
from tests.presentation.prezi_reference import build_with_prezi3

COLD_RUNS = 7
WARM_RUNS = 300
ITEM = "bench-book"
TOC_CHAPTERS = 40


def seed(catalog: Catalog, pages: int) -> None:
    catalog.ensure_collection("bench", "Benchmark books", rights="http://rightsstatements.org/vocab/NoC-US/1.0/")
    now = utc_now()
    item = Item(
        id=ITEM,
        collection="bench",
        title="A very long book",
        content_key=ITEM,
        page_count=pages,
        created=now,
        datestamp=now,
    )
    files = [
        PageFile(
            seq=n,
            path=f"data/p{n:05d}.tif",
            label=f"p. {n}",
            size=10_000_000,
            sha512="0" * 128,
            mime="image/tiff",
            width=4000 + n % 7,
            height=6000,
            derivative_key=f"{ITEM}/p{n}.tif",
            thumbnail_key=f"{ITEM}/p{n}.jpg",
        )
        for n in range(1, pages + 1)
    ]
    step = max(1, pages // TOC_CHAPTERS)
    toc = [
        {"title": f"Chapter {i + 1}", "start_page": start, "end_page": min(pages, start + step - 1)}
        for i, start in enumerate(range(1, pages + 1, step))
    ]
    meta = ItemMetadata(
        dc={"title": ["A very long book"], "creator": ["Author, An"], "date": ["1890"]},
        dc_xml="<dc/>",
        mods_xml="<mods/>",
        language="en",
        description="Two thousand pages.",
        date="1890",
        date_start=1890,
        date_end=1890,
        type="Text",
        toc=toc,
    )
    catalog.register_item(item, files, meta, [Event(ITEM, "ingestion", now, "success", "bench")])


def timed(action: Callable[[], object], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return times


def show(name: str, times: list[float], target: float | None = None) -> None:
    median = statistics.median(times)
    verdict = "" if target is None else ("  ok" if median < target else f"  OVER the {target:g} ms target")
    print(f"{name:<44} median {median:9.2f} ms   min {min(times):9.2f} ms   ({len(times)} runs){verdict}")


async def http_times(new_app: Callable[[], Starlette]) -> None:
    """The same through HTTP in process (httpx over ASGI): routing, threadpool hop, headers, body."""
    url = f"http://bench/iiif/{ITEM}/manifest"
    plain = {"Accept-Encoding": "identity"}
    cold = []
    for _ in range(COLD_RUNS):  # a new app each time: an empty manifest cache
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=new_app())) as client:
            start = time.perf_counter()
            await client.get(url, headers=plain)
            cold.append((time.perf_counter() - start) * 1000)
    show("HTTP cold 200 (in process)", cold)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=new_app())) as client:

        async def timed_get(headers: dict[str, str], runs: int) -> list[float]:
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                await client.get(url, headers=headers)
                times.append((time.perf_counter() - start) * 1000)
            return times

        await timed_get(plain, 1)
        show("HTTP warm 200 (in process)", await timed_get(plain, 100))
        etag = (await client.get(url)).headers["etag"]
        show("HTTP warm 304 (in process)", await timed_get({"If-None-Match": etag}, 100))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--database-url", default="", help="catalog database (default: SQLite in a temp folder)")
    parser.add_argument("--skip-prezi3", action="store_true", help="leave out the slow iiif-prezi3 build")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="muniment-bench-") as tmp:
        settings = Settings(data_dir=Path(tmp), database_url=args.database_url)
        services = Services.open(settings)
        seed(services.catalog, args.pages)
        publisher = Publisher.from_settings(settings)
        catalog = services.catalog

        def cold() -> object:
            return PresentationService(catalog, publisher).manifest(ITEM)

        warm_service = PresentationService(catalog, publisher)
        size = len(warm_service.manifest(ITEM).document.body)  # type: ignore[union-attr]
        print(f"{args.pages}-page manifest, {size / 1e6:.2f} MB of JSON, catalog {catalog.db.dialect}\n")
        show("cold: catalog + build + serialize", timed(cold, COLD_RUNS), 300)
        show("warm: ETag lookup + cached bytes", timed(lambda: warm_service.manifest(ITEM), WARM_RUNS), 5)

        asyncio.run(http_times(lambda: Starlette(routes=presentation_routes(services))))

        if not args.skip_prezi3:
            source = load_source(catalog, catalog.require_item(ITEM))
            show("iiif-prezi3 naive build + .json()", timed(lambda: build_with_prezi3(source, publisher).json(), 1))
        services.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
