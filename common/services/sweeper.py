"""The sweeper: the second line of defence that finds work nothing else will finish.

It runs on every tick of the ``agentjobs-sweep`` topic (Cloud Scheduler publishes one a minute in
production; a timer on the local stack), as a message that ``run_agent`` handles, so the
deployment keeps four functions. Each tick:

* republishes the job message of ``pending`` jobs untouched for a while (the message was lost,
  or ``submit`` died between storing the job and publishing it);
* republishes the job message of ``running`` jobs whose lease expired (the worker died or
  stopped heartbeating): the next claim takes the job over with the attempt counted, or fails
  it with ``attempts_exhausted`` keeping the last error as its cause;
* re-enqueues callbacks still ``pending`` long after the job finished (the enqueue was lost),
  and ``failing`` callbacks with no attempt for longer than the queue's largest retry delay
  (their task was lost);
* where no TTL policy deletes expired jobs (the local stack, ``AGENTJOBS_SWEEP_EXPIRED_JOBS``),
  deletes jobs past their ``expires_at`` with their objects and idempotency keys
  (:meth:`common.services.erasure.JobEraser.expire`);
* settles budget reservations whose job ended without settling, or no longer exists
  (:meth:`common.plans.runtime.PlanRuntime.sweep`).

Dead-lettered deliveries reach ``run_agent`` on their own push subscription
(:data:`common.topology.DEAD_LETTER_PATH`) and are recorded by the intake, not here.

Every action is idempotent (a job message is a request to claim, and claims are fenced; task
names are deterministic), so two sweeps at once, or a sweep racing a redelivery, are harmless.
The sweeper executes nothing itself: requeued jobs run through the same execution path as any
other job message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from common.config import Settings
from common.errors import TransientError
from common.jobs.models import CallbackStatus, Job
from common.plans.runtime import PlanRuntime
from common.ports import Clock, JobPublisher, JobSweep
from common.services.callbacks import CallbackScheduler
from common.services.erasure import JobEraser
from common.telemetry.log import log

__all__ = ["SweepReport", "Sweeper"]

SWEEP_LIMIT = 200
"""Jobs of each kind handled per tick; the rest wait for the next tick."""


@dataclass(frozen=True, slots=True)
class SweepReport:
    """What one tick did (counts of jobs)."""

    requeued_pending: int = 0
    requeued_expired: int = 0
    callbacks_requeued: int = 0
    errors: int = 0
    jobs_expired: int = 0


class Sweeper:
    """Finds stuck jobs and callbacks and hands them back to the normal paths.

    Args:
        settings: Thresholds (``sweep_*_seconds``).
        sweep: Cross-tenant queries.
        publisher: Publishes job messages.
        callbacks: Enqueues callback tasks; ``None`` when callbacks are disabled.
        clock: Current UTC time.
        eraser: Deletes expired jobs; ``None`` leaves them to Firestore's TTL (production).
        plans: Settles orphaned budget reservations; ``None`` when plans are off.
    """

    def __init__(
        self,
        *,
        settings: Settings,
        sweep: JobSweep,
        publisher: JobPublisher,
        callbacks: CallbackScheduler | None,
        clock: Clock,
        eraser: JobEraser | None = None,
        plans: PlanRuntime | None = None,
    ):
        self._plans = plans
        self._settings = settings
        self._sweep = sweep
        self._publisher = publisher
        self._callbacks = callbacks
        self._clock = clock
        self._eraser = eraser

    def sweep(self) -> SweepReport:
        """Run one tick.

        Returns:
            Counts of what was requeued. A job whose requeue failed is counted in ``errors`` and
            found again by the next tick.

        Raises:
            TransientError: A query failed (the tick is redelivered).
        """
        now = self._clock()
        s = self._settings
        stale = self._sweep.stale_pending(
            updated_before=now - timedelta(seconds=s.sweep_pending_after_seconds), limit=SWEEP_LIMIT
        )
        expired = self._sweep.expired_leases(now=now, limit=SWEEP_LIMIT)
        errors = 0
        requeued_pending = requeued_expired = 0
        for job in stale:
            ok = self._republish(job, "sweep.requeued_pending")
            requeued_pending += ok
            errors += not ok
        for job in expired:
            ok = self._republish(job, "sweep.requeued_expired")
            requeued_expired += ok
            errors += not ok
        callbacks = self._callbacks_due(now) if self._callbacks is not None else 0
        jobs_expired = 0
        if self._eraser is not None:
            jobs_expired, expiry_errors = self._expire(now)
            errors += expiry_errors
        if self._plans is not None:
            try:
                self._plans.sweep(older_than=now - timedelta(seconds=s.sweep_pending_after_seconds))
            except TransientError as e:
                errors += 1
                log("sweep.settle_failed", severity="WARNING", code=e.error_code)
        report = SweepReport(requeued_pending, requeued_expired, callbacks, errors, jobs_expired)
        log(
            "sweep.done",
            requeued_pending=report.requeued_pending,
            requeued_expired=report.requeued_expired,
            callbacks_requeued=report.callbacks_requeued,
            jobs_expired=report.jobs_expired,
            errors=report.errors,
        )
        return report

    def _expire(self, now: datetime) -> tuple[int, int]:
        assert self._eraser is not None
        deleted = errors = 0
        for job in self._sweep.expired(now=now, limit=SWEEP_LIMIT):
            try:
                deleted += self._eraser.expire(job)
            except TransientError as e:
                errors += 1
                log(
                    "sweep.expire_failed",
                    severity="WARNING",
                    tenant_id=job.tenant_id,
                    job_id=job.job_id,
                    code=e.error_code,
                )
        return deleted, errors

    def _republish(self, job: Job, event: str) -> bool:
        try:
            self._publisher.publish_job(job.tenant_id, job.job_id)
        except TransientError as e:
            log(
                "sweep.requeue_failed",
                severity="WARNING",
                tenant_id=job.tenant_id,
                job_id=job.job_id,
                code=e.error_code,
            )
            return False
        log(event, tenant_id=job.tenant_id, job_id=job.job_id, attempts=job.attempts)
        return True

    def _callbacks_due(self, now: datetime) -> int:
        assert self._callbacks is not None
        s = self._settings
        pending = self._sweep.stuck_callbacks(
            CallbackStatus.PENDING,
            updated_before=now - timedelta(seconds=s.sweep_callback_after_seconds),
            limit=SWEEP_LIMIT,
        )
        failing = self._sweep.stuck_callbacks(
            CallbackStatus.FAILING,
            updated_before=now - timedelta(seconds=s.sweep_failing_callback_after_seconds),
            limit=SWEEP_LIMIT,
        )
        count = 0
        for job in pending:
            # Same name as the first enqueue: if that task still exists, Cloud Tasks refuses the copy.
            count += self._callbacks.schedule(job)
        for job in failing:
            # The lost task's name stays reserved; a new round, derived from the state the sweep
            # saw, gives two concurrent sweeps the same new name.
            stamp = job.callback_updated_at.isoformat() if job.callback_updated_at else "lost"
            count += self._callbacks.schedule(job, round_=f"swept-{stamp}")
        return count
