"""The task queue: Huey delivers the tasks of job records (repo.catalog.jobs) to worker processes.

Huey's storage is the embedded default's SQLite file beside the catalog, the catalog's own
PostgreSQL server when the catalog is there (Huey's ``PostgresStorage``: ``FOR UPDATE SKIP
LOCKED`` dequeue, LISTEN/NOTIFY wake-ups), or Redis when ``MUNIMENT_QUEUE_URL`` names it.

A Huey message says only "run task (job, seq)"; the job record says what that task is and who
holds it. Huey takes a message off the queue when a worker starts it, so a worker killed mid-task
loses the message: the task's lease then runs out and ``requeue_stale`` delivers it again. Every
process that queues (web workers, the command line) is a producer only; ``app.worker`` runs them.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import psycopg
from huey import Huey, PostgresHuey, SqliteHuey
from huey.api import TaskWrapper

from repo.catalog.jobs import Job, JobStore
from repo.errors import ConfigError
from repo.settings import Settings

QUEUE_NAME = "muniment"
TASK_NAME = "muniment.run_task"
Executor = Callable[[str, int], None]
_TABLES_LOCK = 0x6D756E7175657565  # "munqueue"


def queue_url(settings: Settings) -> str:
    """The queue's location: the setting, else beside the catalog."""
    if settings.queue_url:
        return settings.queue_url
    catalog = settings.catalog_url
    if catalog.startswith(("postgresql:", "postgres:")):
        return catalog
    return f"sqlite:///{Path(catalog[len('sqlite:///') :]).parent / 'queue.sqlite3'}"


def open_huey(settings: Settings) -> Huey:
    url = queue_url(settings)
    scheme = urlparse(url).scheme
    if scheme == "sqlite":
        path = Path(url[len("sqlite:///") :])
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(QUEUE_NAME, filename=str(path), results=False, timeout=30)
    if scheme in ("postgresql", "postgres"):
        huey = PostgresHuey(QUEUE_NAME, dsn=url, results=False, table_prefix="muniment_queue", create_tables=False)
        # Several workers starting at once (compose --scale) would race on CREATE TABLE IF NOT EXISTS.
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (_TABLES_LOCK,))
            try:
                huey.storage.initialize_schema()
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (_TABLES_LOCK,))
        return huey
    if scheme in ("redis", "rediss"):
        try:
            from huey import RedisHuey
            from redis import ConnectionPool
        except ImportError:
            raise ConfigError("MUNIMENT_QUEUE_URL names Redis but the redis package is not installed") from None
        return RedisHuey(QUEUE_NAME, connection_pool=ConnectionPool.from_url(url), results=False)
    raise ConfigError(
        f"MUNIMENT_QUEUE_URL: unsupported queue {scheme or url!r}; use sqlite:///, postgresql:// or redis://"
    )


class TaskQueue:
    """Job records and the queue that delivers their tasks. Producers give no ``executor``; the
    worker gives the function that runs a task (the same task name on both sides)."""

    def __init__(self, settings: Settings, jobs: JobStore, executor: Executor | None = None) -> None:
        self.settings = settings
        self.jobs = jobs
        self.huey = open_huey(settings)

        def run_task(job_id: str, seq: int) -> None:
            if executor is None:
                raise ConfigError("this process queues tasks but does not run them: start `muniment worker`")
            executor(job_id, seq)

        self._task: TaskWrapper = self.huey.task(name=TASK_NAME)(run_task)

    def submit(
        self,
        job_id: str,
        kind: str,
        source: str,
        tasks: Sequence[tuple[str, dict[str, Any]]],
        **record: Any,
    ) -> Job:
        """Record the job, then deliver each of its tasks to the workers."""
        job = self.jobs.create(job_id, kind, source, tasks, **record)
        for task in job.tasks:
            self.deliver(job.id, task.seq)
        return job

    def deliver(self, job_id: str, seq: int, delay: float = 0) -> None:
        if delay > 0:
            self._task.schedule((job_id, seq), delay=delay)
        else:
            self._task(job_id, seq)

    def requeue_stale(self) -> int:
        """Deliver again every task whose worker stopped renewing its lease; how many."""
        stale = self.jobs.requeue_stale()
        for job_id, seq in stale:
            self.deliver(job_id, seq)
        return len(stale)

    def find(self, job_id: str) -> Job | None:
        self.requeue_stale()  # a reader never sees a task held by a worker that is gone
        return self.jobs.find(job_id)

    def get(self, job_id: str) -> Job:
        self.requeue_stale()
        return self.jobs.get(job_id)

    def recent(self, **query: Any) -> list[Job]:
        self.requeue_stale()
        return self.jobs.recent(**query)

    def retry(self, job_id: str) -> Job:
        job = self.jobs.get(job_id)
        if job.cleanup and not Path(job.cleanup).exists():
            raise ConfigError(f"job {job_id}: its upload was removed when it ended; upload the bag again")
        for seq in self.jobs.retry(job_id):
            self.deliver(job_id, seq)
        return self.jobs.get(job_id)

    def cancel(self, job_id: str) -> Job:
        self.jobs.cancel(job_id)
        job = self.jobs.get(job_id)
        end_of_job(job, self.settings)
        return job

    def close(self) -> None:
        self.huey.storage.close()


def job_staging(settings: Settings, job_id: str) -> Path:
    """Where a job's tasks keep what several tasks read (a bag unpacked for its page tasks): under
    the staging folder, which every worker of the machine reads (and every machine, when it is a
    shared folder), until the job ends."""
    return _staging_of_jobs(settings) / job_id


def _staging_of_jobs(settings: Settings) -> Path:
    return settings.staging_path / "jobs"


def end_of_job(job: Job, settings: Settings) -> None:
    """Once every task of the job has ended, remove what it staged (an upload, an unpacked bag)."""
    if job.finished:
        if job.cleanup:
            shutil.rmtree(job.cleanup, ignore_errors=True)
        shutil.rmtree(job_staging(settings, job.id), ignore_errors=True)


def remove_ended_staging(settings: Settings, jobs: JobStore) -> int:
    """What jobs that ended (or were purged) while no worker was there to see it left staged; how
    many. A worker does this when it starts."""
    root = _staging_of_jobs(settings)
    removed = 0
    for folder in root.iterdir() if root.is_dir() else ():
        job = jobs.find(folder.name)
        if job is None or job.finished:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed
