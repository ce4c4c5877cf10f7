from datetime import UTC, datetime, timedelta

import pytest

from common.jobs import lifecycle
from common.jobs.models import JobError, JobStatus, Source

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def pending():
    return lifecycle.new_job(
        job_id="job_a",
        tenant_id="acme",
        agent="protocol-processor",
        input={"x": 1},
        source=Source.GCS,
        now=T0,
    )


def claimed(token="t1", now=T0, lease=60.0, max_attempts=3, job=None):
    return lifecycle.claim(job or pending(), token=token, now=now, lease_seconds=lease, max_attempts=max_attempts)


def test_new_job_is_pending_with_no_attempts():
    job = pending()
    assert job.status is JobStatus.PENDING
    assert job.attempts == 0
    assert job.created_at == job.updated_at == T0


def test_claim_moves_pending_to_running_and_counts_the_attempt():
    job = claimed()
    assert job.status is JobStatus.RUNNING
    assert job.attempts == 1
    assert job.started_at == T0
    assert job.lease_expires_at == T0 + timedelta(seconds=60)
    assert lifecycle.holds_lease(job, "t1")


def test_second_claim_under_a_live_lease_changes_nothing():
    job = claimed()
    again = claimed(token="t2", now=T0 + timedelta(seconds=30), job=job)
    assert again is job
    assert not lifecycle.holds_lease(again, "t2")


def test_claim_after_lease_expiry_takes_over_and_counts_another_attempt():
    job = claimed()
    taken = claimed(token="t2", now=T0 + timedelta(seconds=61), job=job)
    assert lifecycle.holds_lease(taken, "t2")
    assert taken.attempts == 2


def test_claim_beyond_max_attempts_fails_the_job():
    job = pending().replace(attempts=3)
    failed = claimed(job=job, max_attempts=3)
    assert failed.status is JobStatus.FAILED
    assert failed.error is not None and failed.error.code == lifecycle.ATTEMPTS_EXHAUSTED
    assert failed.finished_at == T0


def test_complete_requires_the_lease_token():
    job = claimed()
    with pytest.raises(lifecycle.LeaseLost):
        lifecycle.complete(job, token="other", now=T0, result={"ok": True})
    done = lifecycle.complete(job, token="t1", now=T0 + timedelta(seconds=5), result={"ok": True}, timings={"run": 5.0})
    assert done.status is JobStatus.SUCCESS
    assert done.result == {"ok": True}
    assert done.timings == {"run": 5.0}
    assert done.lease_token is None and done.lease_expires_at is None


def test_stale_worker_cannot_overwrite_the_takeover_outcome():
    first = claimed(token="old")
    taken = claimed(token="new", now=T0 + timedelta(seconds=120), job=first)
    with pytest.raises(lifecycle.LeaseLost):
        lifecycle.fail(taken, token="old", now=T0, error=JobError("x", "y"))


def test_fail_records_the_error():
    failed = lifecycle.fail(claimed(), token="t1", now=T0, error=JobError("no_text_layer", "scanned"))
    assert failed.status is JobStatus.FAILED
    assert failed.error == JobError("no_text_layer", "scanned")


def test_release_returns_the_job_to_pending_for_a_retry():
    released = lifecycle.release(claimed(), token="t1", now=T0, error=JobError("backend_unavailable", "down"))
    assert released.status is JobStatus.PENDING
    assert released.lease_token is None
    assert released.attempts == 1
    again = claimed(token="t2", job=released)
    assert again.attempts == 2 and lifecycle.holds_lease(again, "t2")


@pytest.mark.parametrize("status", [JobStatus.SUCCESS, JobStatus.FAILED])
def test_terminal_jobs_never_change(status):
    job = pending().replace(status=status)
    assert claimed(job=job) is job
    assert lifecycle.reject(job, now=T0, error=JobError("a", "b")) is job


def test_reject_fails_a_pending_job_but_not_a_running_one():
    rejected = lifecycle.reject(pending(), now=T0, error=JobError("unknown_agent", "no such agent"))
    assert rejected.status is JobStatus.FAILED
    with pytest.raises(lifecycle.LeaseLost):
        lifecycle.reject(claimed(), now=T0, error=JobError("a", "b"))


def test_renew_extends_only_the_holders_lease():
    job = claimed(lease=30)
    renewed = lifecycle.renew(job, token="t1", now=T0 + timedelta(seconds=20), lease_seconds=30)
    assert renewed.lease_expires_at == T0 + timedelta(seconds=50)
    with pytest.raises(lifecycle.LeaseLost):
        lifecycle.renew(job, token="other", now=T0, lease_seconds=30)


def test_a_takeover_records_that_the_previous_attempt_was_lost():
    job = claimed(lease=30)
    taken = claimed(token="t2", now=T0 + timedelta(seconds=31), job=job)
    assert taken.attempts == 2 and taken.error.code == lifecycle.LEASE_EXPIRED


def test_attempts_exhausted_keeps_the_last_error_as_its_cause():
    job = claimed(max_attempts=1)
    released = lifecycle.release(job, token="t1", now=T0, error=JobError("model_rate_limited", "429"))
    exhausted = claimed(token="t2", job=released, max_attempts=1)
    assert exhausted.status is JobStatus.FAILED
    assert exhausted.error.code == lifecycle.ATTEMPTS_EXHAUSTED
    assert (exhausted.error.cause.code, exhausted.error.cause.message) == ("model_rate_limited", "429")


def test_give_up_fails_pending_and_expired_jobs_but_not_a_live_lease():
    error = JobError(lifecycle.DELIVERY_EXHAUSTED, "dead-lettered")
    assert lifecycle.give_up(pending(), now=T0, error=error).status is JobStatus.FAILED
    live = claimed(lease=30)
    assert lifecycle.give_up(live, now=T0 + timedelta(seconds=10), error=error) is live
    assert lifecycle.give_up(live, now=T0 + timedelta(seconds=31), error=error).status is JobStatus.FAILED


def test_finishing_a_job_with_a_callback_url_marks_its_callback_pending():
    job = lifecycle.new_job(
        job_id="job_a", tenant_id="acme", agent="a", input={}, source=Source.HTTPS, now=T0, callback_url="https://x"
    )
    done = lifecycle.complete(claimed(job=job), token="t1", now=T0, result={})
    assert done.callback_status.value == "pending" and done.callback_updated_at == T0
    assert lifecycle.complete(claimed(), token="t1", now=T0, result={}).callback_status is None
