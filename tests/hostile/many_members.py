"""Archives of very many empty members, written fast (ustar headers from one template), and the
peak memory of refusing one, measured in a fresh process: what an archive bomb costs to refuse."""

from __future__ import annotations

import json
import subprocess
import sys
import zlib
from pathlib import Path

_BLOCK = 512


def _template() -> tuple[bytearray, int]:
    header = bytearray(_BLOCK)
    for offset, field in (
        (100, b"0000644\0"),  # mode
        (108, b"0000000\0"),  # uid
        (116, b"0000000\0"),  # gid
        (124, b"00000000000\0"),  # size
        (136, b"00000000000\0"),  # mtime
        (148, b" " * 8),  # checksum, counted as spaces
        (156, b"0"),  # a regular file
        (257, b"ustar\x0000"),
    ):
        header[offset : offset + len(field)] = field
    return header, sum(header)


def write_many_member_tar_gz(path: Path, members: int) -> Path:
    """``bag/data/f0000000`` ... as empty files: about 7 bytes each once gzipped."""
    template, base = _template()
    width = len(b"bag/data/f0000000")
    head, middle, tail = bytes(template[width:148]), bytes(template[156:]), bytes(2 * _BLOCK)
    packer = zlib.compressobj(1, zlib.DEFLATED, 31)  # 31: a gzip wrapper
    with path.open("wb") as out:
        for start in range(0, members, 10_000):
            names = [b"bag/data/f%07d" % index for index in range(start, min(start + 10_000, members))]
            out.write(packer.compress(b"".join(n + head + b"%06o\0 " % (base + sum(n)) + middle for n in names)))
        out.write(packer.compress(tail) + packer.flush())  # the end-of-archive marker
    return path


_MEASURE = """
import json, resource, sys
from pathlib import Path
from repo.preservation import ArchiveLimits, UnsafeArchive, extract_archive
archive, dest, how, cap = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
message = ""
if how == "extract":
    try:
        extract_archive(archive, dest, ArchiveLimits(max_bytes=10**9, max_files=cap))
    except UnsafeArchive as exc:
        message = str(exc)
elif how == "list":  # what reading the whole member list first costs (tarfile keeps every member)
    import tarfile
    with tarfile.open(archive) as tf:
        message = f"{len(tf.getmembers())} members listed"
print(json.dumps({"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "message": message}))
"""


def refusal_cost(archive: Path, dest: Path, how: str = "extract", max_files: int = 100_000) -> tuple[float, str]:
    """Peak RSS in MB of a fresh process that extracts (``extract``, at most ``max_files``
    members), lists every member with tarfile (``list``) or only imports (``none``), and what it said."""
    command = [sys.executable, "-c", _MEASURE, str(archive), str(dest), how, str(max_files)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    answer = json.loads(done.stdout)
    return float(answer["peak_mb"]), str(answer["message"])
