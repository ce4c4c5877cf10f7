"""Intake: one parsed delivery in, at most one job out (the workflow half of ``run_agent``).

Deliveries are at-least-once, so intake is idempotent: a job's id is derived from its delivery
(bucket + object + generation for drops; the idempotency key or message id for requests) and
creation is create-if-absent. Intake hands every runnable job to
:class:`~common.services.execution.JobExecutor`; it runs no agent itself.

Every delivery ends in exactly one of: a job run (or found already finished / in progress), a
failed job with a code (the tenant is known: the tenant sees it, and its callback fires), a
rejection record with a code (no tenant to attach it to), or a quiet ignore (events that ask for
nothing). A dead-lettered delivery ends its job ``failed`` with ``delivery_exhausted``, or
becomes a rejection record.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from common.agents.base import Agent
from common.agents.registry import UnknownAgent, load_agent
from common.config import Settings
from common.errors import AgentJobsError, NotFound, PermanentError, TransientError
from common.jobs import lifecycle
from common.jobs.ids import gcs_job_id, request_job_id
from common.jobs.inbox import InvalidInboxPath, NotADrop, parse_inbox_path
from common.jobs.models import Job, JobError, Source
from common.messaging.deliveries import (
    DeadLettered,
    Delivery,
    Ignored,
    InvalidJobRequest,
    JobQueued,
    JobRequest,
    ObjectFinalized,
    Rejected,
    SweepTick,
)
from common.plans.admission import Admission
from common.ports import Clock, JobStore, RejectionLog, TenantDirectory
from common.retention import policy
from common.services.callbacks import CallbackScheduler
from common.services.execution import JobExecutor, RunOutcome
from common.services.model_policy import ModelPolicy
from common.services.sweeper import Sweeper
from common.telemetry.log import log
from common.tenants.models import Tenant

__all__ = ["DeliveryIntake"]


@dataclass(frozen=True, slots=True)
class _NewJob:
    """What a delivery asks for, before it is stored."""

    tenant: Tenant
    job_id: str
    agent: str
    input: dict[str, Any]
    source: Source
    callback_url: str | None = None
    metadata: dict[str, str] | None = None
    model: str | None = None


class DeliveryIntake:
    """Turns deliveries into jobs and hands them to the executor.

    Args:
        settings: Runtime settings (bucket, models, loopback dev flag).
        tenants: The tenant directory; job stores come from it, one per tenant.
        executor: Runs jobs.
        rejections: Where deliveries that can never form a job are recorded.
        clock: Current UTC time.
        callbacks: Checks callback URLs and enqueues callbacks of jobs failed here; ``None``
            disables callbacks.
        sweeper: Builds the sweeper on the first sweep tick (so its dependencies load only
            then); ``None`` ignores ticks.
        agents: Agent lookup (defaults to the registry; tests may pass their own).
        admission: Admits new jobs against their tenant's usage plan; ``None`` admits every job.
            A job refused for good (``plan_inactive``, ``budget_exceeded``, ``model_unpriced``)
            is recorded as a failed job with that code and never run; a job over its
            concurrency limit is not created, and its delivery is redelivered (429) on the
            subscription's backoff, so nothing is lost.
    """

    def __init__(
        self,
        *,
        settings: Settings,
        tenants: TenantDirectory,
        executor: JobExecutor,
        rejections: RejectionLog,
        clock: Clock,
        callbacks: CallbackScheduler | None = None,
        sweeper: Callable[[], Sweeper] | None = None,
        agents: Callable[[str], Agent] = load_agent,
        admission: Admission | None = None,
    ):
        self._admission = admission
        self._settings = settings
        self._tenants = tenants
        self._executor = executor
        self._rejections = rejections
        self._clock = clock
        self._callbacks = callbacks
        self._sweeper = sweeper
        self._agents = agents
        self._models = ModelPolicy(settings)

    def handle(self, delivery: Delivery) -> RunOutcome:
        """Handle one delivery.

        A permanent error of a backend that escapes the paths below (storage refusing a write,
        ``backend_rejected``; an error of unknown kind, ``backend_error``) ends the delivery as a
        rejection record with its code: retrying cannot help, and nothing is acked without a record.

        Returns:
            What happened; the caller acks.

        Raises:
            TransientError: Redeliver later (a backend is unavailable, or the job's attempt
                failed transiently and was released).
        """
        try:
            return self._dispatch(delivery)
        except TransientError:
            raise
        except AgentJobsError as e:
            return self._reject(_event_id(delivery), e.error_code, e.message, None)

    def _dispatch(self, delivery: Delivery) -> RunOutcome:
        match delivery:
            case ObjectFinalized():
                return self._object_finalized(delivery)
            case JobQueued():
                return self._job_queued(delivery)
            case JobRequest():
                return self._job_request(delivery)
            case InvalidJobRequest():
                return self._invalid_request(delivery)
            case SweepTick():
                if self._sweeper is not None:
                    self._sweeper().sweep()
                return RunOutcome("swept")
            case DeadLettered():
                return self._dead_lettered(delivery)
            case Rejected():
                return self._reject(delivery.event_id, delivery.code, delivery.reason, delivery.tenant_id)
            case Ignored():
                log("delivery.ignored", event_id=delivery.event_id, reason=delivery.reason)
                return RunOutcome("ignored")

    # -- deliveries ---------------------------------------------------------------------------

    def _object_finalized(self, event: ObjectFinalized) -> RunOutcome:
        resolved = self._drop(event)
        if isinstance(resolved, RunOutcome):
            return resolved
        new, error = resolved
        if error is not None:
            return self._create_failed(new, error, event.event_id)
        return self._create_and_execute(new, event.event_id)

    def _drop(self, event: ObjectFinalized) -> RunOutcome | tuple[_NewJob, AgentJobsError | None]:
        """The job a drop asks for (with the error that fails it), or how the delivery ended."""
        try:
            drop = parse_inbox_path(event.name)
        except NotADrop:
            # Results and other tenant files live in the same bucket; their events are expected.
            log("delivery.ignored", event_id=event.event_id, reason="not_in_inbox")
            return RunOutcome("ignored")
        except InvalidInboxPath as e:
            return self._reject(event.event_id, e.error_code, e.message, None)
        if event.bucket != self._settings.bucket:
            # Only our bucket's inboxes start jobs, whatever an event from elsewhere names.
            return self._reject(event.event_id, "foreign_bucket", "the event is from another bucket", None)
        tenant = self._tenant(drop.tenant_id, event.event_id)
        if isinstance(tenant, RunOutcome):
            return tenant
        file_uri = f"gs://{event.bucket}/{event.name}"
        new = _NewJob(
            tenant,
            gcs_job_id(event.bucket, event.name, event.generation),
            drop.agent,
            {"file_uri": file_uri},
            Source.GCS,
            callback_url=tenant.webhook_url,
        )
        try:
            payload = self._agents(drop.agent).input_from_file(file_uri, str(event.generation))
            if payload is None:
                raise PermanentError("this agent does not accept dropped files", code="files_not_accepted")
        except (UnknownAgent, PermanentError) as e:
            return new, e
        return dataclasses.replace(new, input=dict(payload)), None

    def _job_queued(self, message: JobQueued) -> RunOutcome:
        try:
            return self._executor.execute(self._tenants.jobs(message.tenant_id), message.job_id)
        except NotFound:
            return self._reject(message.event_id, "job_not_found", "queued job does not exist", message.tenant_id)

    def _job_request(self, request: JobRequest) -> RunOutcome:
        tenant = self._tenant(request.tenant_id, request.message_id)
        if isinstance(tenant, RunOutcome):
            return tenant
        job_id = request_job_id(request.tenant_id, request.agent, request.idempotency_key or request.message_id)
        store = self._tenants.jobs(request.tenant_id)
        if store.get(job_id) is not None:
            return self._execute(store, job_id, request.message_id)
        new = _NewJob(tenant, job_id, request.agent, request.input, Source.PUBSUB, metadata=request.metadata)
        # pydantic loads with the first request's agent, not at cold start.
        from pydantic import ValidationError

        from common.agents.input_errors import invalid_input

        try:
            agent = self._agents(request.agent)
            agent.input_model.model_validate(request.input)
            callback_url = self._checked_callback(request.callback_url) or tenant.webhook_url
            model = self._models.select(request.agent, request.model, tenant)
        except (ValidationError, AgentJobsError) as e:
            error = invalid_input(e) if isinstance(e, ValidationError) else e
            return self._create_failed(new, error, request.message_id)
        return self._create_and_execute(
            _NewJob(
                tenant,
                job_id,
                request.agent,
                request.input,
                Source.PUBSUB,
                callback_url=callback_url,
                metadata=request.metadata,
                model=model or None,
            ),
            request.message_id,
        )

    def _invalid_request(self, request: InvalidJobRequest) -> RunOutcome:
        tenant = self._tenant(request.tenant_id, request.message_id)
        if isinstance(tenant, RunOutcome):
            return tenant
        job_id = request_job_id(request.tenant_id, request.agent, request.idempotency_key or request.message_id)
        new = _NewJob(tenant, job_id, request.agent, {}, Source.PUBSUB, callback_url=tenant.webhook_url)
        return self._create_failed(new, PermanentError(request.reason, code=request.code), request.message_id)

    def _dead_lettered(self, delivery: DeadLettered) -> RunOutcome:
        original = delivery.original
        attempts = f" after {delivery.delivery_attempts} deliveries" if delivery.delivery_attempts else ""
        error = JobError(lifecycle.DELIVERY_EXHAUSTED, f"Pub/Sub gave up on this job's message{attempts}")
        target: tuple[JobStore, str] | _NewJob | None = None
        match original:
            case JobQueued():
                target = (self._tenants.jobs(original.tenant_id), original.job_id)
            case ObjectFinalized():
                resolved = self._drop(original)
                if isinstance(resolved, tuple):
                    target = resolved[0]
            case JobRequest() | InvalidJobRequest():
                tenant = self._tenants.get(original.tenant_id)
                if tenant is not None:
                    key = original.idempotency_key or original.message_id
                    job_id = request_job_id(original.tenant_id, original.agent, key)
                    target = _NewJob(tenant, job_id, original.agent, {}, Source.PUBSUB, callback_url=tenant.webhook_url)
            case _:
                pass
        if isinstance(target, _NewJob):
            store = self._tenants.jobs(target.tenant.tenant_id)
            if store.get(target.job_id) is None:
                return self._create_failed(target, PermanentError(error.message, code=error.code), delivery.event_id)
            target = (store, target.job_id)
        if target is None:
            code = original.code if isinstance(original, Rejected) else type(original).__name__.lower()
            return self._reject(delivery.event_id, "dead_lettered", f"dead-lettered delivery ({code})", None)
        store, job_id = target
        try:
            job = store.update(job_id, lambda j: lifecycle.give_up(j, now=self._clock(), error=error))
        except NotFound:
            return self._reject(delivery.event_id, "dead_lettered", "dead-lettered job message of a missing job", None)
        if job.status.terminal and job.error is not None and job.error.code == lifecycle.DELIVERY_EXHAUSTED:
            self._schedule(job)
            self._executor.settle(job)
        log("job.dead_lettered", tenant_id=job.tenant_id, job_id=job.job_id, status=job.status.value)
        return RunOutcome("rejected", job.job_id, job.status.value, lifecycle.DELIVERY_EXHAUSTED)

    # -- jobs ---------------------------------------------------------------------------------

    def _create_and_execute(self, new: _NewJob, event_id: str) -> RunOutcome:
        store = self._tenants.jobs(new.tenant.tenant_id)
        job = self._new_job(new)
        if self._admission is not None:
            try:
                self._admission.admit(
                    new.tenant,
                    job_id=new.job_id,
                    agent=new.agent,
                    model=new.model or self._settings.model_for(new.agent),
                    job_input=new.input,
                    expires_at=job.expires_at,
                )
            except TransientError:
                raise  # concurrency limit or ledger unavailable: redeliver later
            except AgentJobsError as e:
                return self._create_failed(new, e, event_id)
        _, created = store.create(job)
        log(
            "job.created" if created else "job.redelivered",
            tenant_id=new.tenant.tenant_id,
            job_id=new.job_id,
            source=new.source.value,
        )
        return self._execute(store, new.job_id, "")

    def _execute(self, store: JobStore, job_id: str, event_id: str) -> RunOutcome:
        try:
            return self._executor.execute(store, job_id)
        except NotFound:  # deleted between creation and claim (erasure): nothing to run
            return self._reject(event_id, "job_not_found", "the job no longer exists", store.tenant_id)

    def _create_failed(self, new: _NewJob, error: AgentJobsError, event_id: str) -> RunOutcome:
        now = self._clock()
        job = lifecycle.reject(self._new_job(new), now=now, error=JobError(error.error_code, error.message))
        stored, created = self._tenants.jobs(new.tenant.tenant_id).create(job)
        redelivered = stored.error is not None and stored.error.code == error.error_code and stored.status.terminal
        if not created and not redelivered:
            # The id belongs to another request's job (e.g. an Idempotency-Key the tenant also
            # used over HTTPS, whose job may still be pending): that job is left alone, and this
            # delivery ends as a record of its own.
            return self._reject(event_id, error.error_code, error.message, new.tenant.tenant_id)
        log(
            "job.rejected", severity="WARNING", tenant_id=new.tenant.tenant_id, job_id=new.job_id, code=error.error_code
        )
        if created:
            self._schedule(stored)
        return RunOutcome("rejected", new.job_id, stored.status.value, error.error_code)

    def _new_job(self, new: _NewJob) -> Job:
        now = self._clock()
        days = policy.effective_days(new.tenant.retention_days, self._settings.retention_days)
        return lifecycle.new_job(
            job_id=new.job_id,
            tenant_id=new.tenant.tenant_id,
            agent=new.agent,
            input=new.input,
            source=new.source,
            now=now,
            callback_url=new.callback_url,
            metadata=new.metadata,
            model=new.model,
            expires_at=policy.expiry(now, days),
        )

    # -- helpers ------------------------------------------------------------------------------

    def _tenant(self, tenant_id: str, event_id: str) -> Tenant | RunOutcome:
        """The active tenant, or the rejection of a delivery naming an unknown or inactive one."""
        tenant = self._tenants.get(tenant_id)
        if tenant is None:
            # No tenant to attach it to: the record carries no tenant id either, so an unknown
            # name never becomes a key of anything.
            return self._reject(event_id, "unknown_tenant", "the delivery names an unknown tenant", None)
        if not tenant.active:
            return self._reject(event_id, "tenant_inactive", "the tenant is deactivated", tenant_id)
        return tenant

    def _reject(self, event_id: str, code: str, reason: str, tenant_id: str | None) -> RunOutcome:
        self._rejections.record(event_id, code=code, reason=reason, tenant_id=tenant_id, now=self._clock())
        log("delivery.rejected", severity="WARNING", event_id=event_id, code=code, tenant_id=tenant_id)
        return RunOutcome("rejected", code=code)

    def _checked_callback(self, url: str | None) -> str | None:
        if url is None or self._callbacks is None:
            return url
        return self._callbacks.check_url(url)

    def _schedule(self, job: Job) -> None:
        if self._callbacks is not None:
            self._callbacks.schedule(job)


def _event_id(delivery: Delivery) -> str:
    match delivery:
        case JobRequest() | InvalidJobRequest():
            return delivery.message_id
        case _:
            return delivery.event_id
