"""Fan committed job events out to the job events topic (``agentjobs-job-events``).

The job store calls :meth:`JobEventFanout.committed` after each commit that appended events
(:class:`common.ports.JobEventSink`). Outcome events (``succeeded``, ``failed``, ``cancelled``)
are always published; the others (``created``, ``running``, stages, model calls, ``judged``,
``callback_delivered``) only for tenants that opted in (``Tenant.publish_stage_events``).

Publishing is best effort after the commit: the events log in Firestore is the record, the topic
a notification. A publish that fails is logged (``job_events.publish_failed``) and not retried;
a subscriber that must not miss an outcome reads ``GET /v1/jobs/{id}`` or its event stream.
Each message is idempotent by ``(job_id, seq)``: a consumer drops duplicates by ``seq``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from common.errors import AgentJobsError
from common.events.models import JobEvent
from common.jobs.models import Job
from common.ports import JobEventPublisher
from common.telemetry.log import log
from common.tenants.models import Tenant

__all__ = ["JobEventFanout"]


class JobEventFanout:
    """Publishes committed events. Implements :class:`common.ports.JobEventSink`.

    Args:
        publisher: Returns the publisher, built on first use (the Pub/Sub client stays out of
            the cold start).
        tenant: Looks a tenant up (cached by the caller); asked only when a write appended
            events other than an outcome.
    """

    def __init__(self, *, publisher: Callable[[], JobEventPublisher], tenant: Callable[[str], Tenant | None]):
        self._publisher = publisher
        self._tenant = tenant

    def committed(self, job: Job, events: Sequence[JobEvent]) -> None:
        """Publish the events of ``job`` that its tenant receives, in ``seq`` order; never raises."""
        chosen = [e for e in events if e.type.terminal]
        if len(chosen) < len(events) and self._stage_events(job.tenant_id):
            chosen = list(events)
        for event in chosen:
            try:
                self._publisher().publish_event(job, event)
            except AgentJobsError as e:
                log(
                    "job_events.publish_failed",
                    severity="WARNING",
                    tenant_id=job.tenant_id,
                    job_id=job.job_id,
                    seq=event.seq,
                    code=e.error_code,
                )

    def _stage_events(self, tenant_id: str) -> bool:
        try:
            tenant = self._tenant(tenant_id)
        except AgentJobsError as e:
            log("job_events.tenant_unavailable", severity="WARNING", tenant_id=tenant_id, code=e.error_code)
            return False
        return tenant is not None and tenant.publish_stage_events
