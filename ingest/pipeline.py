"""Decode and store an item at once, so that no core waits for a phase to end.

Once the item's identifier is known (every page hashed), each page's scan goes up into the
object's next OCFL version (staged: stored, not yet visible) while the CPU pool decodes every
page in full (the last validation) into its pyramid and thumbnail, and each page's derivatives
go to access storage as soon as they exist. The version is committed, inventory last, only
when every page decoded and every upload succeeded. A page that does not decode undoes every
upload of the item, so an item with any problem still stores nothing.

Each scan is read three times (hash, upload, decode), mostly from the page cache, but hashed
once: the first read computes its sha512 (manifest, inventory, catalog) together with the
checksums its upload carries (``Storage.digest_for_put``), so the storage refuses any byte that
is not the one hashed without hashing it again. It is decoded once, into its derivatives.

``ItemWrite`` holds these steps apart: ``start`` begins the version and sends the scans, ``finish``
decodes (unless the pages were decoded elsewhere: a queued large item's page tasks, which run
between the two, on every worker, while the scans go up), waits for the uploads and commits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor, Future, as_completed, wait
from pathlib import Path

from ingest.context import ItemContext, Page
from ingest.errors import IngestError
from ingest.steps import decode_page
from repo.errors import Problem
from repo.identifiers import derivative_key, object_id, thumbnail_key
from repo.preservation import BuiltBag, ObjectStore, User, VersionWriter
from repo.services import Services
from storage.errors import StorageError, StorageUnavailable

log = logging.getLogger("muniment.ingest")


class ItemWrite:
    """Everything between validation of the headers and registration in the catalog, for one item.

    ``io`` runs the uploads, ``cpu`` the decodes. Until ``finish`` has committed, ``undo`` drops
    every scan staged and every derivative this write stored; after, it does nothing.
    """

    def __init__(
        self, ctx: ItemContext, services: Services, store: ObjectStore, cpu: Executor, io: Executor, user: User
    ) -> None:
        self.ctx = ctx
        self.services = services
        self.store = store
        self.cpu = cpu
        self.io = io
        self.user = user
        self.writer: VersionWriter | None = None
        self.uploads: list[Future[object]] = []
        self.stored: list[str] = []  # access keys written, removed again if the item fails
        self.committed = False

    def start(self) -> None:
        """Begin the object's next version (none when an earlier run stored it) and send its scans."""
        ctx = self.ctx
        if ctx.existing_object:
            return
        self.writer = writer = self.store.begin_version(object_id(ctx.item_id))
        for page in ctx.pages:
            self.uploads.append(self.io.submit(writer.stage, page.bag_path, page.path, page.sha512, page.parts))

    def finish(self, build_tags: Callable[[], BuiltBag]) -> None:
        """Decode every page (unless ``derivatives_made``), then commit: ``build_tags`` makes the bag's
        tag files once every page decoded (their PREMIS record names the validation)."""
        ctx, writer = self.ctx, self.writer
        try:
            if not ctx.source.derivatives_made:
                out = ctx.staging / "derivatives"
                out.mkdir(parents=True, exist_ok=True)
                problems = _decode_all(
                    ctx, self.cpu, out, self._upload_derivatives, self.services.settings.pyramid_quality
                )
                if problems:
                    ctx.problems += problems
                    raise IngestError(f"{ctx.source.name}: {len(problems)} problem(s)", ctx.problems)
            bag = build_tags()
            if writer is not None:
                for entry in bag.tags:
                    writer.stage(entry.path, bag.path / entry.path, entry.sha512)
            for future in as_completed(self.uploads):
                future.result()  # the first failed upload ends the item
            if writer is not None:
                writer.commit(bag.files, f"Ingested from {ctx.source.name}", self.user)
        except Exception:
            self.undo()
            raise
        self.committed = True

    def _upload_derivatives(self, page: Page) -> None:
        self.uploads.append(self.io.submit(_put_derivatives, self.ctx, self.services, page, self.stored))

    def undo(self) -> None:
        """Stop what has not started, wait for what has, then drop what was stored."""
        if self.committed:
            return
        for future in self.uploads:
            future.cancel()
        wait(self.uploads)
        if self.writer is not None:
            self.writer.abort()
        for key in self.stored:
            try:
                self.services.access.delete(key)
            except StorageUnavailable as exc:  # asking a server that is gone once per key only adds minutes
                log.warning("could not remove %d derivative(s) after a failed ingest: %s", len(self.stored), exc)
                return
            except StorageError as exc:  # a derivative can be made again; the item is failed anyway
                log.warning("could not remove %s after a failed ingest: %s", key, exc)
        self.stored.clear()


def _decode_all(
    ctx: ItemContext, cpu: Executor, out: Path, decoded: Callable[[Page], None], quality: int
) -> list[Problem]:
    """Decode every page (all problems reported, in page order); ``decoded`` runs per good page."""
    futures = {cpu.submit(decode_page, page, out, quality): page for page in ctx.pages}
    problems: dict[int, Problem] = {}
    for future in as_completed(futures):
        problem = future.result()
        if problem is not None:
            problems[futures[future].seq] = problem
        elif not problems:  # after a failure nothing more is stored: it would be undone
            decoded(futures[future])
    return [problems[seq] for seq in sorted(problems)]


def _put_derivatives(ctx: ItemContext, services: Services, page: Page, stored: list[str]) -> None:
    assert page.derivatives is not None
    for local, key in (
        (page.derivatives.pyramid, derivative_key(ctx.item_id, page.seq)),
        (page.derivatives.thumbnail, thumbnail_key(ctx.item_id, page.seq)),
    ):
        with local.open("rb") as stream:
            services.access.put(key, stream)
        stored.append(key)
        local.unlink()  # staging holds a few pages' derivatives at a time, not a whole book's
