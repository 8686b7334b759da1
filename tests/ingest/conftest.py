"""Fixtures for ingest: tiny page images in every allowed format, records, and a repository."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import pyvips
from PIL import Image

from repo.services import Services
from repo.settings import Settings
from storage import FilesystemStorage, Storage

MODS = """<?xml version="1.0" encoding="UTF-8"?>
<mods xmlns="http://www.loc.gov/mods/v3" version="3.8">
  <titleInfo><title>{title}</title></titleInfo>
  <name><namePart>Lovelace, Ada</namePart><role><roleTerm type="text">creator</roleTerm></role></name>
  <typeOfResource>text</typeOfResource>
  <originInfo><dateIssued>1843</dateIssued></originInfo>
  <language><languageTerm type="code" authority="iso639-2b">eng</languageTerm></language>
  <abstract>Notes on the analytical engine.</abstract>
</mods>
"""


def textured(width: int, height: int, seed: int = 1) -> pyvips.Image:
    noise = pyvips.Image.gaussnoise(width, height, sigma=40, mean=128, seed=seed)
    return noise.bandjoin([noise.flip("horizontal"), noise.flip("vertical")]).cast("uchar").copy(interpretation="srgb")


def write_page(path: Path, width: int = 300, height: int = 200, seed: int = 1) -> Path:
    image = textured(width, height, seed)
    suffix = path.suffix.lower()
    if suffix == ".jp2":
        Image.frombytes("RGB", (width, height), image.write_to_memory()).save(path)
    elif suffix in (".tif", ".tiff"):
        image.tiffsave(str(path))
    else:
        image.write_to_file(str(path))
    return path


def make_item(folder: Path, names: list[str], title: str = "Notes by the Translator", seed: int = 0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for index, name in enumerate(names):
        write_page(folder / name, seed=seed * 100 + index + 1)
    (folder / "mods.xml").write_text(MODS.format(title=title))
    return folder


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", ingest_workers=2)


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    services = Services.open(settings)
    yield services
    services.close()


def unregister(services: Services, item_id: str) -> None:
    """The catalog as it was before a run that stored the item's object, then stopped."""
    db = services.catalog.db
    with db.transaction():
        for table in ("search_subjects", "search_docs", "events", "files", "metadata", "fixity", "fixity_versions"):
            db.execute(f"DELETE FROM {table} WHERE item_id = ?", (item_id,))
        db.execute("DELETE FROM items WHERE id = ?", (item_id,))


def all_keys(storage: Storage) -> list[str]:
    return list(storage.list(""))


@pytest.fixture
def sample_folder(tmp_path: Path) -> Path:
    return make_item(tmp_path / "scans" / "notes", ["p1.tif", "p2.jpg", "p10.png", "p3.jp2"])


def copy_tree(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    return dest


__all__ = ["FilesystemStorage"]
