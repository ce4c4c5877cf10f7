"""What the job lifecycle tells telemetry: tags when a job is claimed, outcome and metrics when it ends.

Kept apart from :mod:`common.services.execution` so the executor only calls two functions.
Everything here goes through :func:`common.telemetry.get`, a no-op unless the function
initialised telemetry, and never raises into the job.

Reported per job (issue 6):

* tags ``tenant_id``, ``job_id``, ``agent``, ``attempt``, ``source``, ``model`` on the delivery's
  transaction, root span and every Sentry event of it;
* the outcome on the transaction (``outcome=success``, ``outcome=cancelled``, or
  ``outcome=failed`` with ``error_code``): a permanent failure is an expected outcome, never an
  error event (a job a cancellation ends at once reports from ``status``, :mod:`common.services.job_control`);
* metrics ``agentjobs.jobs`` (by agent, status, error code, source), ``agentjobs.job.duration``
  (created → finished, s), ``agentjobs.job.queue_delay`` (created → running, s) and
  ``agentjobs.model.cost`` (USD; unpriced jobs counted apart);
* the cost as ``agentjobs.cost.*`` attributes of the delivery's root span.
"""

from __future__ import annotations

from decimal import Decimal

from common import telemetry
from common.costs.model_ids import split_model_id
from common.jobs.models import Job
from common.telemetry import JobTags
from common.telemetry.allowlist import AttributeValue
from common.telemetry.log import log

__all__ = ["job_claimed", "job_finished"]


def job_claimed(job: Job, *, model: str, max_attempts: int) -> None:
    """Tag the current delivery with the job and say whether this attempt is its last.

    Args:
        job: The job as claimed (``attempts`` counts this attempt).
        model: ``provider/model`` the job runs with.
        max_attempts: ``AGENTJOBS_MAX_ATTEMPTS``: a transient failure now is final when reached.
    """
    t = telemetry.get()
    t.tag(
        JobTags(
            tenant_id=job.tenant_id,
            job_id=job.job_id,
            agent=job.agent,
            attempt=job.attempts,
            source=job.source.value,
            model=model,
        )
    )
    t.set_final_attempt(job.attempts >= max_attempts)


def job_finished(job: Job) -> None:
    """Outcome on the transaction, cost on the root span, and the job metrics, for a terminal ``job``."""
    t = telemetry.get()
    if not t.config.enabled:
        return
    try:
        code = job.error.code if job.error is not None else None
        t.set_outcome(job.status.value, code)
        duration = (job.finished_at - job.created_at).total_seconds() if job.finished_at else None
        queue = (job.started_at - job.created_at).total_seconds() if job.started_at else None
        t.record_job(
            agent=job.agent,
            status=job.status.value,
            error_code=code,
            source=job.source.value,
            duration_s=duration,
            queue_delay_s=queue,
        )
        _cost(t, job)
    except Exception as e:  # telemetry never fails the job it observes
        log("telemetry.job_metrics_failed", severity="WARNING", error=type(e).__name__)


def _cost(t: telemetry.Telemetry, job: Job) -> None:
    calls = job.usage.model_calls if job.usage is not None else ()
    if not calls:
        return
    cost = job.cost
    if cost is None:
        # Not priced on the job (yet): list prices, for telemetry only (no tenant overrides here).
        from common.costs.pricing import price_job

        cost = price_job(calls)
    if cost is None:
        return
    attributes: dict[str, AttributeValue] = {
        "agentjobs.cost.priced_calls": cost.priced_calls,
        "agentjobs.cost.unpriced_calls": cost.unpriced_calls,
    }
    if cost.price_source:
        attributes["agentjobs.cost.price_source"] = cost.price_source
    for key, value in (
        ("agentjobs.cost.total_usd", cost.total_usd),
        ("agentjobs.cost.input_usd", cost.input_usd),
        ("agentjobs.cost.output_usd", cost.output_usd),
    ):
        if isinstance(value, Decimal):
            attributes[key] = float(value)
    t.annotate(attributes)
    t.record_cost(
        agent=job.agent,
        model=split_model_id(job.model)[1] if job.model else "unknown",
        usd=None if cost.total_usd is None else float(cost.total_usd),
    )
