"""The run_agent services over in-memory fakes: lifecycle, idempotency, error mapping, offloading, leases."""

from __future__ import annotations

import time

import pytest

from common.errors import PermanentError, TransientError
from common.jobs import lifecycle
from common.jobs.ids import gcs_job_id, request_job_id
from common.jobs.models import CallbackStatus, JobStatus, Source
from common.messaging.deliveries import (
    DeadLettered,
    Ignored,
    InvalidJobRequest,
    JobQueued,
    JobRequest,
    ObjectFinalized,
    Rejected,
)
from tests.unit.services.conftest import BUCKET


def job_of(world, event):
    return world.tenants.jobs("acme").get(gcs_job_id(BUCKET, event.name, event.generation))


def test_drop_creates_a_job_runs_it_and_stores_the_result(world):
    event = world.drop("acme", "echo", b"hello")
    outcome = world.runner().handle(event)
    job_id = gcs_job_id(BUCKET, event.name, event.generation)
    assert (outcome.kind, outcome.job_id, outcome.status) == ("ran", job_id, "success")
    job = world.tenants.jobs("acme").get(job_id)
    assert job.status is JobStatus.SUCCESS and job.attempts == 1
    assert job.result == {"size": 5, "payload": ""}
    assert {"download", "echo", "run", "queued"} <= set(job.timings)
    assert job.started_at and job.finished_at


def test_redelivered_drop_runs_nothing_again_and_enqueues_nothing_again(world):
    event = world.drop("acme", "echo", b"hello")
    runner = world.runner()
    runner.handle(event)
    again = runner.handle(event)
    assert again.kind == "already_finished"
    assert world.echo.runs == 1
    assert len(world.tenants.jobs("acme").list()) == 1
    assert len(world.queue.tasks) == 1


def test_permanent_error_fails_the_job_and_acks(world):
    outcome = world.runner().handle(world.drop("acme", "echo", b"permanent"))
    assert (outcome.kind, outcome.status, outcome.code) == ("ran", "failed", "invalid_document")
    assert world.tenants.jobs("acme").get(outcome.job_id).error.code == "invalid_document"


def test_a_failed_run_keeps_the_usage_and_cost_of_the_model_calls_it_made(world):
    # Billed calls count whether or not the run succeeds: usage counters and budget settlement read them.
    outcome = world.runner().handle(world.drop("acme", "echo", b"billed"))
    assert (outcome.status, outcome.code) == ("failed", "model_output_invalid")
    job = world.tenants.jobs("acme").get(outcome.job_id)
    assert job.usage is not None and (job.usage.calls, job.usage.input_tokens, job.usage.output_tokens) == (
        2,
        2000,
        200,
    )
    assert job.cost is not None and job.cost.total_usd is not None and job.cost.total_usd > 0
    assert job.model is not None


def test_unexpected_agent_exception_fails_the_job_instead_of_looping(world):
    outcome = world.runner().handle(world.drop("acme", "echo", b"crash"))
    assert (outcome.status, outcome.code) == ("failed", "agent_error")


def test_a_lone_surrogate_in_the_output_is_stored_as_a_replacement_character(world):
    outcome = world.runner().handle(world.drop("acme", "echo", b"surrogate"))
    assert outcome.status == "success"
    assert world.tenants.jobs("acme").get(outcome.job_id).result["payload"] == "a\ufffdb"


def test_an_exception_of_our_own_while_storing_fails_the_job_never_leaves_it_running(world):
    event = world.drop("acme", "echo", b"hello")
    store = world.tenants.jobs("acme")
    original = store.replace

    def broken_replace(job, transition, events=()):
        if job.status is JobStatus.RUNNING and transition(job).status is JobStatus.SUCCESS:
            raise UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")
        return original(job, transition, events=events)

    store.replace = broken_replace
    outcome = world.runner().handle(event)
    assert (outcome.status, outcome.code) == ("failed", "internal_error")
    assert job_of(world, event).status is JobStatus.FAILED


def test_transient_error_releases_the_job_and_asks_for_redelivery(world):
    event = world.drop("acme", "echo", b"transient")
    with pytest.raises(TransientError):
        world.runner().handle(event)
    job = job_of(world, event)
    assert job.status is JobStatus.PENDING and job.attempts == 1
    assert job.error.code == "backend_unavailable"


def test_storage_outage_is_transient_and_then_recovers(world):
    event = world.drop("acme", "echo", b"hello")
    world.bucket.unavailable = True
    runner = world.runner()
    with pytest.raises(TransientError):
        runner.handle(event)
    world.bucket.unavailable = False
    assert runner.handle(event).status == "success"
    assert job_of(world, event).attempts == 2


def test_attempts_are_bounded_and_the_last_error_is_kept_as_the_cause(world):
    event = world.drop("acme", "echo", b"transient")
    runner = world.runner()
    for _ in range(3):
        with pytest.raises(TransientError):
            runner.handle(event)
    outcome = runner.handle(event)
    assert (outcome.status, outcome.code) == ("failed", "attempts_exhausted")
    job = job_of(world, event)
    assert job.error.cause.code == "backend_unavailable"
    assert runner.handle(event).kind == "already_finished"


def _claimed_by_a_dead_worker(world, event):
    store = world.tenants.jobs("acme")
    job_id = gcs_job_id(BUCKET, event.name, event.generation)
    store.create(
        lifecycle.new_job(
            job_id=job_id,
            tenant_id="acme",
            agent="echo",
            input={"file_uri": f"gs://{BUCKET}/{event.name}", "generation": event.generation},
            source=Source.GCS,
            now=world.clock(),
        )
    )
    store.update(
        job_id, lambda j: lifecycle.claim(j, token="dead", now=world.clock(), lease_seconds=30, max_attempts=3)
    )
    return store, job_id


def test_a_redelivery_during_a_live_lease_is_acked_and_an_expired_lease_is_taken_over(world):
    event = world.drop("acme", "echo", b"hello")
    store, job_id = _claimed_by_a_dead_worker(world, event)
    runner = world.runner()
    busy = runner.handle(event)
    assert (busy.kind, busy.status) == ("in_progress", "running")  # acked: no delivery attempt burnt
    assert world.echo.runs == 0
    world.clock.advance(31)
    assert runner.handle(event).status == "success"
    assert store.get(job_id).attempts == 2


def test_a_crashed_attempt_that_exhausts_the_attempts_says_its_lease_expired(world):
    event = world.drop("acme", "echo", b"hello")
    store, job_id = _claimed_by_a_dead_worker(world, event)
    runner = world.runner(max_attempts=1)
    world.clock.advance(31)
    outcome = runner.handle(event)
    assert (outcome.kind, outcome.code) == ("ran", "attempts_exhausted")
    assert store.get(job_id).error.cause.code == "lease_expired"


def test_the_heartbeat_renews_the_lease_while_the_agent_works(world):
    event = world.drop("acme", "echo", b"hook")
    expiries = []

    def slow():
        for _ in range(3):
            world.clock.advance(20)  # longer than half the lease each time
            time.sleep(0.05)
            expiries.append(job_of(world, event).lease_expires_at)

    world.echo.during_run = slow
    outcome = world.runner(heartbeat_seconds=0.01, lease_seconds=30).handle(event)
    assert outcome.status == "success"
    assert expiries[-1] > expiries[0]  # renewed: 60 s of fake time passed, the lease never lapsed


def test_a_worker_whose_lease_was_taken_over_cannot_store_its_outcome(world):
    event = world.drop("acme", "echo", b"hook")
    store = world.tenants.jobs("acme")

    def taken_over():
        world.clock.advance(31)
        job_id = gcs_job_id(BUCKET, event.name, event.generation)
        store.update(
            job_id, lambda j: lifecycle.claim(j, token="newer", now=world.clock(), lease_seconds=30, max_attempts=3)
        )

    world.echo.during_run = taken_over
    outcome = world.runner().handle(event)
    assert outcome.code == "lease_lost"
    job = job_of(world, event)
    assert job.status is JobStatus.RUNNING and job.lease_token == "newer" and job.result is None


def test_large_results_are_offloaded_to_the_tenant_prefix(world):
    outcome = world.runner().handle(world.drop("acme", "echo", b"big"))
    job = world.tenants.jobs("acme").get(outcome.job_id)
    assert job.result is None
    assert job.result_ref == f"gs://{BUCKET}/tenants/acme/results/{outcome.job_id}.json"
    assert f"tenants/acme/results/{outcome.job_id}.json" in world.bucket.objects


def test_objects_outside_inboxes_are_ignored(world):
    event = ObjectFinalized(BUCKET, "tenants/acme/results/job_x.json", 5, 10, "application/json", "ev")
    assert world.runner().handle(event).kind == "ignored"
    assert world.tenants.jobs("acme").list() == []


@pytest.mark.parametrize("segment", ["__x__", ".", "..", "ACME", "a/b"])
def test_inbox_paths_with_invalid_tenant_segments_are_recorded_and_touch_no_tenant(world, segment):
    event = ObjectFinalized(BUCKET, f"tenants/{segment}/inbox/echo/x.pdf", 5, 1, None, "ev")
    outcome = world.runner().handle(event)
    assert outcome.kind in ("rejected", "ignored")
    if outcome.kind == "rejected":
        assert world.rejections.records[0]["tenant_id"] is None
    assert set(world.tenants.jobs_by_tenant) <= {"acme", "other"}


def test_an_event_from_a_foreign_bucket_creates_no_job_in_the_tenant(world):
    outcome = world.runner().handle(world.drop("acme", "echo", b"x", bucket="someone-elses"))
    assert (outcome.kind, outcome.code) == ("rejected", "foreign_bucket")
    assert world.tenants.jobs("acme").list() == []


def test_unknown_tenant_is_recorded_without_a_job(world):
    outcome = world.runner().handle(world.drop("ghost", "echo", b"x"))
    assert (outcome.kind, outcome.code) == ("rejected", "unknown_tenant")
    assert world.rejections.records[0]["code"] == "unknown_tenant"
    assert "ghost" not in world.tenants.jobs_by_tenant


def test_an_inactive_tenants_deliveries_are_recorded_without_a_job(world):
    world.tenants.save(world.tenants.get("acme").replace(active=False))
    outcome = world.runner().handle(world.drop("acme", "echo", b"x"))
    assert (outcome.kind, outcome.code) == ("rejected", "tenant_inactive")
    assert world.tenants.jobs("acme").list() == []


def test_unknown_agent_in_the_path_leaves_a_failed_job_the_tenant_can_see(world):
    outcome = world.runner().handle(world.drop("acme", "nope", b"x"))
    assert (outcome.kind, outcome.status, outcome.code) == ("rejected", "failed", "unknown_agent")
    [job] = world.tenants.jobs("acme").list()
    assert job.status is JobStatus.FAILED and job.agent == "nope"
    assert job.callback_status is CallbackStatus.PENDING and len(world.queue.tasks) == 1


def test_agent_that_takes_no_files(world):
    assert world.runner().handle(world.drop("acme", "nofiles", b"x")).code == "files_not_accepted"


def test_replaced_generation_fails_clearly(world):
    event = world.drop("acme", "echo", b"first")
    world.bucket.put(event.name, b"second")
    outcome = world.runner().handle(event)
    assert (outcome.status, outcome.code) == ("failed", "object_not_found")


def test_job_queued_for_a_missing_job_is_recorded(world):
    outcome = world.runner().handle(JobQueued("acme", "job_" + "a" * 26, "m1"))
    assert outcome.code == "job_not_found"


def test_rejected_deliveries_are_recorded(world):
    outcome = world.runner().handle(Rejected("m9", "malformed_message", "bad", "acme"))
    assert outcome.kind == "rejected"
    assert world.rejections.records == [
        {"message_id": "m9", "code": "malformed_message", "reason": "bad", "tenant_id": "acme"}
    ]


def test_ignored_deliveries_leave_nothing(world):
    assert world.runner().handle(Ignored("x", "y")).kind == "ignored"
    assert world.rejections.records == []


def test_finished_jobs_schedule_one_callback_to_the_tenant_default(world):
    event = world.drop("acme", "echo", b"hello")
    runner = world.runner()
    runner.handle(event)
    runner.handle(event)
    assert len(world.queue.tasks) == 1
    [payload] = world.queue.tasks.values()
    assert payload == {"tenant_id": "acme", "job_id": job_of(world, event).job_id, "event": "job.completed"}
    assert job_of(world, event).callback_status is CallbackStatus.PENDING


def test_a_failed_enqueue_leaves_the_callback_pending_for_the_sweeper(world):
    world.queue.fail = True
    event = world.drop("acme", "echo", b"hello")
    assert world.runner().handle(event).status == "success"
    assert world.queue.tasks == {} and job_of(world, event).callback_status is CallbackStatus.PENDING


def test_no_callback_without_a_url(world):
    world.runner().handle(world.drop("other", "echo", b"hello"))
    assert world.queue.tasks == {}
    assert world.tenants.jobs("other").list()[0].callback_status is None


def test_upstream_request_creates_the_job_idempotently(world):
    runner = world.runner()
    first = runner.handle(
        JobRequest(tenant_id="acme", agent="echo", input={"behaviour": "ok"}, message_id="m1", idempotency_key="k")
    )
    redelivered = runner.handle(
        JobRequest(tenant_id="acme", agent="echo", input={"behaviour": "ok"}, message_id="m2", idempotency_key="k")
    )
    assert first.status == "success" and redelivered.kind == "already_finished"
    assert first.job_id == redelivered.job_id
    assert world.echo.runs == 1


def test_upstream_request_without_key_is_keyed_on_the_message_id(world):
    runner = world.runner()
    a = runner.handle(JobRequest(tenant_id="acme", agent="echo", input={}, message_id="m1"))
    b = runner.handle(JobRequest(tenant_id="acme", agent="echo", input={}, message_id="m1"))
    c = runner.handle(JobRequest(tenant_id="acme", agent="echo", input={}, message_id="m2"))
    assert a.job_id == b.job_id != c.job_id


def test_upstream_request_with_invalid_input_is_recorded_as_a_failed_job(world):
    outcome = world.runner().handle(
        JobRequest(tenant_id="acme", agent="echo", input={"behaviour": "fly", "zz_client_field": 1}, message_id="m1")
    )
    assert (outcome.kind, outcome.code) == ("rejected", "invalid_input")
    job = world.tenants.jobs("acme").get(outcome.job_id)
    assert job.status is JobStatus.FAILED
    assert "fly" not in job.error.message  # input values may be patient data


def test_a_request_that_can_never_run_becomes_a_failed_job_with_its_code(world):
    request = InvalidJobRequest("acme", "echo", "m1", None, "json_too_deep", "input is not storable JSON")
    outcome = world.runner().handle(request)
    assert (outcome.kind, outcome.status, outcome.code) == ("rejected", "failed", "json_too_deep")
    assert outcome.job_id == request_job_id("acme", "echo", "m1")
    assert world.tenants.jobs("acme").get(outcome.job_id).input == {}


def test_upstream_request_for_unknown_tenant_or_model_not_allowed(world):
    runner = world.runner()
    assert (
        runner.handle(JobRequest(tenant_id="ghost", agent="echo", input={}, message_id="m1")).code == "unknown_tenant"
    )
    outcome = runner.handle(JobRequest(tenant_id="acme", agent="echo", input={}, message_id="m2", model="openai/gpt-x"))
    assert outcome.code == "model_not_allowed"


def test_upstream_request_with_private_callback_is_refused(world):
    outcome = world.runner().handle(
        JobRequest(tenant_id="acme", agent="echo", input={}, message_id="m1", callback_url="http://169.254.169.254/")
    )
    assert outcome.code == "callback_url_refused"


def test_tenants_cannot_reach_each_others_files(world):
    world.bucket.put("tenants/other/inbox/echo/secret.pdf", b"secret")
    request = JobRequest(
        tenant_id="acme",
        agent="echo",
        input={"file_uri": f"gs://{BUCKET}/tenants/other/inbox/echo/secret.pdf"},
        message_id="m1",
    )
    outcome = world.runner().handle(request)
    assert (outcome.status, outcome.code) == ("failed", "outside_tenant_prefix")


# -- dead-lettered deliveries --------------------------------------------------------------


def test_a_dead_lettered_job_message_fails_its_pending_job_keeping_the_cause(world):
    event = world.drop("acme", "echo", b"transient")
    with pytest.raises(TransientError):
        world.runner().handle(event)
    job = job_of(world, event)
    outcome = world.runner().handle(DeadLettered(JobQueued("acme", job.job_id, "m1"), "d1", 10))
    assert (outcome.status, outcome.code) == ("failed", "delivery_exhausted")
    failed = job_of(world, event)
    assert failed.error.cause.code == "backend_unavailable" and "10 deliveries" in failed.error.message
    assert failed.callback_status is CallbackStatus.PENDING


def test_a_dead_lettered_message_of_a_job_under_a_live_lease_leaves_it_to_its_holder(world):
    event = world.drop("acme", "echo", b"hello")
    _, job_id = _claimed_by_a_dead_worker(world, event)
    outcome = world.runner().handle(DeadLettered(JobQueued("acme", job_id, "m1"), "d1"))
    assert outcome.status == "running"
    assert job_of(world, event).status is JobStatus.RUNNING


def test_a_dead_lettered_drop_that_never_made_a_job_becomes_a_failed_job(world):
    event = world.drop("acme", "echo", b"hello")
    outcome = world.runner().handle(DeadLettered(event, "d1", 10))
    assert (outcome.status, outcome.code) == ("failed", "delivery_exhausted")
    assert job_of(world, event).status is JobStatus.FAILED


def test_a_dead_lettered_request_becomes_a_failed_job_and_garbage_a_record(world):
    request = JobRequest(tenant_id="acme", agent="echo", input={}, message_id="m1")
    assert world.runner().handle(DeadLettered(request, "d1")).code == "delivery_exhausted"
    assert world.tenants.jobs("acme").get(request_job_id("acme", "echo", "m1")).status is JobStatus.FAILED
    outcome = world.runner().handle(DeadLettered(Rejected("m2", "malformed_message", "bad"), "d2"))
    assert (outcome.kind, outcome.code) == ("rejected", "dead_lettered")
    assert world.rejections.records[-1]["code"] == "dead_lettered"


def test_a_request_that_can_never_run_whose_key_names_another_live_job_is_recorded_not_folded_into_it(world):
    # An HTTPS submission with Idempotency-Key "k" is still pending; an upstream request that can
    # never run arrives with the same key, so it derives the same job id.
    job_id = request_job_id("acme", "echo", "k")
    pending = lifecycle.new_job(
        job_id=job_id, tenant_id="acme", agent="echo", input={}, source=Source.HTTPS, now=world.clock()
    )
    world.tenants.jobs("acme").create(pending)
    request = InvalidJobRequest("acme", "echo", "m9", "k", "unknown_field", "request has fields other than ...")
    outcome = world.runner().handle(request)
    assert (outcome.kind, outcome.job_id, outcome.code) == ("rejected", None, "unknown_field")
    assert [(r["message_id"], r["code"], r["tenant_id"]) for r in world.rejections.records] == [
        ("m9", "unknown_field", "acme")
    ]
    assert world.tenants.jobs("acme").get(job_id).status is JobStatus.PENDING

    again = world.runner().handle(InvalidJobRequest("acme", "echo", "m1", None, "unknown_field", "r"))
    redelivered = world.runner().handle(InvalidJobRequest("acme", "echo", "m1", None, "unknown_field", "r"))
    assert again.job_id == redelivered.job_id and redelivered.status == "failed"
    assert len(world.rejections.records) == 1  # a redelivery finds its own failed job


def test_a_permanent_backend_error_ends_the_delivery_as_a_record_not_a_silent_ack(world):
    def refuse(*args, **kwargs):
        raise PermanentError("update job: InvalidArgument", code="backend_rejected")

    world.tenants.jobs("acme").update = refuse
    job_id = request_job_id("acme", "echo", "k")
    outcome = world.runner().handle(JobQueued("acme", job_id, "m3"))
    assert (outcome.kind, outcome.code) == ("rejected", "backend_rejected")
    assert [(r["message_id"], r["code"]) for r in world.rejections.records] == [("m3", "backend_rejected")]


def test_every_job_intake_creates_expires_with_its_tenants_retention(world):
    from datetime import timedelta

    world.tenants.save(world.tenants.get("acme").replace(retention_days=3))
    runner = world.runner(retention_days=30)
    drop = runner.handle(world.drop("acme", "echo", b"hello"))
    request = runner.handle(JobRequest(tenant_id="acme", agent="echo", input={}, message_id="m1"))
    refused = runner.handle(JobRequest(tenant_id="acme", agent="echo", input={"behaviour": "fly"}, message_id="m2"))
    unknown_agent = runner.handle(world.drop("acme", "nope", b"x"))
    default = world.runner(retention_days=30).handle(world.drop("other", "echo", b"x"))
    for outcome, days in ((drop, 3), (request, 3), (refused, 3), (unknown_agent, 3), (default, 30)):
        tenant = "other" if outcome is default else "acme"
        job = world.tenants.jobs(tenant).get(outcome.job_id)
        assert job.expires_at == job.created_at + timedelta(days=days), outcome
