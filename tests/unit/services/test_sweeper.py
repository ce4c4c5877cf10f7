"""The sweeper over in-memory fakes: lost messages, expired leases, lost callbacks; idempotent."""

from __future__ import annotations

from common.jobs import lifecycle
from common.jobs.models import CallbackStatus, JobStatus, Source
from common.messaging.deliveries import JobQueued, SweepTick


def pending_job(world, job_id="job_" + "p" * 26, tenant="acme", callback_url=None):
    job = lifecycle.new_job(
        job_id=job_id,
        tenant_id=tenant,
        agent="echo",
        input={},
        source=Source.HTTPS,
        now=world.clock(),
        callback_url=callback_url,
    )
    world.tenants.jobs(tenant).create(job)
    return job_id


def test_a_pending_job_whose_message_was_lost_is_republished_and_then_runs(world):
    job_id = pending_job(world)
    sweeper = world.sweeper(sweep_pending_after_seconds=120)
    assert sweeper.sweep().requeued_pending == 0  # too young: its message may still be on its way
    world.clock.advance(121)
    assert sweeper.sweep().requeued_pending == 1
    assert world.publisher.published == [("acme", job_id)]
    # the republished message runs through the normal path
    tenant_id, queued_id = world.publisher.published[0]
    assert world.runner().handle(JobQueued(tenant_id, queued_id, "m1")).status == "success"


def test_a_running_job_whose_worker_died_is_republished_and_taken_over(world):
    job_id = pending_job(world)
    store = world.tenants.jobs("acme")
    store.update(
        job_id, lambda j: lifecycle.claim(j, token="dead", now=world.clock(), lease_seconds=30, max_attempts=3)
    )
    sweeper = world.sweeper()
    assert sweeper.sweep().requeued_expired == 0
    world.clock.advance(31)
    assert sweeper.sweep().requeued_expired == 1
    outcome = world.runner().handle(JobQueued("acme", job_id, "m1"))
    assert outcome.status == "success" and store.get(job_id).attempts == 2
    assert world.echo.runs == 1


def test_two_sweeps_at_once_run_the_job_once(world):
    job_id = pending_job(world)
    world.clock.advance(300)
    world.sweeper().sweep()
    world.sweeper().sweep()
    runner = world.runner()
    outcomes = [runner.handle(JobQueued(t, j, f"m{i}")) for i, (t, j) in enumerate(world.publisher.published)]
    assert [o.kind for o in outcomes] == ["ran", "already_finished"]
    assert world.echo.runs == 1 and world.tenants.jobs("acme").get(job_id).status is JobStatus.SUCCESS


def test_a_callback_whose_enqueue_was_lost_is_enqueued_once_more(world):
    world.queue.fail = True
    job_id = pending_job(world, callback_url="https://hooks.example.com/x")
    world.runner().handle(JobQueued("acme", job_id, "m1"))
    assert world.queue.tasks == {}
    world.queue.fail = False
    sweeper = world.sweeper(sweep_callback_after_seconds=300)
    assert sweeper.sweep().callbacks_requeued == 0
    world.clock.advance(301)
    assert sweeper.sweep().callbacks_requeued == 1
    assert sweeper.sweep().callbacks_requeued == 0  # same task name: not enqueued twice
    assert len(world.queue.tasks) == 1


def test_a_failing_callback_whose_task_was_lost_gets_a_new_task_name(world):
    job_id = pending_job(world, callback_url="https://hooks.example.com/x")
    world.runner().handle(JobQueued("acme", job_id, "m1"))
    store = world.tenants.jobs("acme")
    store.update(
        job_id,
        lambda j: j.replace(callback_status=CallbackStatus.FAILING, callback_updated_at=world.clock()),
    )
    world.clock.advance(8 * 3600)
    assert world.sweeper().sweep().callbacks_requeued == 1
    assert len(world.queue.tasks) == 2


def test_a_sweep_tick_delivery_runs_the_sweeper(world):
    pending_job(world)
    world.clock.advance(300)
    assert world.runner().handle(SweepTick("t1")).kind == "swept"
    assert len(world.publisher.published) == 1


def test_a_failed_republish_is_counted_and_found_again_next_tick(world):
    pending_job(world)
    world.clock.advance(300)
    world.publisher.fail = True
    report = world.sweeper().sweep()
    assert (report.requeued_pending, report.errors) == (0, 1)
    world.publisher.fail = False
    assert world.sweeper().sweep().requeued_pending == 1
