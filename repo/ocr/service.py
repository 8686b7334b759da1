"""OCR of an item's pages, kept where the item is: each page read into ALTO and indexed at once
(pending in the catalog), then every pending page written into one new OCFL version of the item
(tag files ``ocr/NNNN.alto.xml``, in the bag's tag manifest) with a PREMIS event that names the
engine, its version and its language data.

Pages are read one at a time by whoever runs them (a queued task per page, or a pool of
threads for ``muniment ocr`` in the foreground); ``commit`` is idempotent and runs under the
object's writer lock, so it can run after every page, or once after the last.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from repo.audit import Preservation
from repo.catalog import Event, format_datestamp
from repo.errors import MunimentError
from repo.identifiers import object_id
from repo.lifecycle.stored_bag import read_stored_bag
from repo.lifecycle.tag_version import write_tag_version
from repo.metadata.premis import CREATION, PremisEvent
from repo.ocr.bag_text import OCR_DIR, SUPPLIED_SOURCES, alto_path, index_tags, seq_of
from repo.ocr.engine import OcrFailed, TesseractEngine, installed_languages, software
from repo.ocr.languages import tesseract_languages
from repo.ocr.page_text import alto_xml
from repo.preservation import User
from repo.preservation.ocfl_inventory import version_number
from repo.search import page_text
from repo.search.indexer import index_item
from repo.services import Services

log = logging.getLogger("muniment.ocr")


class ItemOcr:
    def __init__(self, services: Services, engine: TesseractEngine | None = None) -> None:
        self.services = services
        self.settings = services.settings
        self.db = services.catalog.db
        self._engine = engine

    @property
    def engine(self) -> TesseractEngine:
        if self._engine is None:
            self._engine = TesseractEngine(self.settings.ocr_page_timeout_seconds)
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()

    # -- what to read ---------------------------------------------------------------------------

    def languages(self, item_id: str) -> list[str]:
        metadata = self.services.catalog.metadata(item_id)
        named = metadata.dc.get("language", []) if metadata else []
        return tesseract_languages(named, installed_languages(), self.settings.ocr_default_languages)

    def plan(self, item_id: str, *, again: bool = False) -> list[int]:
        """Pages to read: those without text, or (``again``) every page whose text is not the
        archivist's own."""
        item = self.services.catalog.require_item(item_id)
        if item.status != "active":
            raise MunimentError(f"item {item_id} is {item.status}; its pages are not read")
        have = page_text.pages_with_text(self.db, item_id)
        seqs = [f.seq for f in self.services.catalog.files(item_id)]
        if again:
            return [seq for seq in seqs if seq not in have or have[seq].source not in SUPPLIED_SOURCES]
        return [seq for seq in seqs if seq not in have]

    # -- one page -------------------------------------------------------------------------------

    def read_page(self, item_id: str, seq: int, languages: Sequence[str] | None = None) -> int:
        """OCR of one page into the index (pending until ``commit``); returns its word count.
        Raises ``OcrFailed`` when the page cannot be read in time."""
        languages = list(languages or self.languages(item_id))
        page = next((f for f in self.services.catalog.files(item_id) if f.seq == seq), None)
        if page is None:
            raise MunimentError(f"item {item_id} has no page {seq}")
        name = f"{item_id} page {seq} ({page.path.removeprefix('data/')})"
        staging = self.settings.staging_path / "ocr"
        staging.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=staging, suffix=Path(page.path).suffix) as scan:
            with self.services.object_store().open_file(object_id(item_id), page.path) as stream:
                shutil.copyfileobj(stream, scan, 1 << 20)
            scan.flush()
            text = self.engine.read(Path(scan.name), languages, name)
        read_by = software(languages)
        alto = alto_xml(text, page.path.removeprefix("data/"), read_by, datetime.now(UTC), seq)
        page_text.save_page(
            self.db,
            item_id,
            seq,
            text,
            alto,
            source="tesseract",
            software=f"{read_by.name} {read_by.version}",
            languages="+".join(languages),
        )
        return len(text.words)

    # -- into the object ------------------------------------------------------------------------

    def commit(self, item_id: str, user: User) -> int | None:
        """Write every pending page's ALTO into a new version; the version, or None when nothing
        was pending."""
        oid = object_id(item_id)
        store = self.services.object_store()
        with store.writing(oid):
            waiting = page_text.pending(self.db, item_id)
            if not waiting:
                return None
            item = self.services.catalog.require_item(item_id)
            bag = read_stored_bag(store, oid)
            replace = {alto_path(seq): alto for seq, alto, _ in waiting}
            engines = sorted({f"{p.software} ({p.languages})" for _, _, p in waiting})
            seqs = [seq for seq, _, _ in waiting]
            detail = (
                f"OCR text of {len(seqs)} page(s) as ALTO 4.4 in {OCR_DIR}/ by {', '.join(engines)}; "
                f"{software(waiting[0][2].languages.split('+')).settings}"
            )
            event = PremisEvent(CREATION, datetime.now(UTC), "success", detail, engines[0].split(" (")[0])
            info = write_tag_version(
                store,
                oid,
                self.settings.staging_path / "lifecycle",
                replace=replace,
                events=[event],
                message=f"OCR text of {len(seqs)} page(s)",
                user=user,
                source_organization=self.settings.source_organization,
                bag=bag,
            )
            version = version_number(info.version)
            with self.db.transaction():
                page_text.mark_stored(self.db, item_id, seqs, version)
                self.services.catalog.set_version(item_id, version)
                self.services.catalog.add_events(
                    [Event(item_id, event.type, format_datestamp(event.datetime), "success", event.agent, detail)]
                )
            log.info(
                "%s: OCR text of %d page(s) stored as %s (was v%d)", item_id, len(seqs), info.version, item.version
            )
        Preservation(self.services).committed(item_id)
        return version

    def index_stored(self, item_id: str) -> int:
        """Index the text the head version holds (supplied with the scans, or read earlier) for the
        pages the index lacks; how many pages were indexed."""
        self.services.catalog.require_item(item_id)
        oid = object_id(item_id)
        bag = read_stored_bag(self.services.object_store(), oid)
        have = page_text.pages_with_text(self.db, item_id)
        indexed = index_tags(self.db, item_id, bag.tags, version_number(bag.version), skip=have)
        if indexed:
            index_item(self.db, item_id)  # the site search: the item's document holds its pages' text
        return indexed


__all__ = ["ItemOcr", "OcrFailed", "alto_path", "seq_of"]
