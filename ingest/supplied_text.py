"""Page text that the archivist supplies beside the scans (ALTO or hOCR, matched by name): checked
against its scan while the pages are, kept in the bag as supplied with a PREMIS event that says
so, and indexed in the transaction that registers the item (a crash leaves both or neither);
OCR then skips these pages (they have text)."""

from __future__ import annotations

from datetime import UTC, datetime

from ingest.context import ItemContext
from repo.errors import Problem
from repo.metadata.errors import MetadataError
from repo.metadata.premis import VALIDATION, PremisEvent
from repo.ocr.bag_text import read_supplied
from repo.search import page_text
from repo.version import AGENT


def check_supplied_text(ctx: ItemContext) -> list[Problem]:
    """Read each page's supplied text against its scan's header size; every problem, with its line."""
    problems: list[Problem] = []
    ctx.supplied = []
    for page in ctx.pages:
        if page.text is None or page.header is None:
            continue
        path, kind = page.text
        try:
            data = path.read_bytes()
            ctx.supplied.append(read_supplied(page.seq, path.name, data, kind, (page.header.width, page.header.height)))
        except OSError as exc:
            problems.append(Problem(str(path), f"cannot be read: {exc.strerror}"))
        except MetadataError as exc:
            problems += [Problem(str(path), p.reason, p.line) for p in exc.problems]
    return problems


def supplied_tags(ctx: ItemContext) -> dict[str, bytes]:
    """The bag's tag files of the supplied text, byte for byte as supplied."""
    return {text.tag_path: text.data for text in ctx.supplied}


def supplied_event(ctx: ItemContext) -> PremisEvent | None:
    if not ctx.supplied:
        return None
    kinds = {"alto": "ALTO", "hocr": "hOCR"}
    files = "; ".join(f"{kinds[t.kind]} {t.name} for page {t.seq} as {t.tag_path}" for t in ctx.supplied)
    detail = (
        f"page text supplied with the scans for {len(ctx.supplied)} page(s), kept instead of OCR ({files}); "
        "valid (ALTO 4 against the ALTO 4.4 schema, hOCR with a bbox for each word), the scan's size, "
        "every word box within the page; these pages are not read by OCR"
    )
    return PremisEvent(VALIDATION, datetime.now(UTC), "success", detail, AGENT)


def supplied_pages(ctx: ItemContext, version: int) -> list[page_text.NewPage]:
    """The supplied pages' words for the page-text index (what Content Search and the site search
    read), made before the item is registered: they are written in its transaction."""
    pages = []
    for text in ctx.supplied:
        scan = next(p for p in ctx.pages if p.seq == text.seq)
        alto = text.index_alto(scan.path.name)
        pages.append(page_text.NewPage(ctx.item_id, text.seq, text.text, alto, text.kind, version=version))
    return pages
