"""The ingest steps: small functions over an ItemContext, run in order by ingest.runner.

Validation steps collect every problem. Storing (``ingest.pipeline``) overlaps the last
validation, the full decode of every page, and undoes itself when that fails, so an item with a
problem stores nothing; the OCFL object is committed (inventory last) before the catalog row,
so a crash leaves no catalog row without its object.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from datetime import UTC, date, datetime
from pathlib import Path

from ingest.context import ItemContext, Page
from ingest.derivatives import make_derivatives
from ingest.discover import discover
from ingest.errors import AlreadyIngested, IngestError
from ingest.images import read_header
from ingest.supplied_text import check_supplied_text, supplied_event, supplied_pages, supplied_tags
from repo.catalog import Event, Item, PageFile, format_datestamp
from repo.catalog.from_record import catalog_metadata
from repo.catalog.slugs import slug_problem
from repo.errors import Problem
from repo.identifiers import content_key, derivative_key, item_id_for, object_id, thumbnail_key
from repo.lifecycle.collections import ensure_collection
from repo.metadata import premis
from repo.metadata.errors import MetadataError
from repo.metadata.loader import load_record, record_from_dc_fields
from repo.page_formats import IMAGE_SUFFIXES
from repo.preservation import BagEntry, BagInfo, BuiltBag, ObjectStore, rebuild_tags
from repo.preservation.ocfl_recovery import recover_and_verify
from repo.search import page_text
from repo.services import Services
from repo.version import AGENT
from storage.base import Storage, digest_parts

log = logging.getLogger("muniment.ingest")


def now() -> datetime:
    return datetime.now(UTC)


def find_inputs(ctx: ItemContext) -> None:
    slug_trouble = slug_problem(ctx.source.collection)
    if slug_trouble:
        ctx.problems.append(Problem(ctx.source.name, slug_trouble))
    found = discover(
        ctx.source.folder, ctx.source.metadata, need_metadata=ctx.source.dc_fields is None, texts=ctx.source.texts
    )
    ctx.problems += found.problems
    ctx.pages = [
        Page(seq, path, IMAGE_SUFFIXES[path.suffix.lower()], text=found.texts.get(path))
        for seq, path in enumerate(found.pages, 1)
    ]
    if ctx.source.metadata is None and ctx.source.dc_fields is None and found.metadata is not None:
        ctx.source = type(ctx.source)(**{**ctx.source.__dict__, "metadata": found.metadata})


def read_metadata(ctx: ItemContext) -> None:
    try:
        if ctx.source.dc_fields is not None and ctx.source.metadata is None:
            ctx.record = record_from_dc_fields(ctx.source.dc_fields, ctx.source.name)
        elif ctx.source.metadata is not None:
            ctx.record = load_record(ctx.source.metadata)
    except MetadataError as exc:
        ctx.problems += [Problem(p.file if p.line is None else f"{p.file}:{p.line}", p.reason) for p in exc.problems]
    except OSError as exc:
        ctx.problems.append(Problem(str(ctx.source.metadata), f"cannot be read: {exc.strerror}"))


def check_and_hash_pages(ctx: ItemContext, pool: Executor, max_pixels: int, storage: Storage | None) -> None:
    """Header checks (formats, pixel limit) and sha512 of each page, pages in parallel.

    The one read that hashes a page also computes what ``storage`` needs to check its upload
    without hashing it again (``Storage.digest_for_put``); ``storage`` is None in a dry run.
    """

    def one(page: Page) -> Problem | None:
        header = read_header(page.path, page.mime, max_pixels)
        if isinstance(header, Problem):
            return header
        page.header = header
        with page.path.open("rb") as stream:
            page.parts = storage.digest_for_put(stream) if storage is not None else digest_parts(stream)
        page.size, page.sha512 = page.parts.size, page.parts.sha512
        return None

    ctx.problems += [p for p in pool.map(one, ctx.pages) if p is not None]
    ctx.problems += check_supplied_text(ctx)
    names = [page.path.name for page in ctx.pages]
    for name in {n for n in names if names.count(n) > 1}:
        ctx.problems.append(Problem(name, "two pages share this name"))


def identify(ctx: ItemContext, services: Services) -> None:
    """The content key (collection + page names and digests) makes re-ingest idempotent."""
    ctx.content_key = content_key(ctx.source.collection, [(page.path.name, page.sha512) for page in ctx.pages])
    ctx.item_id = item_id_for(ctx.source.identifier, ctx.source.collection, ctx.content_key)
    existing = services.catalog.find_by_content(ctx.content_key)
    if existing is not None:
        raise AlreadyIngested(existing.id)
    if services.catalog.get_item(ctx.item_id) is not None:
        raise IngestError(
            f"{ctx.source.name}: identifier {ctx.item_id!r} is already used by another item",
            [Problem(ctx.source.name, f"identifier {ctx.item_id!r} is already used by another item")],
        )


def decode_pages(ctx: ItemContext, pool: Executor, quality: int) -> None:
    """Full decode of every page (catches truncation) while writing its derivatives to staging."""
    out = ctx.staging / "derivatives"
    out.mkdir(parents=True, exist_ok=True)
    ctx.problems += [p for p in pool.map(lambda page: decode_page(page, out, quality), ctx.pages) if p is not None]


def decode_page(page: Page, out: Path, quality: int) -> Problem | None:
    """The page's pyramid and thumbnail in ``out``: its one full decode."""
    result = make_derivatives(page.path, page.mime, out, f"{page.seq:04d}", quality=quality)
    if isinstance(result, Problem):
        return result
    page.derivatives = result
    return None


def record_validation(ctx: ItemContext) -> None:
    at = now()
    total = ctx.payload_bytes
    ctx.events += [
        premis.PremisEvent(
            premis.MESSAGE_DIGEST_CALCULATION,
            at,
            "success",
            f"sha512 of {len(ctx.pages)} files ({total} bytes)",
            AGENT,
        ),
        premis.PremisEvent(
            premis.VALIDATION,
            at,
            "success",
            "every page image decoded; metadata valid against its schema",
            AGENT,
        ),
    ]


def check_existing_object(ctx: ItemContext, store: ObjectStore) -> None:
    """An object left by a run that stopped before the catalog: reuse it when it holds our pages,
    once recovery (finishing or rolling back its last commit) and a check of every byte say it
    is valid; an invalid one is the item's problem, never registered."""
    oid = object_id(ctx.item_id)
    if not store.exists(oid):
        return
    recovery, problems = recover_and_verify(store, oid)
    if recovery.changed:
        log.warning("recovered preservation object %s: %s", oid, recovery.summary())
    if problems:
        raise IngestError(
            f"{ctx.source.name}: preservation object {ctx.item_id!r} is already stored but invalid",
            [Problem(p.key, p.reason) for p in problems],
        )
    stored = {entry.path: entry.sha512 for entry in store.payload_entries(oid)}
    ours = {page.bag_path: page.sha512 for page in ctx.pages}
    if stored != ours:
        raise IngestError(
            f"{ctx.source.name}: a different item is already stored as {ctx.item_id!r}",
            [Problem(ctx.source.name, f"preservation object {ctx.item_id!r} holds other files")],
        )
    ctx.existing_object = True


def build_tags(ctx: ItemContext, services: Services) -> BuiltBag:
    """The tag files of the item's bag, in staging; the payload is named by digest, not copied."""
    assert ctx.record is not None
    bag_dir = ctx.staging / "bag"
    supplied = supplied_event(ctx)
    if supplied is not None:
        ctx.events.append(supplied)
    ctx.events.append(
        premis.PremisEvent(premis.INGESTION, now(), "success", f"stored as OCFL object {object_id(ctx.item_id)}", AGENT)
    )
    tags = {
        "metadata/mods.xml": ctx.record.mods_xml,
        "metadata/dc.xml": ctx.record.dc_xml,
        "metadata/premis.xml": premis.premis_xml(
            object_id(ctx.item_id), ctx.events, [(p.bag_path, p.sha512, p.size) for p in ctx.pages]
        ),
    }
    if ctx.record.marc_xml is not None:  # a MARC record is kept as submitted, as MARCXML
        tags["metadata/marc.xml"] = ctx.record.marc_xml
    tags.update(supplied_tags(ctx))
    info = BagInfo(
        source_organization=services.settings.source_organization,
        bagging_date=date.today(),
        external_identifier=ctx.source.identifier or ctx.item_id,
        bag_group_identifier=ctx.source.collection,
        extra=_bag_info_extra(ctx, services),
        software_agent=AGENT,
    )
    entries = [BagEntry(p.bag_path, p.size, p.sha512) for p in ctx.pages]
    return rebuild_tags(bag_dir, payload=entries, tags=tags, info=info)


def _bag_info_extra(ctx: ItemContext, services: Services) -> list[tuple[str, str]]:
    assert ctx.record is not None
    settings = services.settings
    extra = [("Title", ctx.record.title)] if ctx.record.title else []
    extra.append(("Contact-Email", settings.admin_email))
    if settings.bagit_profile_identifier:
        extra.append(("BagIt-Profile-Identifier", settings.bagit_profile_identifier))
    taken = {
        "source-organization",
        "bagging-date",
        "payload-oxum",
        "bag-size",
        "external-identifier",
        "bag-group-identifier",
        "bag-software-agent",
        *(label.lower() for label, _ in extra),
    }
    return extra + [(k, v) for k, v in ctx.source.bag_info if k.lower() not in taken]


def register(ctx: ItemContext, services: Services, on_registered: Iterable[Callable[[str], None]] = ()) -> None:
    assert ctx.record is not None
    stamp = format_datestamp(now())
    item = Item(
        id=ctx.item_id,
        collection=ctx.source.collection,
        title=ctx.record.title or ctx.source.name,
        content_key=ctx.content_key,
        page_count=len(ctx.pages),
        created=stamp,
        datestamp=stamp,
        external_id=ctx.source.identifier,
    )
    files = [page_file(ctx.item_id, page) for page in ctx.pages]
    events = [
        Event(ctx.item_id, e.type, format_datestamp(e.datetime), e.outcome, e.agent, e.detail) for e in ctx.events
    ]
    ensure_collection(services, ctx.source.collection)  # recorded in storage too, for rebuild-catalog
    texts = supplied_pages(ctx, item.version)
    with services.catalog.db.transaction():  # the item with its supplied text, or neither
        services.catalog.register_item(item, files, catalog_metadata(ctx.record), events)
        page_text.add_pages(services.catalog.db, texts)
    for hook in on_registered:
        hook(ctx.item_id)


def page_file(item_id: str, page: Page) -> PageFile:
    # Decoded here, or by its page task, which checked that it decodes to its header's size.
    size = page.derivatives or page.header
    assert size is not None
    return PageFile(
        seq=page.seq,
        path=page.bag_path,
        label=str(page.seq),
        size=page.size,
        sha512=page.sha512,
        mime=page.mime,
        width=size.width,
        height=size.height,
        derivative_key=derivative_key(item_id, page.seq),
        thumbnail_key=thumbnail_key(item_id, page.seq),
    )
