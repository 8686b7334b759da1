"""The task worker: a Huey consumer that runs the tasks of job records (ingests, and the
scheduled maintenance its scheduler starts: ``app.maintenance``).

Each task is claimed in its job record first (a lease this process renews while it lives), so
a message delivered twice runs once, and a task whose worker died is delivered again when its
lease runs out (any worker, or any reader of the job, notices). The ingest steps are idempotent
(an object already stored is found, not stored twice; the object's lock keeps two writers
apart), so a task run again after a crash finishes the item without doubling it.

Transient errors (storage or database out of reach, an object's lock held too long) put the
task back with a backoff, ``MUNIMENT_QUEUE_RETRY_SECONDS`` doubled each time, until
``MUNIMENT_QUEUE_ATTEMPTS``; then it is ``failed`` with its reason, retryable by hand.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sqlite3
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg
from huey.consumer import Consumer

from app import maintenance
from app.ingest_tasks import KINDS, run_ingest_task
from app.metadata_tasks import KIND as METADATA_KIND
from app.metadata_tasks import run_metadata_task
from app.ocr_tasks import KIND as OCR_KIND
from app.ocr_tasks import NotYet, run_ocr_task, submit_ocr
from app.page_tasks import FANOUT_KINDS, FannedItem, is_page_task, run_page_task
from app.queue import TaskQueue, end_of_job, remove_ended_staging
from ingest.runner import Ingester
from repo.catalog.jobs import Job, JobStore, JobTask, TaskResult
from repo.errors import ConfigError
from repo.ocr.engine import OcrFailed
from repo.ocr.service import ItemOcr
from repo.preservation.errors import ObjectBusy
from repo.services import Services
from storage.errors import StorageUnavailable

log = logging.getLogger("muniment.worker")

TRANSIENT: tuple[type[Exception], ...] = (
    StorageUnavailable,
    ObjectBusy,
    sqlite3.OperationalError,
    psycopg.OperationalError,
    OcrFailed,  # a page that failed or timed out is read again, on its own
)


class Worker:
    def __init__(self, services: Services, parent: int | None = None) -> None:
        self.services = services
        self.parent = parent  # the process this worker lives for (muniment serve's), if any
        self.settings = services.settings
        self.store = JobStore(services.catalog.db)
        self.queue = TaskQueue(self.settings, self.store, executor=self.execute)
        maintenance.register(self.queue, services)  # the schedules switched on by the settings
        self._fanned = FannedItem(self.store, self.queue.deliver, self._claim, self._execute_claimed)
        # One holder per process and start: leases of a process that died are never renewed.
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lease = float(self.settings.queue_lease_seconds)
        self._ingester: Ingester | None = None
        self._ocr: ItemOcr | None = None
        self._lock = threading.Lock()
        self._held: set[tuple[str, int]] = set()  # the tasks this process runs now: their leases are renewed
        self._held_lock = threading.Lock()
        self._stop = threading.Event()

    # -- one task ---------------------------------------------------------------------------

    def execute(self, job_id: str, seq: int) -> None:
        try:
            task = self._claim(job_id, seq)
        except TRANSIENT as exc:  # Huey has taken the message off the queue: put it back, or it is lost
            log.warning("task %s/%s could not be claimed (%s): delivered again", job_id, seq, exc)
            self.queue.deliver(job_id, seq, delay=self.settings.queue_retry_seconds)
            return
        if task is None:
            log.info("task %s/%s is held or done elsewhere: skipped", job_id, seq)
            return
        self._execute_claimed(task)

    def _claim(self, job_id: str, seq: int) -> JobTask | None:
        task = self.store.claim(job_id, seq, self.holder, self.lease)
        if task is not None:
            with self._held_lock:
                self._held.add((job_id, seq))
        return task

    def _execute_claimed(self, task: JobTask) -> None:
        """Run a claimed task and record how it ended. Whatever fails, the claim is let go of: if
        the end could not be recorded, the lease runs out and the task is delivered again."""
        try:
            self._run_and_record(task)
        except Exception:
            log.exception(
                "task %s/%s: its end could not be recorded; delivered again when its lease runs out",
                task.job_id,
                task.seq,
            )
        finally:
            with self._held_lock:
                self._held.discard((task.job_id, task.seq))

    def _run_and_record(self, task: JobTask) -> None:
        try:
            job = self.store.get(task.job_id)
            log.info("task %s/%s (%s %s), attempt %d", job.id, task.seq, job.kind, task.name, task.attempts)
            result = self._run(job, task)
        except NotYet as exc:  # waits for other tasks of its job: not an attempt that failed
            if self.store.release(task, str(exc)):
                self.queue.deliver(task.job_id, task.seq, delay=exc.delay)
            return
        except TRANSIENT as exc:
            self._transient(task, exc)
            return
        except Exception as exc:  # a task must end in a state, whatever happened
            log.exception("task %s/%s failed unexpectedly", task.job_id, task.seq)
            result = TaskResult("failed", message=f"internal error: {type(exc).__name__}; see the worker's log")
        self._finish(task, result)

    def _run(self, job: Job, task: JobTask) -> TaskResult:
        if job.kind in maintenance.KINDS:
            return maintenance.run_maintenance_task(job, task, self.services)
        if job.kind == OCR_KIND:
            return run_ocr_task(job, task, self._ocr_once())
        if job.kind == METADATA_KIND:
            return run_metadata_task(job, task, self.services)
        if job.kind not in KINDS:
            raise ConfigError(f"job {job.id}: unknown kind {job.kind!r}")
        if is_page_task(task):
            return run_page_task(job, task, self.services, self.holder)
        ingester = self._ingester_once()
        result = None
        if job.kind in FANOUT_KINDS and self.settings.queue_fanout_pages > 0:
            result = self._fanned.run(job, task, ingester)
        if result is None:
            result = run_ingest_task(job, task, ingester)
        if result.status == "ingested" and result.item_id and self.settings.ocr:  # a whole item, read next
            self._queue_ocr(result.item_id, job.submitted_by)
        return result

    def _transient(self, task: JobTask, exc: Exception) -> None:
        reason = f"{type(exc).__name__}: {exc}".splitlines()[0]
        if task.attempts >= self.settings.queue_attempts:
            log.warning("task %s/%s failed after %d attempts: %s", task.job_id, task.seq, task.attempts, reason)
            self._finish(task, TaskResult("failed", message=f"failed after {task.attempts} attempts: {reason}"))
            return
        delay = self.settings.queue_retry_seconds * 2 ** (task.attempts - 1)
        log.warning("task %s/%s: %s; trying again in %d s", task.job_id, task.seq, reason, delay)
        if self.store.release(task, f"attempt {task.attempts} failed ({reason}); trying again in {delay} s"):
            self.queue.deliver(task.job_id, task.seq, delay=delay)

    def _finish(self, task: JobTask, result: TaskResult) -> None:
        if not self.store.finish(task, result):
            log.warning("task %s/%s was taken over while it ran: its result is not recorded", task.job_id, task.seq)
            return
        end_of_job(self.store.get(task.job_id), self.settings)

    def _ingester_once(self) -> Ingester:
        with self._lock:
            if self._ingester is None:
                self._ingester = Ingester(self.services, reraise=TRANSIENT)
                self._ingester.clean_stale_staging()
            return self._ingester

    def _queue_ocr(self, item_id: str, submitted_by: str) -> None:
        """The pages of an item just ingested, read by OCR tasks; the ingest stands whatever happens."""
        try:
            submit_ocr(self.queue, self._ocr_once(), [item_id], submitted_by)
        except (OcrFailed, ConfigError) as exc:
            log.warning("%s: OCR not queued: %s", item_id, exc)

    def _ocr_once(self) -> ItemOcr:
        with self._lock:
            if self._ocr is None:
                self._ocr = ItemOcr(self.services)
            return self._ocr

    # -- the process ------------------------------------------------------------------------

    def keep_leases(self) -> None:
        """Renew this process's leases and deliver again the tasks of dead workers and those whose
        message was lost, until stopped."""
        interval = max(self.lease / 3, 0.2)
        while True:  # at once first: the job pages know a worker is up
            try:
                with self._held_lock:
                    held = list(self._held)
                self.store.renew(self.holder, held, self.lease)
                self.store.heard_from(self.holder)  # a queued job's page says when a worker was last seen
                if self.settings.worker_heartbeat:  # alive and reaching the catalog (a container healthcheck)
                    Path(self.settings.worker_heartbeat).touch()
                if requeued := self.queue.requeue_stale():
                    log.info("delivered %d task(s) of stopped workers again", requeued)
                if lost := self.queue.redeliver_lost(min_age=self.lease):
                    log.warning("delivered %d queued task(s) whose message was lost", lost)
            except TRANSIENT as exc:  # the catalog is out of reach: try again at the next turn
                log.warning("could not renew leases: %s", exc)
            if self.parent is not None and os.getppid() != self.parent:
                log.warning(
                    "process %d that started this worker has ended: stopping after the running task", self.parent
                )
                os.kill(os.getpid(), signal.SIGTERM)
                return
            if self._stop.wait(interval):
                return

    def _remove_ended_staging(self) -> None:
        """What jobs that ended while no worker ran (killed mid-job, then cancelled) left staged."""
        if removed := remove_ended_staging(self.settings, self.store):
            log.info("removed the staging of %d job(s) that have ended", removed)

    def consumer(self) -> Consumer:
        # A short poll: the SQLite queue is polled, PostgreSQL's wakes workers with NOTIFY.
        # SIGTERM (docker stop, `muniment serve` ending) lets the running task finish; SIGINT does not
        # wait (the task's lease runs out and it is delivered again).
        return Consumer(
            self.queue.huey, workers=max(1, self.settings.worker_threads), max_delay=1.0, graceful_signal="TERM"
        )

    def run(self) -> None:
        """Run until SIGTERM (after the running task) or SIGINT (at once)."""
        keeper = threading.Thread(target=self.keep_leases, name="lease-keeper", daemon=True)
        keeper.start()
        self.queue.requeue_stale()
        self._remove_ended_staging()
        try:
            self.consumer().run()
        finally:
            self.close()

    def start_in_background(self) -> Callable[[], None]:
        """Run the consumer's threads in this process without taking its signals (tests, embedding);
        returns the function that stops them, after the running task."""
        consumer = self.consumer()
        keeper = threading.Thread(target=self.keep_leases, name="lease-keeper", daemon=True)
        keeper.start()
        self._remove_ended_staging()
        consumer.scheduler.start()
        for _, thread in consumer.worker_threads:
            thread.start()

        def stop() -> None:
            consumer.stop(graceful=True)
            self.close()
            keeper.join()

        return stop

    def close(self) -> None:
        self._stop.set()
        if self._ingester is not None:
            self._ingester.close()
        if self._ocr is not None:
            self._ocr.close()
        self.queue.close()
