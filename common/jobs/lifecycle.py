"""The job state machine, as pure functions ``(job, ...) -> job``.

Statuses move ``pending -> running -> success | failed``. Delivery is at-least-once, so a job
may be claimed more than once: every claim takes a *lease* (a token and an expiry). The holder
renews the lease while it works (a heartbeat), so a short lease is enough and a crashed worker's
job is taken over soon after its last heartbeat. A second delivery that finds a live lease
leaves the job alone; one that finds an expired lease takes the job over and counts another
attempt. Completing or failing a running job requires the lease token, so a stale worker whose
lease was taken over cannot overwrite the newer attempt's outcome. A transient failure
*releases* the job back to ``pending`` so the next delivery starts clean.

Allowed transitions::

    pending -> running            claim
    pending -> failed             reject (the job can never start, e.g. unknown agent)
    running -> running            renew, with the lease token (heartbeat)
    running -> running            claim after the lease expired (takeover)
    running -> success | failed   complete / fail, with the lease token
    running -> pending            release, with the lease token (transient error)
    running | pending -> failed   claim when attempts are exhausted
    running | pending -> failed   give up, when the job's delivery was dead-lettered (not while
                                  a live lease is held)
    pending -> cancelled          cancel (a client's request)
    running -> running            cancel under a live lease: ``cancel_requested_at`` is set; the
                                  heartbeat of the attempt learns it (renew raises Cancelled)
    running -> cancelled          cancel when the lease expired; claim or stop_cancelled with the
                                  lease token once a cancellation was requested
    failed -> pending             retry (a client's request), within the attempt cap

``success``, ``failed`` and ``cancelled`` are terminal, and so is ``deleted``: an erased job's tombstone
(:mod:`common.retention.erasure`), which every transition here leaves unchanged or refuses, so no
redelivery can run it again. An error that ends a job for a reason of its own
(``attempts_exhausted``, ``delivery_exhausted``) keeps the last attempt's error as its ``cause``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from common.errors import Conflict
from common.jobs.models import CallbackStatus, Job, JobError, JobStatus, Source, Usage

if TYPE_CHECKING:
    from common.costs.models import Cost
    from common.judges.models import Judgement, Quality

__all__ = [
    "ATTEMPTS_EXHAUSTED",
    "DELIVERY_EXHAUSTED",
    "LEASE_EXPIRED",
    "AttemptCapReached",
    "Cancelled",
    "LeaseLost",
    "NotCancellable",
    "NotRetryable",
    "cancel",
    "claim",
    "complete",
    "fail",
    "give_up",
    "holds_lease",
    "lease_live",
    "new_job",
    "reject",
    "release",
    "renew",
    "retry",
    "stop_cancelled",
]

ATTEMPTS_EXHAUSTED = "attempts_exhausted"
DELIVERY_EXHAUSTED = "delivery_exhausted"
LEASE_EXPIRED = "lease_expired"


class LeaseLost(Conflict):
    """The caller's lease token no longer matches the job: another worker took it over."""

    code = "lease_lost"


class Cancelled(LeaseLost):
    """The client cancelled the job while this attempt held its lease: stop and end it ``cancelled``."""

    code = "job_cancelled"


class NotCancellable(Conflict):
    """Only ``pending`` and ``running`` jobs can be cancelled (HTTP 409)."""

    code = "job_not_cancellable"


class NotRetryable(Conflict):
    """Only ``failed`` jobs can be retried (HTTP 409)."""

    code = "job_not_failed"


class AttemptCapReached(Conflict):
    """The failed job already used every attempt ``AGENTJOBS_MAX_ATTEMPTS`` allows (HTTP 409)."""

    code = "attempt_cap_reached"


def new_job(
    *,
    job_id: str,
    tenant_id: str,
    agent: str,
    input: Mapping[str, Any],
    source: Source,
    now: datetime,
    callback_url: str | None = None,
    metadata: Mapping[str, str] | None = None,
    model: str | None = None,
    expires_at: datetime | None = None,
) -> Job:
    """A fresh ``pending`` job.

    Args:
        job_id: The job's id within the tenant.
        tenant_id: Owning tenant.
        agent: Agent name.
        input: Agent input as JSON.
        source: How the job arrived.
        now: Creation time (UTC).
        callback_url: Optional callback URL.
        metadata: Optional caller labels.
        model: Optional requested model (``provider/model``) overriding the default.
        expires_at: When the job is deleted (``created + retention``, see
            :func:`common.retention.policy.expiry`). Every job the system creates has one.

    Returns:
        The new job, not yet stored.
    """
    return Job(
        job_id=job_id,
        tenant_id=tenant_id,
        agent=agent,
        status=JobStatus.PENDING,
        input=dict(input),
        source=source,
        created_at=now,
        updated_at=now,
        callback_url=callback_url,
        metadata=dict(metadata or {}),
        model=model,
        expires_at=expires_at,
    )


def holds_lease(job: Job, token: str) -> bool:
    """True when ``job`` is running under the lease ``token``."""
    return job.status is JobStatus.RUNNING and job.lease_token == token


def lease_live(job: Job, now: datetime) -> bool:
    """True when ``job`` is running under a lease that has not expired at ``now``."""
    return job.status is JobStatus.RUNNING and job.lease_expires_at is not None and job.lease_expires_at > now


def claim(job: Job, *, token: str, now: datetime, lease_seconds: float, max_attempts: int) -> Job:
    """Try to start an attempt of ``job`` under the lease ``token``.

    The caller compares the returned job with its token to learn the outcome:
    :func:`holds_lease` true means it owns the attempt; a terminal status means there is nothing
    to do (ack); ``running`` under another token means another worker holds a live lease (ack:
    if that worker stops heartbeating, the sweeper finds the expired lease and requeues the job).

    Args:
        job: The job as stored.
        token: A fresh unique token for this attempt.
        now: Current time (UTC).
        lease_seconds: How long the attempt may go without renewing its lease before another
            delivery may take over (s).
        max_attempts: Claims allowed in total; the claim beyond it fails the job with
            ``attempts_exhausted`` instead.

    Returns:
        The job after the claim (unchanged when terminal or leased by another live worker).
    """
    if job.status.terminal or lease_live(job, now):
        return job
    if job.cancel_requested_at is not None:  # the cancelled attempt's worker died before stopping
        return _finish(job, now=now, status=JobStatus.CANCELLED, error=None)
    last_error = job.error
    if job.status is JobStatus.RUNNING:  # its lease expired: the worker died or stopped heartbeating
        last_error = JobError(LEASE_EXPIRED, f"attempt {job.attempts} stopped without finishing (worker lost)")
    if job.attempts >= max_attempts:
        return _finish(
            job,
            now=now,
            status=JobStatus.FAILED,
            error=JobError(ATTEMPTS_EXHAUSTED, f"gave up after {job.attempts} attempts", cause=last_error),
        )
    return job.replace(
        status=JobStatus.RUNNING,
        attempts=job.attempts + 1,
        started_at=now,
        updated_at=now,
        lease_token=token,
        lease_expires_at=now + timedelta(seconds=lease_seconds),
        error=last_error,
    )


def renew(job: Job, *, token: str, now: datetime, lease_seconds: float) -> Job:
    """Extend the lease of a running attempt (the heartbeat).

    Raises:
        Cancelled: The client cancelled the job; the attempt must stop (:func:`stop_cancelled`).
        LeaseLost: The token does not hold the job's lease any more.
    """
    _require_lease(job, token)
    if job.cancel_requested_at is not None:
        raise Cancelled("the job was cancelled")
    return job.replace(lease_expires_at=now + timedelta(seconds=lease_seconds))


def complete(
    job: Job,
    *,
    token: str,
    now: datetime,
    result: Mapping[str, Any] | None,
    result_ref: str | None = None,
    timings: Mapping[str, float] | None = None,
    model: str | None = None,
    usage: Usage | None = None,
    judgements: Sequence[Judgement] = (),
    quality: Quality | None = None,
    cost: Cost | None = None,
) -> Job:
    """``running -> success`` with the agent's output.

    Args:
        job: The job as stored.
        token: The lease token of the attempt that produced the result.
        now: Current time (UTC).
        result: The output as JSON, or ``None`` when it lives at ``result_ref``.
        result_ref: ``gs://`` URI of an output too large for the job document.
        timings: Stage durations in seconds, merged into the job's timings.
        model: The ``provider/model`` used, if any.
        usage: Token usage, if a model was called.
        judgements: The judges' verdicts on the output (:mod:`common.judges`).
        quality: What the judges made of it; ``None`` when not judged.
        cost: The priced usage (:func:`common.costs.price_job`), if a model was called.

    Returns:
        The finished job.

    Raises:
        LeaseLost: The token does not hold the job's lease any more.
    """
    _require_lease(job, token)
    return _finish(
        job,
        now=now,
        status=JobStatus.SUCCESS,
        result=dict(result) if result is not None else None,
        result_ref=result_ref,
        timings={**job.timings, **(timings or {})},
        model=model or job.model,
        usage=usage,
        cost=cost,
        error=None,
        judgements=tuple(judgements),
        quality=quality,
    )


def fail(
    job: Job,
    *,
    token: str,
    now: datetime,
    error: JobError,
    timings: Mapping[str, float] | None = None,
    model: str | None = None,
    usage: Usage | None = None,
    cost: Cost | None = None,
) -> Job:
    """``running -> failed`` after a permanent error.

    ``usage`` and ``cost`` are what the failed run's model calls used and cost: they were billed
    whether or not the run succeeded, so usage counters and budgets count them.

    Raises:
        LeaseLost: The token does not hold the job's lease any more.
    """
    _require_lease(job, token)
    return _finish(
        job,
        now=now,
        status=JobStatus.FAILED,
        error=error,
        timings={**job.timings, **(timings or {})},
        model=model or job.model,
        usage=usage or job.usage,
        cost=cost or job.cost,
    )


def reject(job: Job, *, now: datetime, error: JobError) -> Job:
    """``pending -> failed`` for a job that can never start (unknown agent, invalid input).

    Terminal jobs are returned unchanged, so a redelivered event cannot rewrite an outcome.

    Raises:
        LeaseLost: The job is running under some worker's lease.
    """
    if job.status.terminal:
        return job
    if job.status is JobStatus.RUNNING:
        raise LeaseLost("the job is running; only its lease holder may fail it")
    return _finish(job, now=now, status=JobStatus.FAILED, error=error)


def give_up(job: Job, *, now: datetime, error: JobError) -> Job:
    """``pending | running -> failed`` when the job's delivery was dead-lettered.

    Pub/Sub gave up on the message, so nothing would ever run the job again. A job running under
    a live lease is left alone (its holder is working; the sweeper watches its lease), and a
    terminal job is unchanged.

    Args:
        job: The job as stored.
        now: Current time (UTC).
        error: The reason, e.g. ``delivery_exhausted``; the job's last error becomes its cause.
    """
    if job.status.terminal or lease_live(job, now):
        return job
    return _finish(job, now=now, status=JobStatus.FAILED, error=JobError(error.code, error.message, cause=job.error))


def release(job: Job, *, token: str, now: datetime, error: JobError, refund_attempt: bool = False) -> Job:
    """``running -> pending`` after a transient error, so the next delivery retries at once.

    Args:
        job: The job as stored.
        token: The lease token of the attempt.
        now: Current time (UTC).
        error: Why the attempt stopped.
        refund_attempt: The attempt does not count towards ``max_attempts`` (a rate limit
            stopped it before or between model calls: being throttled is no failure of the job).

    Raises:
        LeaseLost: The token does not hold the job's lease any more.
    """
    _require_lease(job, token)
    return job.replace(
        status=JobStatus.PENDING,
        updated_at=now,
        lease_token=None,
        lease_expires_at=None,
        error=error,
        attempts=max(0, job.attempts - 1) if refund_attempt else job.attempts,
    )


def cancel(job: Job, *, now: datetime) -> Job:
    """A client's cancellation.

    ``pending`` (and ``running`` whose lease expired) ends ``cancelled`` now. ``running`` under a
    live lease gets ``cancel_requested_at``: the attempt's heartbeat learns it at its next beat
    (:func:`renew` raises :class:`Cancelled`), the agent stops at its next checkpoint, and the
    worker ends the job with :func:`stop_cancelled`. Cancelling a cancelled job (or one whose
    cancellation is under way) changes nothing.

    Raises:
        NotCancellable: ``job_not_cancellable`` for ``success``, ``failed`` and ``deleted``.
    """
    if job.status is JobStatus.CANCELLED or job.cancel_requested_at is not None:
        return job
    if job.status.terminal:
        raise NotCancellable(f"a {job.status.value} job cannot be cancelled")
    if lease_live(job, now):
        return job.replace(cancel_requested_at=now, updated_at=now)
    return _finish(job, now=now, status=JobStatus.CANCELLED, cancel_requested_at=now, error=None)


def stop_cancelled(
    job: Job,
    *,
    token: str,
    now: datetime,
    timings: Mapping[str, float] | None = None,
    usage: Usage | None = None,
    cost: Cost | None = None,
) -> Job:
    """``running -> cancelled`` by the attempt that saw its job cancelled (with the calls it made, as :func:`fail`).

    Raises:
        LeaseLost: The token does not hold the job's lease any more.
    """
    if job.status is JobStatus.CANCELLED:
        return job
    _require_lease(job, token)
    return _finish(
        job,
        now=now,
        status=JobStatus.CANCELLED,
        error=None,
        timings={**job.timings, **(timings or {})},
        usage=usage or job.usage,
        cost=cost or job.cost,
    )


def retry(job: Job, *, now: datetime, max_attempts: int) -> Job:
    """``failed -> pending``: a client re-runs a failed job as a new attempt.

    The job keeps its input, attempts and the last error (shown until the next attempt ends);
    its result, usage, cost, trace, callback state and callback log start afresh, and ``retries`` counts the retry
    so the next outcome is a new callback event.

    Args:
        job: The job as stored.
        now: Current time (UTC).
        max_attempts: The attempt cap (``AGENTJOBS_MAX_ATTEMPTS``); a job that used it is refused.

    Raises:
        NotRetryable: ``job_not_failed`` unless the job is ``failed``.
        AttemptCapReached: ``attempt_cap_reached`` when ``attempts >= max_attempts``.
    """
    if job.status is not JobStatus.FAILED:
        raise NotRetryable(f"only failed jobs can be retried; this one is {job.status.value}")
    if job.attempts >= max_attempts:
        raise AttemptCapReached(f"the job already used all {max_attempts} attempts")
    return job.replace(
        status=JobStatus.PENDING,
        updated_at=now,
        finished_at=None,
        result=None,
        result_ref=None,
        callbacks=(),
        callback_status=None,
        callback_error=None,
        callback_updated_at=None,
        cancel_requested_at=None,
        # The failed run's usage was counted when it failed: the next run reports its own.
        usage=None,
        cost=None,
        trace=None,
        retries=job.retries + 1,
    )


def _require_lease(job: Job, token: str) -> None:
    if not holds_lease(job, token):
        raise LeaseLost(f"job {job.job_id} is no longer leased to this worker")


def _finish(job: Job, *, now: datetime, status: JobStatus, **changes: Any) -> Job:
    return job.replace(
        status=status,
        updated_at=now,
        finished_at=now,
        lease_token=None,
        lease_expires_at=None,
        callback_status=CallbackStatus.PENDING if job.callback_url else None,
        callback_updated_at=now if job.callback_url else None,
        **changes,
    )
