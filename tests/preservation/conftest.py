"""Fixtures for the preservation tests: small scans, metadata, bags and object stores.

``store`` runs on every storage backend of ``tests/conftest.py`` (a folder and SeaweedFS S3).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from repo.preservation import BagInfo, BuiltBag, ObjectStore, User, build_bag
from storage import FilesystemStorage, Storage

FIXTURES = Path(__file__).parent / "fixtures"
USER = User("Ada Archivist", "mailto:ada@example.org")
OBJECT_ID = "urn:muniment:item:0001"  # a URI, as OCFL recommends (else validators warn)


def metadata(edition: int) -> dict[str, bytes]:
    """dc, mods and premis records; ``edition`` changes their bytes."""
    return {
        "metadata/dc.xml": (
            '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f"<dc:title>Letter, edition {edition}</dc:title></oai_dc:dc>\n"
        ).encode(),
        "metadata/mods.xml": (
            '<mods xmlns="http://www.loc.gov/mods/v3" version="3.8"><titleInfo>'
            f"<title>Letter, edition {edition}</title></titleInfo></mods>\n"
        ).encode(),
        "metadata/premis.xml": (
            '<premis xmlns="http://www.loc.gov/premis/v3" version="3.0">'
            f"<event><eventType>ingestion</eventType><eventDetail>{edition}</eventDetail></event></premis>\n"
        ).encode(),
    }


def bag_info(**extra: str) -> BagInfo:
    return BagInfo(
        source_organization="Muniment Test Archive",
        bagging_date=date(2024, 5, 17),
        external_identifier=OBJECT_ID,
        bag_group_identifier="urn:muniment:collection:letters",
        extra=tuple(extra.items()),
    )


@pytest.fixture
def scans(tmp_path: Path) -> dict[str, Path]:
    """Three small 'scans' (random bytes) plus a duplicate of the first under another name."""
    folder = tmp_path / "scans"
    folder.mkdir()
    out: dict[str, Path] = {}
    for name, size in (("p1.tif", 70_000), ("p2.tif", 50_000), ("sub dir/p3.jp2", 1_000)):
        path = folder / name.replace("/", "_")
        path.write_bytes(os.urandom(size))
        out[name] = path
    copy = folder / "p1-copy.tif"
    copy.write_bytes(out["p1.tif"].read_bytes())
    out["p1-copy.tif"] = copy
    return out


MakeBag = Callable[..., BuiltBag]


@pytest.fixture
def make_bag(tmp_path: Path, scans: dict[str, Path]) -> MakeBag:
    counter = iter(range(1000))

    def make(edition: int = 1, payload: dict[str, Path] | None = None, **extra: str) -> BuiltBag:
        return build_bag(
            tmp_path / f"bag-{next(counter)}",
            payload=scans if payload is None else payload,
            tags=metadata(edition),
            info=bag_info(**extra),
        )

    return make


@pytest.fixture
def store(storage: Storage) -> ObjectStore:
    return ObjectStore(storage)


@pytest.fixture
def fs_store(tmp_path: Path) -> ObjectStore:
    """Filesystem only: for tests that need to look at the raw tree."""
    return ObjectStore(FilesystemStorage(tmp_path / "preservation"))
