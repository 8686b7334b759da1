"""Run the ingest steps for one item or a batch: staging, parallelism, results and reports."""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ingest import steps
from ingest.context import ItemContext, ItemSource
from ingest.errors import AlreadyIngested, IngestError
from ingest.known_scans import known_scans
from ingest.pipeline import ItemWrite
from ingest.progress import Progress
from repo.errors import Problem, known_cause
from repo.identifiers import object_id
from repo.preservation import BuiltBag, User
from repo.preservation.errors import ObjectBusy
from repo.services import Services
from repo.version import AGENT
from storage.filesystem import process_alive

log = logging.getLogger("muniment.ingest")


@dataclass(frozen=True)
class ItemResult:
    name: str
    status: str  # ingested | already-ingested | updated (its record: a new version) | valid (dry run) | failed
    item_id: str | None = None
    pages: int = 0
    bytes: int = 0
    problems: list[Problem] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {
            "item": self.name,
            "status": self.status,
            "id": self.item_id,
            "pages": self.pages,
            "bytes": self.bytes,
            "problems": [{"file": p.file, "reason": p.reason} for p in self.problems],
        }


class Ingester:
    """Ingests items with pages in parallel (threads: pyvips, hashlib and sockets release the GIL).

    Two pools: ``workers`` threads hash and decode (CPU), as many again upload (waiting on the
    storage most of the time), so that uploads go on while every core decodes.
    """

    def __init__(
        self,
        services: Services,
        *,
        dry_run: bool = False,
        workers: int | None = None,
        on_registered: Iterable[Callable[[str], None]] = (),
        reraise: tuple[type[Exception], ...] = (),
    ) -> None:
        self.services = services
        self.reraise = reraise  # errors the caller handles (a queued task retries transient ones)
        self.dry_run = dry_run
        self.workers = workers or services.settings.effective_workers(services.settings.ingest_workers)
        self.store = services.object_store()
        self.on_registered = list(on_registered) or _default_hooks(services)
        self.staging_root = services.settings.staging_path / "ingest"
        self._pages = ThreadPoolExecutor(self.workers, thread_name_prefix="ingest-page")
        self._uploads = ThreadPoolExecutor(max(2, self.workers), thread_name_prefix="ingest-upload")

    def close(self) -> None:
        self._pages.shutdown()
        self._uploads.shutdown()

    def ingest(self, source: ItemSource) -> ItemResult:
        with self.staging() as staging:
            ctx = ItemContext(source, staging)
            return self._reported(ctx, lambda: self._run(ctx))

    def _reported(self, ctx: ItemContext, run: Callable[[], ItemResult]) -> ItemResult:
        """The item's result, whatever ``run`` raised (but the errors in ``reraise``)."""
        source = ctx.source
        try:
            return run()
        except AlreadyIngested as exc:
            if not self.dry_run:
                self._finish_registration(exc.item_id)
            user = User(AGENT, self.services.settings.base_url)
            status, problems, _ = known_scans(ctx, self.services, exc.item_id, user, dry_run=self.dry_run)
            return ItemResult(source.name, status, exc.item_id, len(ctx.pages), ctx.payload_bytes, problems)
        except IngestError as exc:
            return ItemResult(
                source.name,
                "failed",
                ctx.item_id or None,
                problems=exc.problems or [Problem(source.name, exc.message)],
            )
        except self.reraise:
            raise
        except Exception as exc:  # one item's unexpected failure must not end a batch without its report
            cause = known_cause(exc, self._folders())  # a full disk, S3 out of reach: one line, no traceback
            if cause is None:
                log.exception("ingest of %s failed", source.name)
            return ItemResult(
                source.name,
                "failed",
                ctx.item_id or None,
                problems=[Problem(source.name, cause or f"unexpected error: {type(exc).__name__}: {exc}")],
            )

    def _run(self, ctx: ItemContext) -> ItemResult:
        settings = self.services.settings
        steps.find_inputs(ctx)
        steps.read_metadata(ctx)
        storage = None if self.dry_run else self.services.preservation
        steps.check_and_hash_pages(ctx, self._pages, settings.max_image_pixels, storage)
        self._stop_on_problems(ctx)
        steps.identify(ctx, self.services)
        if self.dry_run:
            steps.decode_pages(ctx, self._pages, settings.pyramid_quality)
            self._stop_on_problems(ctx)
            return ItemResult(ctx.source.name, "valid", ctx.item_id, len(ctx.pages), ctx.payload_bytes)
        with self._writing(ctx) as write:
            return self._commit(write)

    @contextmanager
    def _writing(self, ctx: ItemContext, wait: float | None = None) -> Iterator[ItemWrite]:
        """The item's version begun and its scans on their way, under its locks, until the block
        ends: undone then unless ``_commit`` committed it.

        One writer of this content and of this item id at a time (other processes too): the same
        folder ingested twice at once is stored once; the second waits (up to ``wait`` seconds,
        else ``ObjectBusy``), then finds it.
        """
        locks = self.store.locks
        with locks.hold(f"content:{ctx.content_key}", wait), self.store.writing(object_id(ctx.item_id), wait):
            steps.identify(ctx, self.services)  # again: it may have been registered while we waited
            steps.check_existing_object(ctx, self.store)
            # The acting user is this repository's software; its address is the repository's URL.
            user = User(AGENT, self.services.settings.base_url)
            write = ItemWrite(ctx, self.services, self.store, self._pages, self._uploads, user)
            try:
                write.start()
                yield write
            except Exception:  # a crash (not an Exception) leaves its staged files to the next recover
                write.undo()
                raise
            write.undo()  # the block ended: whatever ``_commit`` did not commit goes

    def _commit(self, write: ItemWrite) -> ItemResult:
        ctx = write.ctx

        def tags() -> BuiltBag:
            steps.record_validation(ctx)
            return steps.build_tags(ctx, self.services)

        write.finish(tags)
        steps.register(ctx, self.services, self.on_registered)
        return ItemResult(ctx.source.name, "ingested", ctx.item_id, len(ctx.pages), ctx.payload_bytes)

    @contextmanager
    def writing_ahead(self, ctx: ItemContext) -> Iterator[ItemWrite | None]:
        """For an item checked and hashed (``ctx``) whose pages are decoded elsewhere meanwhile (a
        queued large item's page tasks): its scans sent now, under its locks, while the block runs;
        ``commit_ahead`` ends it. None when another writer holds the item or it is no longer new:
        the ordinary ingest, run afterwards, waits for that writer or says what it found."""
        with ExitStack() as stack:
            try:
                write: ItemWrite | None = stack.enter_context(self._writing(ctx, wait=0))
            except (ObjectBusy, AlreadyIngested, IngestError):
                write = None
            yield write

    def commit_ahead(self, write: ItemWrite) -> ItemResult:
        """The version begun by ``writing_ahead`` committed (its pages decoded) and the item registered."""
        return self._reported(write.ctx, lambda: self._commit(write))

    def _finish_registration(self, item_id: str) -> None:
        """What a run killed after registering the item may have left undone: debris beside the
        object, and the bookkeeping after registration (event log, fixity rows, search), which has
        run when the item has fixity rows."""
        with self.store.writing(object_id(item_id)):
            self.store.recover(object_id(item_id))
            if self.services.catalog.fixity_version(item_id, "preservation") is None:
                for hook in self.on_registered:
                    hook(item_id)

    def _folders(self) -> list[Path]:
        s = self.services.settings
        return [s.staging_path, Path(s.preservation_location), Path(s.access_location)]

    @staticmethod
    def _stop_on_problems(ctx: ItemContext) -> None:
        if ctx.problems:
            raise IngestError(f"{ctx.source.name}: {len(ctx.problems)} problem(s)", ctx.problems)

    def ingest_many(
        self, sources: list[ItemSource], progress: Progress, item_workers: int | None = None
    ) -> list[ItemResult]:
        """Items in parallel too, so small items keep every core busy; results keep input order."""
        results: list[ItemResult] = []
        with ThreadPoolExecutor(item_workers or min(self.workers, 4), thread_name_prefix="ingest-item") as items:
            for result in items.map(self.ingest, sources):
                results.append(result)
                progress.item_finished(
                    result.name,
                    result.status,
                    result.item_id,
                    result.pages,
                    result.bytes,
                    [str(p) for p in result.problems],
                )
        return results

    @contextmanager
    def staging(self) -> Iterator[Path]:
        self.staging_root.mkdir(parents=True, exist_ok=True)
        path = self.staging_root / f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        path.mkdir()
        try:
            yield path
        finally:
            shutil.rmtree(path, ignore_errors=True)

    def clean_stale_staging(self) -> int:
        """Remove staging folders of runs that died (kill -9): their process is gone."""
        removed = 0
        if not self.staging_root.is_dir():
            return 0
        for entry in self.staging_root.iterdir():
            pid = entry.name.split("-", 1)[0]
            if pid.isdigit() and not process_alive(int(pid)):
                shutil.rmtree(entry, ignore_errors=True)
                removed += 1
        return removed


def _default_hooks(services: Services) -> list[Callable[[str], None]]:
    """Preservation bookkeeping (event log, fixity rows, replication), then the search index."""
    from repo.audit import Preservation
    from repo.search import index_item

    return [Preservation(services).committed, lambda item_id: index_item(services.catalog.db, item_id)]
