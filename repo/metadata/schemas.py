"""The XML schemas we validate against, compiled once, resolved only from local copies.

The official schemas import each other by URL. Two independent guards keep that offline:
a resolver on the schema parser that maps every URL through our ``schemas/catalog.xml``
and refuses any other remote URL, and ``XML_CATALOG_FILES`` pointing at the same catalog for
any other libxml2 user in the process (libxml2 reads it only once, before its first catalog
lookup, which is why it is set at import time and only when nobody set it before).
"""

from __future__ import annotations

import os
import threading
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
CATALOG = SCHEMA_DIR / "catalog.xml"

os.environ.setdefault("XML_CATALOG_FILES", str(CATALOG))

from lxml import etree  # noqa: E402  (after XML_CATALOG_FILES, see above)

from repo.metadata.errors import Problem  # noqa: E402

if TYPE_CHECKING:
    from lxml.etree._docloader import _InputDocument

_CATALOG_NS = "{urn:oasis:names:tc:entity:xmlns:xml:catalog}"
# libxml2's schema compiler initialises shared type tables without a lock, so two threads
# compiling at once can fail with "the given type is not a built-in type"; and lxml records a
# schema's errors on the schema object itself. One lock serialises both.
_libxml2_schema_lock = threading.RLock()
_compiled: dict[str, etree.XMLSchema] = {}


@cache
def _catalog() -> dict[str, str]:
    """Official schema URL -> absolute local path, from the catalog's ``uri`` entries."""
    root = etree.parse(str(CATALOG), etree.XMLParser(no_network=True, resolve_entities=False))
    return {
        entry.get("name", ""): str((CATALOG.parent / entry.get("uri", "")).resolve())
        for entry in root.getroot().iter(f"{_CATALOG_NS}uri")
    }


class _LocalOnlyResolver(etree.Resolver):
    def resolve(self, system_url: str | None, public_id: str | None, context: object) -> _InputDocument | None:
        if system_url is None:
            return None
        local = _catalog().get(system_url)
        if local is not None:
            return self.resolve_filename(local, context)
        if "://" in system_url and not system_url.startswith("file:"):
            raise OSError(f"schema import {system_url} is not in {CATALOG.name}; no network")
        return None  # a local path: libxml2 reads it itself


def load_schema(relative_path: str) -> etree.XMLSchema:
    """Compile the schema at ``relative_path`` under ``schemas/`` (uncached)."""
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    parser.resolvers.add(_LocalOnlyResolver())
    with _libxml2_schema_lock:
        doc = etree.parse(str(SCHEMA_DIR / relative_path), parser)
        return etree.XMLSchema(doc)


def _compiled_once(relative_path: str) -> etree.XMLSchema:
    """The schema compiled by the first caller; concurrent first callers wait for it."""
    with _libxml2_schema_lock:
        if relative_path not in _compiled:
            _compiled[relative_path] = load_schema(relative_path)
        return _compiled[relative_path]


def mods_schema() -> etree.XMLSchema:
    """MODS 3.8: also accepts records declaring an earlier 3.x ``version``."""
    return _compiled_once("mods/mods-3-8.xsd")


def mods_3_7_schema() -> etree.XMLSchema:
    return _compiled_once("mods/mods-3-7.xsd")


def marc_schema() -> etree.XMLSchema:
    """LoC's MARCXML schema (MARC21slim.xsd, version 1.2; it imports nothing)."""
    return _compiled_once("marc/MARC21slim.xsd")


def oai_dc_schema() -> etree.XMLSchema:
    return _compiled_once("oai/oai_dc.xsd")


def simple_dc_schema() -> etree.XMLSchema:
    """DCMI's ``simpledc`` container (no namespace) holding DC 1.1 elements."""
    return _compiled_once("dc/qdc-2008/simpledc.xsd")


def alto_schema() -> etree.XMLSchema:
    """ALTO 4.4 (OCR text with word boxes); accepts documents of earlier 4.x versions too."""
    return _compiled_once("alto/alto-4-4.xsd")


def oai_pmh_schema() -> etree.XMLSchema:
    """A whole OAI-PMH response: envelope plus oai_dc, MODS and description formats.

    ``OAI-PMH.xsd`` alone validates ``<metadata>`` strictly against schemas it does not
    import, so only this driver schema can accept a real response.
    """
    return _compiled_once("oai-pmh-with-metadata.xsd")


def validate(tree: etree._ElementTree | etree._Element, schema: etree.XMLSchema, filename: str) -> list[Problem]:
    """Every schema error in ``tree`` as a problem with its line; empty when valid."""
    with _libxml2_schema_lock:
        if schema.validate(tree):
            return []
        errors = list(schema.error_log)
    return [Problem(filename, e.message, e.line or None) for e in errors]
