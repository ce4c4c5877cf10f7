"""The ``run_agent`` service: turn one delivery into at most one job, and run it.

Orchestration only; I/O goes through the ports and the lifecycle rules live in
:mod:`common.jobs.lifecycle`. Delivery is at-least-once, so every step is idempotent: job ids are
derived from the delivery, creation is create-if-absent, claiming takes a lease, and finished
jobs are never run again.

Outcomes map to acks: :class:`RunOutcome` means "ack"; a :class:`~common.errors.TransientError`
escaping :meth:`JobRunner.handle` means "redeliver".
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from common.agents.base import Agent, AgentResult
from common.agents.input_errors import invalid_input
from common.agents.registry import UnknownAgent, load_agent
from common.config import Settings
from common.errors import AgentJobsError, PermanentError, TransientError
from common.jobs import lifecycle
from common.jobs.ids import gcs_job_id, request_job_id
from common.jobs.inbox import NotADrop, parse_inbox_path
from common.jobs.models import Job, JobError, JobStatus, Source
from common.messaging.deliveries import Delivery, Ignored, JobQueued, JobRequest, ObjectFinalized, Rejected
from common.ports import BlobStore, Clock, JobStore, RejectionLog, TenantDirectory
from common.services.callbacks import CallbackScheduler
from common.services.model_policy import ModelPolicy
from common.telemetry.log import log, where

__all__ = ["JobBusy", "JobRunner", "RunOutcome"]


class JobBusy(TransientError):
    """Another worker holds a live lease on the job; redeliver later."""

    code = "job_in_progress"
    http_status = 429


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """What happened to a delivery (always acked).

    Attributes:
        kind: ``ran`` (this delivery ran the job), ``already_finished`` (a redelivery of finished
            work), ``rejected`` (recorded, no job or a failed job), ``ignored``.
        job_id: The job concerned, if any.
        status: The job's status afterwards, if any.
        code: Rejection or failure code, if any.
    """

    kind: Literal["ran", "already_finished", "rejected", "ignored"]
    job_id: str | None = None
    status: str | None = None
    code: str | None = None


@dataclass
class _RunContext:
    """The :class:`~common.agents.base.AgentContext` of one attempt."""

    tenant_id: str
    job_id: str
    model: str
    blobs: BlobStore
    max_document_bytes: int
    timings: dict[str, float] = field(default_factory=dict[str, float])

    def read_document(self, uri: str, *, generation: int | None = None) -> bytes:
        started = time.perf_counter()
        data = self.blobs.read(uri, max_bytes=self.max_document_bytes, generation=generation)
        self.record_stage("download", time.perf_counter() - started)
        return data

    def record_stage(self, name: str, seconds: float) -> None:
        self.timings[name] = round(self.timings.get(name, 0.0) + seconds, 6)


class JobRunner:
    """Creates jobs from deliveries and runs them.

    Args:
        settings: Runtime settings (attempts, lease, result size limit, models).
        tenants: The tenant directory; job stores come from it, one per tenant.
        blobs_for: Builds the blob store of a tenant.
        rejections: Where deliveries that can never form a job are recorded.
        clock: Current UTC time.
        callbacks: Enqueues callback deliveries when jobs finish; ``None`` disables callbacks.
        agents: Agent lookup (defaults to the registry; tests may pass their own).
    """

    def __init__(
        self,
        *,
        settings: Settings,
        tenants: TenantDirectory,
        blobs_for: Callable[[str], BlobStore],
        rejections: RejectionLog,
        clock: Clock,
        callbacks: CallbackScheduler | None = None,
        agents: Callable[[str], Agent] = load_agent,
    ):
        self._settings = settings
        self._tenants = tenants
        self._blobs_for = blobs_for
        self._rejections = rejections
        self._clock = clock
        self._callbacks = callbacks
        self._agents = agents
        self._models = ModelPolicy(settings)

    def handle(self, delivery: Delivery) -> RunOutcome:
        """Handle one delivery.

        Returns:
            What happened; the caller acks.

        Raises:
            TransientError: Redeliver later (a backend is unavailable, or another worker is
                running the job: :class:`JobBusy`).
        """
        match delivery:
            case ObjectFinalized():
                return self._object_finalized(delivery)
            case JobQueued():
                return self._job_queued(delivery)
            case JobRequest():
                return self._job_request(delivery)
            case Rejected():
                return self._reject(delivery.event_id, delivery.code, delivery.reason, delivery.tenant_id)
            case Ignored():
                log("delivery.ignored", event_id=delivery.event_id, reason=delivery.reason)
                return RunOutcome("ignored")

    # -- deliveries ---------------------------------------------------------------------------

    def _object_finalized(self, event: ObjectFinalized) -> RunOutcome:
        try:
            drop = parse_inbox_path(event.name)
        except NotADrop:
            # Results and other tenant files live in the same bucket; their events are expected.
            log("delivery.ignored", event_id=event.event_id, reason="not_in_inbox")
            return RunOutcome("ignored")
        if self._tenants.get(drop.tenant_id) is None:
            return self._reject(event.event_id, "unknown_tenant", "object is in the inbox of an unknown tenant", None)
        job_id = gcs_job_id(event.bucket, event.name, event.generation)
        store = self._tenants.jobs(drop.tenant_id)
        file_uri = f"gs://{event.bucket}/{event.name}"
        try:
            payload = self._agents(drop.agent).input_from_file(file_uri, event.generation)
            if payload is None:
                raise PermanentError("this agent does not accept dropped files", code="files_not_accepted")
        except (UnknownAgent, PermanentError) as e:
            return self._create_failed(
                store, job_id=job_id, agent=drop.agent, payload={"file_uri": file_uri}, source=Source.GCS, error=e
            )
        return self._create_and_execute(
            store,
            lifecycle.new_job(
                job_id=job_id,
                tenant_id=drop.tenant_id,
                agent=drop.agent,
                input=payload,
                source=Source.GCS,
                now=self._clock(),
            ),
        )

    def _job_queued(self, message: JobQueued) -> RunOutcome:
        store = self._tenants.jobs(message.tenant_id)
        job = store.get(message.job_id)
        if job is None:
            return self._reject(message.event_id, "job_not_found", "queued job does not exist", message.tenant_id)
        return self._execute(store, job)

    def _job_request(self, request: JobRequest) -> RunOutcome:
        tenant = self._tenants.get(request.tenant_id)
        if tenant is None:
            return self._reject(request.message_id, "unknown_tenant", "request names an unknown tenant", None)
        store = self._tenants.jobs(request.tenant_id)
        job_id = request_job_id(request.tenant_id, request.agent, request.idempotency_key or request.message_id)
        existing = store.get(job_id)
        if existing is not None:
            return self._execute(store, existing)
        try:
            agent = self._agents(request.agent)
            agent.input_model.model_validate(request.input)
            model = self._models.select(request.agent, request.model, tenant)
            callback_url = self._checked_callback(request.callback_url)
        except (ValidationError, AgentJobsError) as e:
            error = invalid_input(e) if isinstance(e, ValidationError) else e
            return self._create_failed(
                store, job_id=job_id, agent=request.agent, payload=request.input, source=Source.PUBSUB, error=error
            )
        return self._create_and_execute(
            store,
            lifecycle.new_job(
                job_id=job_id,
                tenant_id=request.tenant_id,
                agent=request.agent,
                input=request.input,
                source=Source.PUBSUB,
                now=self._clock(),
                callback_url=callback_url,
                metadata=request.metadata,
                model=model or None,
            ),
        )

    # -- running ------------------------------------------------------------------------------

    def _create_and_execute(self, store: JobStore, job: Job) -> RunOutcome:
        stored, created = store.create(job)
        log(
            "job.created" if created else "job.redelivered",
            tenant_id=job.tenant_id,
            job_id=job.job_id,
            source=job.source.value,
        )
        return self._execute(store, stored)

    def _execute(self, store: JobStore, job: Job) -> RunOutcome:
        if job.status.terminal:
            # A redelivery after the outcome was stored. The callback may not have been
            # enqueued if the earlier delivery died in between; scheduling is idempotent.
            self._schedule_callback(job)
            return RunOutcome("already_finished", job.job_id, job.status.value)
        token = uuid.uuid4().hex
        s = self._settings
        claimed = store.update(
            job.job_id,
            lambda j: lifecycle.claim(
                j, token=token, now=self._clock(), lease_seconds=s.lease_seconds, max_attempts=s.max_attempts
            ),
        )
        if claimed.status.terminal:
            self._schedule_callback(claimed)
            kind = "ran" if claimed.error and claimed.error.code == lifecycle.ATTEMPTS_EXHAUSTED else "already_finished"
            return RunOutcome(kind, claimed.job_id, claimed.status.value, claimed.error.code if claimed.error else None)
        if not lifecycle.holds_lease(claimed, token):
            raise JobBusy(f"job {job.job_id} is running under another lease")

        log(
            "job.started",
            tenant_id=claimed.tenant_id,
            job_id=claimed.job_id,
            agent=claimed.agent,
            attempt=claimed.attempts,
        )
        ctx = _RunContext(
            tenant_id=claimed.tenant_id,
            job_id=claimed.job_id,
            model=claimed.model or s.model_for(claimed.agent),
            blobs=self._blobs_for(claimed.tenant_id),
            max_document_bytes=s.max_document_bytes,
        )
        if claimed.started_at is not None:
            ctx.record_stage("queued", max(0.0, (claimed.started_at - claimed.created_at).total_seconds()))
        started = time.perf_counter()
        try:
            result = self._run_agent(claimed, ctx)
        except TransientError as e:
            ctx.record_stage("run", time.perf_counter() - started)
            reason = _job_error(e)
            self._finish(
                store,
                claimed,
                token,
                lambda j: lifecycle.release(j, token=token, now=self._clock(), error=reason),
            )
            log(
                "job.released",
                severity="WARNING",
                tenant_id=claimed.tenant_id,
                job_id=claimed.job_id,
                code=e.error_code,
            )
            raise
        except AgentJobsError as e:
            ctx.record_stage("run", time.perf_counter() - started)
            return self._fail(store, claimed, token, e, ctx.timings)
        ctx.record_stage("run", time.perf_counter() - started)
        return self._succeed(store, claimed, token, result, ctx)

    def _run_agent(self, job: Job, ctx: _RunContext) -> AgentResult:
        agent = self._agents(job.agent)
        try:
            payload = agent.input_model.model_validate(job.input)
        except ValidationError as e:
            raise invalid_input(e) from e
        try:
            return agent.run(payload, ctx)
        except AgentJobsError:
            raise
        except Exception as e:
            # An unexpected exception inside an agent is almost always deterministic (a parser
            # bug on this input); retrying would loop, so the job fails with a clear code.
            log(
                "agent.crashed",
                severity="ERROR",
                tenant_id=job.tenant_id,
                job_id=job.job_id,
                error_type=type(e).__name__,
                where=where(e),
            )
            raise PermanentError(f"the agent failed unexpectedly ({type(e).__name__})", code="agent_error") from e

    def _succeed(self, store: JobStore, job: Job, token: str, result: AgentResult, ctx: _RunContext) -> RunOutcome:
        output: dict[str, Any] = _dump(result.output)
        encoded = json.dumps(output, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        inline: dict[str, Any] | None = output
        result_ref: str | None = None
        if len(encoded) > self._settings.inline_result_bytes:
            stored = ctx.blobs.write(f"results/{job.job_id}.json", encoded, content_type="application/json")
            result_ref = stored.uri
            inline = None
        finished = self._finish(
            store,
            job,
            token,
            lambda j: lifecycle.complete(
                j,
                token=token,
                now=self._clock(),
                result=inline,
                result_ref=result_ref,
                timings=ctx.timings,
                model=result.model,
                usage=result.usage,
            ),
        )
        log(
            "job.succeeded",
            tenant_id=job.tenant_id,
            job_id=job.job_id,
            agent=job.agent,
            result_bytes=len(encoded),
            offloaded=result_ref is not None,
            run_seconds=ctx.timings.get("run"),
        )
        return RunOutcome("ran", job.job_id, finished.status.value if finished else JobStatus.SUCCESS.value)

    def _fail(
        self, store: JobStore, job: Job, token: str, error: AgentJobsError, timings: dict[str, float]
    ) -> RunOutcome:
        finished = self._finish(
            store,
            job,
            token,
            lambda j: lifecycle.fail(j, token=token, now=self._clock(), error=_job_error(error), timings=timings),
        )
        log(
            "job.failed",
            severity="WARNING",
            tenant_id=job.tenant_id,
            job_id=job.job_id,
            code=error.error_code,
        )
        return RunOutcome(
            "ran", job.job_id, finished.status.value if finished else JobStatus.FAILED.value, error.error_code
        )

    def _finish(self, store: JobStore, job: Job, token: str, transition: Callable[[Job], Job]) -> Job | None:
        try:
            finished = store.update(job.job_id, transition)
        except lifecycle.LeaseLost:
            # Our lease expired and another delivery took the job over: its outcome wins.
            log("job.lease_lost", severity="WARNING", tenant_id=job.tenant_id, job_id=job.job_id)
            return None
        if finished.status.terminal:
            self._schedule_callback(finished)
        return finished

    # -- helpers ------------------------------------------------------------------------------

    def _create_failed(
        self,
        store: JobStore,
        *,
        job_id: str,
        agent: str,
        payload: dict[str, Any],
        source: Source,
        error: AgentJobsError,
    ) -> RunOutcome:
        now = self._clock()
        job = lifecycle.new_job(
            job_id=job_id, tenant_id=store.tenant_id, agent=agent, input=payload, source=source, now=now
        )
        stored, _ = store.create(lifecycle.reject(job, now=now, error=_job_error(error)))
        log(
            "job.rejected",
            severity="WARNING",
            tenant_id=store.tenant_id,
            job_id=job_id,
            code=error.error_code,
        )
        self._schedule_callback(stored)
        return RunOutcome("rejected", job_id, stored.status.value, error.error_code)

    def _reject(self, event_id: str, code: str, reason: str, tenant_id: str | None) -> RunOutcome:
        self._rejections.record(event_id, code=code, reason=reason, tenant_id=tenant_id, now=self._clock())
        log("delivery.rejected", severity="WARNING", event_id=event_id, code=code, tenant_id=tenant_id)
        return RunOutcome("rejected", code=code)

    def _checked_callback(self, url: str | None) -> str | None:
        if url is None or self._callbacks is None:
            return url
        return self._callbacks.check_url(url)

    def _schedule_callback(self, job: Job) -> None:
        if self._callbacks is not None and job.status.terminal:
            self._callbacks.schedule(job)


def _dump(output: BaseModel) -> dict[str, Any]:
    return output.model_dump(mode="json")


def _job_error(error: AgentJobsError) -> JobError:
    return JobError(error.error_code, error.message)
