"""OCR pages/s: Muniment's engine (tesserocr, models kept loaded, one page per core) beside the
`tesseract` command on the same pages and cores (one process per page, as many at once as cores).

    .venv/bin/python bench/ocr.py [--pages 12]

Needs Debian's tesseract-ocr and tesseract-ocr-eng; draws its pages with Pillow (nothing downloaded).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from repo.ocr.engine import TesseractEngine
from tests.ocr.pages import FONTS, draw_page, words_for


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=12)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as folder:
        pages = []
        for n in range(args.pages):
            path = Path(folder) / f"p{n}.png"
            draw_page(path, words_for(n, 300), font_name=FONTS[n % len(FONTS)], size=28)
            pages.append(path)

        engine = TesseractEngine(600)
        with ThreadPoolExecutor(cores) as pool:
            list(pool.map(lambda p: engine.read(p, ["eng"], p.name), pages[:cores]))  # models loaded once per thread
            start = time.perf_counter()
            words = sum(len(t.words) for t in pool.map(lambda p: engine.read(p, ["eng"], p.name), pages))
            ours = args.pages / (time.perf_counter() - start)

        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}  # one core per process, as ours

        def command(path: Path) -> None:
            subprocess.run(
                ["tesseract", str(path), str(path.with_suffix("")), "-l", "eng", "alto"],
                check=True,
                capture_output=True,
                env=env,
            )

        with ThreadPoolExecutor(cores) as pool:
            start = time.perf_counter()
            list(pool.map(command, pages))
            theirs = args.pages / (time.perf_counter() - start)
    print(f"{args.pages} pages of 300 words, 1700x2200 px, {cores} cores, {words} words read")
    print(f"muniment (tesserocr): {ours:.2f} pages/s")
    print(f"tesseract command:    {theirs:.2f} pages/s")
    print(f"ratio: {ours / theirs:.2f}")


if __name__ == "__main__":
    main()
