"""Cancel and retry through the real executor, state machine and callback scheduler (in-memory stores)."""

from __future__ import annotations

import time

import pytest

from common.errors import NotFound
from common.jobs import lifecycle
from common.jobs.ids import gcs_job_id
from common.jobs.models import JobStatus
from common.services.job_control import JobControl
from tests.unit.services.conftest import BUCKET
from tests.unit.services.test_intake_and_execution import _claimed_by_a_dead_worker


def control(world, max_attempts=3) -> JobControl:
    return JobControl(
        tenants=world.tenants,
        publisher=lambda: world.publisher,
        clock=world.clock,
        max_attempts=max_attempts,
        base_url="https://api.example.com",
    )


def _pending(world, body=b"hello"):
    event = world.drop("acme", "echo", body)
    job_id = gcs_job_id(BUCKET, event.name, event.generation)
    world.tenants.jobs("acme").create(
        lifecycle.new_job(
            job_id=job_id,
            tenant_id="acme",
            agent="echo",
            input={"file_uri": f"gs://{BUCKET}/{event.name}", "generation": event.generation},
            source=lifecycle.Source.GCS,
            now=world.clock(),
            callback_url="https://hooks.example.com/x",
        )
    )
    return job_id


def test_a_pending_job_is_cancelled_at_once_and_its_queued_message_runs_nothing(world):
    job_id = _pending(world)
    ended = []
    view, done = JobControl(
        tenants=world.tenants,
        publisher=lambda: world.publisher,
        clock=world.clock,
        max_attempts=3,
        base_url="https://api.example.com",
        finished=ended.append,
    ).cancel("acme", job_id)
    assert done and view["status"] == "cancelled"
    assert [(j.job_id, j.status) for j in ended] == [(job_id, JobStatus.CANCELLED)]  # settles the reservation
    outcome = world.executor().execute(world.tenants.jobs("acme"), job_id)
    assert outcome.kind == "already_finished" and world.echo.runs == 0
    # Cancelling again is idempotent, and ends nothing a second time.
    assert control(world).cancel("acme", job_id)[1]


def test_a_running_agent_stops_at_its_next_checkpoint_and_the_job_ends_cancelled(world):
    event = world.drop("acme", "echo", b"hook")
    job_id = gcs_job_id(BUCKET, event.name, event.generation)
    answers = []

    def cancel_while_running():
        answers.append(control(world).cancel("acme", job_id))
        time.sleep(0.2)  # a few heartbeats: one of them reads the cancellation

    world.echo.during_run = cancel_while_running
    outcome = world.runner(heartbeat_seconds=0.01).handle(event)
    view, done = answers[0]
    assert not done and view["status"] == "running" and "cancel_requested_at" in view
    assert (outcome.status, outcome.code) == ("cancelled", "job_cancelled")
    job = world.tenants.jobs("acme").get(job_id)
    assert job.status is JobStatus.CANCELLED and job.result is None and job.error is None
    assert [t["event"] for t in world.queue.tasks.values()] == ["job.cancelled"]


def test_a_cancelled_attempt_whose_worker_died_ends_cancelled_at_the_next_claim(world):
    event = world.drop("acme", "echo", b"hello")
    store, job_id = _claimed_by_a_dead_worker(world, event)
    view, done = control(world).cancel("acme", job_id)
    assert not done and view["status"] == "running"  # the lease is live: the worker may still stop
    world.clock.advance(31)
    outcome = world.executor().execute(store, job_id)
    assert (outcome.status, outcome.code) == ("cancelled", "job_cancelled")
    assert world.echo.runs == 0


@pytest.mark.parametrize("body", [b"hello", b"permanent"])
def test_finished_jobs_cannot_be_cancelled(world, body):
    outcome = world.runner().handle(world.drop("acme", "echo", body))
    with pytest.raises(lifecycle.NotCancellable) as caught:
        control(world).cancel("acme", outcome.job_id)
    assert caught.value.http_status == 409


def test_a_failed_job_is_retried_as_a_new_attempt_with_a_callback_of_its_own(world):
    store = world.tenants.jobs("acme")
    outcome = world.runner().handle(world.drop("acme", "echo", b"permanent"))
    first_tasks = set(world.queue.tasks)
    view = control(world).retry("acme", outcome.job_id)
    assert view["status"] == "pending" and view["retries"] == 1
    assert world.publisher.published == [("acme", outcome.job_id)]
    job = store.get(outcome.job_id)
    assert job.status is JobStatus.PENDING and job.callbacks == () and job.result is None
    rerun = world.executor().execute(store, outcome.job_id)
    assert (rerun.status, store.get(outcome.job_id).attempts) == ("failed", 2)
    assert len(set(world.queue.tasks) - first_tasks) == 1  # the second failure is a new event


def test_retry_answers_409_unless_failed_and_within_the_attempt_cap(world):
    ok = world.runner().handle(world.drop("acme", "echo", b"hello", name="a.pdf"))
    with pytest.raises(lifecycle.NotRetryable):
        control(world).retry("acme", ok.job_id)
    failed = world.runner().handle(world.drop("acme", "echo", b"permanent", name="b.pdf"))
    with pytest.raises(lifecycle.AttemptCapReached) as caught:
        control(world, max_attempts=1).retry("acme", failed.job_id)
    assert caught.value.http_status == 409 and world.publisher.published == []


def test_a_retry_is_admitted_against_the_plan_before_anything_is_written(world):
    from common.plans.errors import BudgetExceeded

    failed = world.runner().handle(world.drop("acme", "echo", b"permanent"))
    admitted = []

    def refuse(job):
        admitted.append((job.status, job.retries))
        raise BudgetExceeded("the job's worst-case cost does not fit in the remaining budget")

    refusing = JobControl(
        tenants=world.tenants,
        publisher=lambda: world.publisher,
        clock=world.clock,
        max_attempts=3,
        base_url="https://api.example.com",
        admit_retry=refuse,
    )
    with pytest.raises(BudgetExceeded) as caught:
        refusing.retry("acme", failed.job_id)
    assert caught.value.http_status == 402 and admitted == [(JobStatus.PENDING, 1)]
    assert world.tenants.jobs("acme").get(failed.job_id).status is JobStatus.FAILED
    assert world.publisher.published == []


def test_a_retry_whose_publish_fails_stays_pending_for_the_sweeper(world):
    failed = world.runner().handle(world.drop("acme", "echo", b"permanent"))
    world.publisher.fail = True
    assert control(world).retry("acme", failed.job_id)["status"] == "pending"
    world.publisher.fail = False
    world.clock.advance(3600)
    world.sweeper().sweep()
    assert world.publisher.published == [("acme", failed.job_id)]


def test_another_tenants_job_is_not_found(world):
    job_id = _pending(world)
    for call in (control(world).cancel, control(world).retry):
        with pytest.raises(NotFound) as caught:
            call("other", job_id)
        assert caught.value.error_code == "job_not_found"
    assert world.tenants.jobs("acme").get(job_id).status is JobStatus.PENDING
