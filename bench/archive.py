"""Archive bomb benchmark: a tar.gz of 1,000,000 empty members (about 10 MB) is refused at the
member cap; this prints the peak RSS of a fresh process refusing it with ``extract_archive``,
beside the same process only importing (the floor) and listing every member with tarfile first
(what the extraction did before it read archives as streams), and the time each took.

    .venv/bin/python bench/archive.py                  # 1,000,000 members
    .venv/bin/python bench/archive.py --members 300000

Target (issue 13, item 8): the refusal costs no more memory than a few tens of MB over the floor.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.hostile.many_members import refusal_cost, write_many_member_tar_gz  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        archive = write_many_member_tar_gz(Path(folder) / "members.tar.gz", args.members)
        print(f"{args.members:,} members, {archive.stat().st_size / 1e6:.1f} MB gzipped")
        figures = {}
        for how, label in (("none", "imports only"), ("extract", "extract_archive"), ("list", "tarfile list")):
            started = time.perf_counter()
            peak, message = refusal_cost(archive, Path(folder) / f"staging-{how}", how)
            figures[how] = peak
            print(f"{label:16} peak RSS {peak:7.1f} MB  {time.perf_counter() - started:6.1f} s  {message}")
        over = figures["extract"] - figures["none"]
        ratio = figures["list"] / figures["extract"]
        print(f"extract_archive: {over:.1f} MB over the floor; {ratio:.1f}x less than listing every member")
    return 0 if over < 64 else 1


if __name__ == "__main__":
    sys.exit(main())
