"""Job records on SQLite and PostgreSQL: a task is claimed once, a result is recorded only by the
claim that holds it, a lapsed lease makes it queued again, cancel and retry by hand."""

from __future__ import annotations

import time

import pytest

from repo.catalog import Catalog
from repo.catalog.jobs import JobStore, TaskResult
from repo.errors import MunimentError


@pytest.fixture
def store(catalog_url: str) -> JobStore:
    return JobStore(Catalog.open(catalog_url).db)  # the job tables are the catalog schema's


def new_job(store: JobStore, tasks: int = 2) -> str:
    store.create(
        "00000000000000c1", "batch", "b.csv", [(f"row {n}", {"n": n}) for n in range(tasks)], submitted_by="me"
    )
    return "00000000000000c1"


def test_a_task_is_claimed_once_and_its_result_recorded_by_its_holder_only(store: JobStore) -> None:
    job_id = new_job(store)
    first = store.claim(job_id, 1, "a:1:x", lease_seconds=0.2)
    assert first is not None and first.attempts == 1 and first.params == {"n": 0}
    assert store.claim(job_id, 1, "b:2:y", lease_seconds=30) is None, "a message delivered twice runs once"
    assert store.get(job_id).state == "running"
    time.sleep(0.3)  # the holder died: its lease lapsed
    assert store.get(job_id).tasks[0].state == "queued" and store.get(job_id).state == "queued"
    assert store.requeue_stale() == [(job_id, 1)] and store.requeue_stale() == []
    second = store.claim(job_id, 1, "b:2:y", lease_seconds=30)
    assert second is not None and second.attempts == 2
    assert not store.finish(first, TaskResult("ingested", "x")), "the lapsed claim records nothing"
    assert store.finish(second, TaskResult("ingested", "item-1", pages=2))
    job = store.get(job_id)
    assert (job.state, job.tasks[0].item_id, job.counts["succeeded"], job.attempts) == ("running", "item-1", 1, 2)


def test_cancel_then_retry_by_hand(store: JobStore) -> None:
    job_id = new_job(store)
    running = store.claim(job_id, 1, "a:1:x", lease_seconds=30)
    assert running is not None
    assert store.cancel(job_id) == 1, "the queued task is cancelled, the running one finishes"
    store.finish(running, TaskResult("failed", message="1 problem(s): nothing was stored"))
    job = store.get(job_id)
    assert [t.state for t in job.tasks] == ["failed", "cancelled"] and job.state == "failed" and job.finished
    with pytest.raises(MunimentError, match="has ended"):
        store.cancel(job_id)
    assert store.retry(job_id) == [1, 2]
    job = store.get(job_id)
    assert job.state == "queued" and [t.attempts for t in job.tasks] == [0, 0]
    with pytest.raises(MunimentError, match="no failed or cancelled task"):
        store.retry(job_id)


def test_a_living_worker_renews_only_the_tasks_it_runs(store: JobStore) -> None:
    """A task its worker let go of without recording an end (the catalog failed at that moment)
    must not stay `running` for as long as that worker lives: its lease lapses and it is queued."""
    job_id = new_job(store)
    running = store.claim(job_id, 1, "a:1:x", lease_seconds=0.3)
    let_go = store.claim(job_id, 2, "a:1:x", lease_seconds=0.3)
    assert running is not None and let_go is not None
    for _ in range(4):
        time.sleep(0.1)
        assert store.renew("a:1:x", [(job_id, 1)], lease_seconds=0.3) == 1
    assert [t.state for t in store.get(job_id).tasks] == ["running", "queued"]
    assert store.requeue_stale() == [(job_id, 2)]
    assert store.finish(running, TaskResult("ingested", "item-1"))
