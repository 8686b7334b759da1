"""Every subcommand, given a bad input of its kind (an unknown id, a missing file, bad metadata,
storage out of reach, a bad flag), says so in words and exits non-zero: never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.ingest.conftest import MODS
from tests.servers.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli.main", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )


def test_no_subcommand_answers_bad_input_with_a_traceback(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MUNIMENT_")}
    env["MUNIMENT_DATA_DIR"] = str(tmp_path / "data")
    bad_xml = tmp_path / "bad.xml"
    bad_xml.write_text('<mods xmlns="http://www.loc.gov/mods/v3">\n  <titleInfo><title>x</title>\n</mods>\n')
    good_xml = tmp_path / "good.xml"
    good_xml.write_text(MODS.format(title="A letter"))
    unreachable = {
        **env,
        "MUNIMENT_PRESERVATION_STORAGE": "s3://nowhere/p",
        "MUNIMENT_S3_ENDPOINT": f"http://127.0.0.1:{free_port()}",
        "MUNIMENT_S3_ACCESS_KEY": "k",
        "MUNIMENT_S3_SECRET_KEY": "s",
        "MUNIMENT_S3_ATTEMPTS": "1",  # the message is the point here; test_cli waits out the default tries
    }
    cases: list[tuple[dict[str, str], tuple[str, ...], str]] = [
        (env, ("edit", "no-such-item", "--metadata", str(bad_xml)), "bad.xml:3"),  # the file and its line
        (env, ("edit", "no-such-item", "--metadata", str(good_xml)), "no-such-item"),
        (env, ("history", "no-such-item"), "no-such-item"),
        (env, ("export", "no-such-item", str(tmp_path / "out")), "no-such-item"),
        (env, ("withdraw", "no-such-item", "--reason", "duplicate"), "no-such-item"),
        (env, ("purge", "no-such-item", "--reason", "duplicate", "--confirm"), "no-such-item"),
        (env, ("ingest", str(tmp_path / "no-such-folder"), "--collection", "letters"), "no-such-folder"),
        (env, ("ingest", "--batch", str(tmp_path / "no-such.csv")), "no-such.csv"),
        (env, ("ingest", "--bag", str(tmp_path / "no-such-bag.zip")), "no-such-bag.zip"),
        (env, ("jobs", "show", "0123456789abcdef"), "0123456789abcdef"),
        (env, ("token", "revoke", "no-such-token"), "no-such-token"),
        (env, ("replicate",), "MUNIMENT_REPLICA_STORAGE"),
        (env, ("history", "an-item", "--frobnicate"), "--frobnicate"),
        ({**env, "MUNIMENT_PORT": "eighty"}, ("config",), "MUNIMENT_PORT"),
        (unreachable, ("fixity",), "127.0.0.1"),
        (unreachable, ("config", "--check"), "127.0.0.1"),
        (unreachable, ("recover",), "127.0.0.1"),
    ]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda case: run(case[0], *case[1]), cases))
    for (_, args, named), result in zip(cases, results, strict=True):
        output = result.stdout + result.stderr
        assert result.returncode != 0, (args, output)
        assert "Traceback" not in output, (args, output)
        assert named in output, (args, output)  # the thing at fault, by name
