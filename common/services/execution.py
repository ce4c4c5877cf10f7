"""Execution: one stored job in, its outcome stored (the activity half of ``run_agent``).

:class:`JobExecutor` claims a job under a lease, keeps the lease alive with a heartbeat while the
agent works, and stores exactly one outcome. It knows nothing of deliveries: the intake
(:mod:`common.services.intake`) turns deliveries into jobs, and the sweeper requeues jobs, and
both end here. Orchestration only; the state machine is :mod:`common.jobs.lifecycle`.

Guarantees, whatever the agent or our own code does:

* a job this attempt holds ends ``success`` or ``failed``, or is released to ``pending`` with the
  attempt counted (transient errors; not counted when a rate limit stopped it, ``rate_limited``
  or the provider's ``model_rate_limited``: being throttled is no failure of the job); an
  unexpected exception anywhere, including while storing the result, fails the job with
  ``internal_error`` instead of escaping;
* if the process dies, the heartbeat stops, the lease (:attr:`Settings.lease_seconds`) expires,
  and the sweeper requeues the job, which the next claim takes over with the attempt counted;
* a second delivery of a job whose lease is live is acked (``in_progress``) without touching it,
  so redeliveries never burn the message's delivery attempts towards dead-lettering;
* a stale worker whose lease was taken over cannot store its outcome (fencing by lease token).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from common import telemetry
from common.agents.base import Agent, AgentResult
from common.agents.registry import load_agent
from common.boundary.text import scrub_unencodable
from common.config import Settings
from common.costs.models import Cost, PriceOverride
from common.costs.pricing import price_call, price_job
from common.errors import AgentJobsError, PermanentError, TransientError
from common.events.derive import judged_event, model_call_event, stage_events
from common.events.models import JobEvent
from common.jobs import lifecycle
from common.jobs.models import Job, JobError, JobTrace, ModelCall, StageTiming, Usage
from common.llm.gate import gated
from common.llm.recording import recording
from common.ports import BlobStore, Clock, JobStore
from common.services.callbacks import CallbackScheduler
from common.services.job_telemetry import job_claimed, job_finished
from common.services.judging import JobJudging
from common.telemetry.log import log, where

if TYPE_CHECKING:
    from common.judges.models import Judgement, Quality
    from common.plans.runtime import PlanRuntime

__all__ = ["JobExecutor", "RunDeadlineExceeded", "RunOutcome"]


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """What happened to a delivery (always acked).

    Attributes:
        kind: ``ran`` (this delivery ran the job, or ended it), ``already_finished`` (a redelivery
            of finished work), ``in_progress`` (another worker holds a live lease), ``rejected``
            (recorded: no job, or a failed job), ``ignored``, ``swept`` (a sweeper tick).
        job_id: The job concerned, if any.
        status: The job's status afterwards, if any.
        code: Rejection or failure code, if any.
    """

    kind: Literal["ran", "already_finished", "in_progress", "rejected", "ignored", "swept"]
    job_id: str | None = None
    status: str | None = None
    code: str | None = None


class RunDeadlineExceeded(PermanentError):
    """The attempt ran longer than ``AGENTJOBS_MAX_RUN_SECONDS``."""

    code = "run_timeout"


class _Lease:
    """This attempt's hold on its job: the job as last written, renewed by a heartbeat thread.

    Every write of the attempt goes through :meth:`write`, under one lock, so the heartbeat and
    the final write never race and each knows the revision the other left (no read needed).

    Stage events (:mod:`common.events`) wait in memory until the attempt writes anyway: the next
    heartbeat or the outcome carries them in its commit, as one events page. A job faster than a
    heartbeat stores all its stages with its outcome; a long one shows progress every heartbeat,
    at most one page per heartbeat (and only when a stage ended since the last).
    """

    def __init__(self, store: JobStore, job: Job, token: str, *, settings: Settings, clock: Clock):
        self._store = store
        self._job = job
        self._token = token
        self._settings = settings
        self._clock = clock
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{job.job_id}", daemon=True)
        self._events_lock = threading.Lock()  # the agent adds events while the heartbeat may be writing
        self._events: list[JobEvent] = []
        self.lost = False
        self.cancelled = False

    @property
    def job(self) -> Job:
        with self._lock:
            return self._job

    @property
    def overdue(self) -> bool:
        return time.monotonic() - self._started > self._settings.max_run_seconds

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join()

    def add_events(self, events: Sequence[JobEvent]) -> None:
        """Buffer events for the attempt's next write."""
        with self._events_lock:
            self._events.extend(events)

    def write(self, transition: Callable[[Job], Job], extra: Sequence[JobEvent] = ()) -> Job:
        with self._lock:
            with self._events_lock:
                buffered, self._events = self._events, []
            try:
                self._job = self._store.replace(self._job, transition, events=[*buffered, *extra])
            except BaseException:
                with self._events_lock:  # not written: they go with the next write
                    self._events[:0] = buffered
                raise
            return self._job

    def _beat(self) -> None:
        s = self._settings
        while not self._stop.wait(s.heartbeat_seconds):
            if self.overdue:
                # Stop renewing: the lease runs out and the sweeper requeues the job. If this
                # worker ever finishes, its write is fenced off by the lease token.
                log("job.run_deadline", severity="WARNING", tenant_id=self._job.tenant_id, job_id=self._job.job_id)
                return
            try:
                self.write(
                    lambda j: lifecycle.renew(j, token=self._token, now=self._clock(), lease_seconds=s.lease_seconds)
                )
            except lifecycle.Cancelled:
                # The cancellation changed the job's revision, so this renewal read the stored job
                # and saw it: cancellation costs the attempt no extra read.
                self.cancelled = True
                log("job.cancel_seen", tenant_id=self._job.tenant_id, job_id=self._job.job_id)
                return
            except lifecycle.LeaseLost:
                self.lost = True
                log("job.lease_lost", severity="WARNING", tenant_id=self._job.tenant_id, job_id=self._job.job_id)
                return
            except Exception as e:  # a failed heartbeat is retried at the next beat; the lease has slack
                log("job.heartbeat_failed", severity="WARNING", job_id=self._job.job_id, error_type=type(e).__name__)


@dataclass
class _RunContext:
    """The :class:`~common.agents.base.AgentContext` of one attempt."""

    tenant_id: str
    job_id: str
    model: str
    blobs: BlobStore
    max_document_bytes: int
    lease: _Lease
    clock: Clock
    timings: dict[str, float] = field(default_factory=dict[str, float])
    stages: list[StageTiming] = field(default_factory=list[StageTiming])
    started: float = field(default_factory=time.perf_counter)

    def read_document(self, uri: str, *, generation: int | None = None) -> bytes:
        started = time.perf_counter()
        data = self.blobs.read(uri, max_bytes=self.max_document_bytes, generation=generation)
        self._expire_with_job(uri, generation)
        self.record_stage("download", time.perf_counter() - started)
        return data

    def _expire_with_job(self, uri: str, generation: int | None) -> None:
        # The bucket's lifecycle deletes an input at its customTime; without one, only the
        # deployment-wide age ceiling does, later than a shorter tenant retention.
        expires_at = self.lease.job.expires_at
        if expires_at is None:
            return
        try:
            self.blobs.set_expiry(uri, expires_at, generation=generation)
        except AgentJobsError as e:  # best effort: the age ceiling still deletes the object
            log("blob.expiry_not_set", severity="WARNING", job_id=self.job_id, code=e.code)

    def record_stage(self, name: str, seconds: float) -> None:
        self.timings[name] = round(self.timings.get(name, 0.0) + seconds, 6)
        start = time.perf_counter() - seconds - self.started
        self.stages.append(StageTiming(name, round(max(0.0, start), 6), round(seconds, 6)))
        self.lease.add_events(stage_events(name, seconds, ended_at=self.clock()))
        telemetry.get().record_stage(name, seconds)
        self.checkpoint()

    def trace(self) -> JobTrace:
        """The stage timeline for the completion write, under the delivery's trace id."""
        return JobTrace(trace_id=telemetry.get().trace_id or "", stages=tuple(self.stages))

    def checkpoint(self) -> None:
        """Stop the agent between stages when its attempt can no longer succeed.

        A client's cancellation reaches the attempt through its heartbeat (within
        ``AGENTJOBS_HEARTBEAT_SECONDS``) and stops it at the first checkpoint after that.

        Raises:
            Cancelled: The client cancelled the job.
            LeaseLost: Another worker took the job over.
            RunDeadlineExceeded: The attempt ran past ``AGENTJOBS_MAX_RUN_SECONDS``.
        """
        if self.lease.cancelled:
            raise lifecycle.Cancelled("the job was cancelled")
        if self.lease.lost:
            raise lifecycle.LeaseLost("another worker took this job over")
        if self.lease.overdue:
            raise RunDeadlineExceeded("the job ran longer than its time limit")


class JobExecutor:
    """Claims and runs jobs.

    Args:
        settings: Runtime settings (attempts, lease, heartbeat, run limit, result size, models).
        blobs_for: Builds the blob store of a tenant.
        clock: Current UTC time.
        callbacks: Enqueues callback deliveries when jobs finish; ``None`` disables callbacks.
        agents: Agent lookup (defaults to the registry; tests may pass their own).
        plans: Usage plans (:mod:`common.plans.runtime`): rate limits at each model call, and
            the settlement of a job's budget reservation when it ends; ``None`` for neither.
        prices_for: A tenant's price overrides (``Tenant.price_overrides``), asked only when a
            job made model calls; ``None``: list prices only.
        judging: Judges successful outputs before the completion write (default: the
            deterministic judges, and the LLM judge where settings configure one).
    """

    def __init__(
        self,
        *,
        settings: Settings,
        blobs_for: Callable[[str], BlobStore],
        clock: Clock,
        callbacks: CallbackScheduler | None = None,
        agents: Callable[[str], Agent] = load_agent,
        plans: PlanRuntime | None = None,
        prices_for: Callable[[str], Sequence[PriceOverride]] | None = None,
        judging: JobJudging | None = None,
    ):
        self._plans = plans
        self._settings = settings
        self._blobs_for = blobs_for
        self._clock = clock
        self._callbacks = callbacks
        self._agents = agents
        self._prices_for = prices_for
        self._judging = judging or JobJudging(settings=settings, clock=clock)

    def execute(self, store: JobStore, job_id: str) -> RunOutcome:
        """Claim the job and, if this call holds its lease, run it to one stored outcome.

        Returns:
            What happened; the caller acks.

        Raises:
            NotFound: ``job_not_found``.
            TransientError: A backend is unavailable, or the agent failed transiently (the job
                was released to ``pending`` with the attempt counted): redeliver.
        """
        token = uuid.uuid4().hex
        s = self._settings
        seen: list[Job] = []

        def claim(job: Job) -> Job:
            seen.append(job)
            return lifecycle.claim(
                job, token=token, now=self._clock(), lease_seconds=s.lease_seconds, max_attempts=s.max_attempts
            )

        claimed = store.update(job_id, claim)
        if claimed.status.terminal:
            if seen and not seen[-1].status.terminal:  # this claim ended the job (attempts used up, or cancelled)
                job_claimed(claimed, model=claimed.model or s.model_for(claimed.agent), max_attempts=s.max_attempts)
                self._finished(claimed)
                code = claimed.error.code if claimed.error is not None else "job_cancelled"
                return RunOutcome("ran", claimed.job_id, claimed.status.value, code)
            # A redelivery of finished work. Its callback was enqueued when it finished; if that
            # enqueue was lost, the sweeper re-enqueues it, so nothing is enqueued twice here.
            return RunOutcome("already_finished", claimed.job_id, claimed.status.value)
        if not lifecycle.holds_lease(claimed, token):
            log("job.in_progress", tenant_id=claimed.tenant_id, job_id=claimed.job_id)
            return RunOutcome("in_progress", claimed.job_id, claimed.status.value)
        return self._attempt(store, claimed, token)

    # -- one attempt --------------------------------------------------------------------------

    def _attempt(self, store: JobStore, job: Job, token: str) -> RunOutcome:
        log("job.started", tenant_id=job.tenant_id, job_id=job.job_id, agent=job.agent, attempt=job.attempts)
        model = job.model or self._settings.model_for(job.agent)
        job_claimed(job, model=model, max_attempts=self._settings.max_attempts)
        lease = _Lease(store, job, token, settings=self._settings, clock=self._clock)
        ctx = _RunContext(
            tenant_id=job.tenant_id,
            job_id=job.job_id,
            model=model,
            blobs=self._blobs_for(job.tenant_id),
            max_document_bytes=self._settings.max_document_bytes,
            lease=lease,
            clock=self._clock,
        )
        if job.started_at is not None:
            ctx.timings["queued"] = round(max(0.0, (job.started_at - job.created_at).total_seconds()), 6)
        lease.start()
        started = time.perf_counter()
        calls: list[ModelCall] = []
        try:
            with gated(self._plans.gate(job) if self._plans is not None else None), recording() as calls:
                result = self._run_agent(job, ctx)
            ctx.timings["run"] = round(time.perf_counter() - started, 6)
            return self._succeed(lease, token, result, ctx)
        except TransientError as e:
            ctx.timings["run"] = round(time.perf_counter() - started, 6)
            self._release(lease, token, e)
            raise
        except lifecycle.Cancelled:
            ctx.timings.setdefault("run", round(time.perf_counter() - started, 6))
            return self._stop_cancelled(lease, token, ctx, calls)
        except lifecycle.LeaseLost:
            log("job.lease_lost", severity="WARNING", tenant_id=job.tenant_id, job_id=job.job_id)
            return RunOutcome("ran", job.job_id, None, "lease_lost")
        except AgentJobsError as e:
            ctx.timings.setdefault("run", round(time.perf_counter() - started, 6))
            return self._fail(lease, token, e, ctx.timings, ctx, calls=calls)
        except Exception as e:
            # A bug of ours outside the agent (the agent's own crashes are mapped in _run_agent),
            # e.g. while encoding or storing the result. Retrying would repeat it: fail the job.
            telemetry.get().report(e, final_attempt=True)  # a bug: one Sentry issue
            log(
                "job.internal_error",
                severity="ERROR",
                tenant_id=job.tenant_id,
                job_id=job.job_id,
                error_type=type(e).__name__,
                where=where(e),
            )
            error = PermanentError(f"internal error while running the job ({type(e).__name__})", code="internal_error")
            return self._fail(lease, token, error, ctx.timings, ctx, calls=calls)
        finally:
            lease.stop()

    def _run_agent(self, job: Job, ctx: _RunContext) -> AgentResult:
        # pydantic loads with the first job's agent, not at cold start.
        from pydantic import ValidationError

        from common.agents.input_errors import invalid_input

        agent = self._agents(job.agent)
        try:
            payload = agent.input_model.model_validate(job.input)
        except ValidationError as e:
            raise invalid_input(e) from e
        try:
            return agent.run(payload, ctx)
        except (AgentJobsError, lifecycle.LeaseLost):
            raise
        except Exception as e:
            # An unexpected exception inside an agent is almost always deterministic (a parser
            # bug on this input); retrying would loop, so the job fails with a clear code.
            telemetry.get().report(e, final_attempt=True)  # a bug: one Sentry issue, tagged with the job
            log(
                "agent.crashed",
                severity="ERROR",
                tenant_id=job.tenant_id,
                job_id=job.job_id,
                error_type=type(e).__name__,
                where=where(e),
            )
            raise PermanentError(f"the agent failed unexpectedly ({type(e).__name__})", code="agent_error") from e

    def _succeed(self, lease: _Lease, token: str, result: AgentResult, ctx: _RunContext) -> RunOutcome:
        job = lease.job
        # Judged under the lease, before the completion write that stores the verdicts and the
        # callback that announces them (issue 9).
        started = time.perf_counter()
        payload = self._agents(job.agent).input_model.model_validate(job.input)
        judgements, quality = self._judging.judge(job, payload, result)
        ctx.timings["judge"] = round(time.perf_counter() - started, 6)
        # Text from documents may hold unpaired surrogates (a PDF's ToUnicode map can yield
        # U+D800); they cannot be stored as UTF-8, so they become U+FFFD.
        output: dict[str, Any] = scrub_unencodable(result.output.model_dump(mode="json"))
        encoded = json.dumps(output, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        inline: dict[str, Any] | None = output
        result_ref: str | None = None
        trace = ctx.trace()
        with telemetry.get().stage("store"):
            if len(encoded) > self._settings.inline_result_bytes:
                stored = ctx.blobs.write(
                    f"results/{job.job_id}.json", encoded, content_type="application/json", expires_at=job.expires_at
                )
                result_ref, inline = stored.uri, None
            cost, calls = self._price(job, result.usage)
            extra = [*calls, *self._judged(judgements, quality)]
            lease.stop()
            finished = lease.write(
                lambda j: lifecycle.complete(
                    j,
                    token=token,
                    now=self._clock(),
                    result=inline,
                    result_ref=result_ref,
                    timings=ctx.timings,
                    model=result.model,
                    usage=result.usage,
                    cost=cost,
                    judgements=judgements,
                    quality=quality,
                ).replace(trace=trace),
                extra,
            )
        self._finished(finished)
        self._judging.report(finished)
        log(
            "job.succeeded",
            tenant_id=job.tenant_id,
            job_id=job.job_id,
            agent=job.agent,
            result_bytes=len(encoded),
            offloaded=result_ref is not None,
            run_seconds=ctx.timings.get("run"),
        )
        return RunOutcome("ran", job.job_id, finished.status.value)

    def _price(self, job: Job, usage: Usage | None) -> tuple[Cost | None, list[JobEvent]]:
        """The job's cost and one ``model_call`` event per call; ``(None, [])`` without calls.

        Each call is priced at its request time, with the tenant's overrides.

        Pricing never fails a finished job: should it raise, the job is stored without a cost
        (its calls then count as unpriced, never $0), the events without ``cost_usd``, and the
        failure is logged.
        """
        if usage is None or not usage.model_calls:
            return None, []
        try:
            overrides = self._prices_for(job.tenant_id) if self._prices_for is not None else ()
            cost = price_job(usage.model_calls, overrides, now=self._clock())
            calls = [price_call(call, overrides).total_usd for call in usage.model_calls]
        except Exception as e:
            log(
                "job.pricing_failed",
                severity="WARNING",
                tenant_id=job.tenant_id,
                job_id=job.job_id,
                error_type=type(e).__name__,
                where=where(e),
            )
            cost, calls = None, [None] * len(usage.model_calls)
        events = [
            model_call_event(
                model=f"{call.provider}/{call.request_model}",
                at=call.requested_at,
                input_tokens=call.input_tokens,
                output_tokens=call.output_tokens,
                cost_usd=float(usd) if usd is not None else None,
            )
            for call, usd in zip(usage.model_calls, calls, strict=True)
        ]
        return cost, events

    def _judged(self, judgements: Sequence[Judgement], quality: Quality | None) -> list[JobEvent]:
        event = judged_event(judgements, quality, at=self._clock())
        return [] if event is None else [event]

    def _spent(self, job: Job, calls: list[ModelCall]) -> tuple[Usage | None, Cost | None, list[JobEvent]]:
        """Usage, cost and ``model_call`` events of a run that did not succeed: its calls were billed all the same."""
        if not calls:
            return None, None, []
        usage = Usage.of_calls(tuple(calls))
        cost, events = self._price(job, usage)
        return usage, cost, events

    def _fail(
        self,
        lease: _Lease,
        token: str,
        error: AgentJobsError,
        timings: dict[str, float],
        ctx: _RunContext,
        *,
        calls: list[ModelCall],
    ) -> RunOutcome:
        lease.stop()
        job = lease.job
        trace = ctx.trace()
        usage, cost, events = self._spent(job, calls)
        try:
            with telemetry.get().stage("store"):
                finished = lease.write(
                    lambda j: lifecycle.fail(
                        j,
                        token=token,
                        now=self._clock(),
                        error=_job_error(error),
                        timings=timings,
                        model=(ctx.model or f"{calls[-1].provider}/{calls[-1].request_model}") if calls else None,
                        usage=usage,
                        cost=cost,
                    ).replace(trace=trace),
                    events,
                )
        except lifecycle.LeaseLost:
            log("job.lease_lost", severity="WARNING", tenant_id=job.tenant_id, job_id=job.job_id)
            return RunOutcome("ran", job.job_id, None, "lease_lost")
        self._finished(finished)
        log("job.failed", severity="WARNING", tenant_id=job.tenant_id, job_id=job.job_id, code=error.error_code)
        return RunOutcome("ran", job.job_id, finished.status.value, error.error_code)

    def _stop_cancelled(self, lease: _Lease, token: str, ctx: _RunContext, calls: list[ModelCall]) -> RunOutcome:
        lease.stop()
        job = lease.job
        trace = ctx.trace()
        usage, cost, events = self._spent(job, calls)
        try:
            with telemetry.get().stage("store"):
                finished = lease.write(
                    lambda j: lifecycle.stop_cancelled(
                        j, token=token, now=self._clock(), timings=ctx.timings, usage=usage, cost=cost
                    ).replace(trace=trace),
                    events,
                )
        except lifecycle.LeaseLost:
            return RunOutcome("ran", job.job_id, None, "lease_lost")
        self._finished(finished)
        log("job.cancelled", tenant_id=job.tenant_id, job_id=job.job_id)
        return RunOutcome("ran", job.job_id, finished.status.value, "job_cancelled")

    def _release(self, lease: _Lease, token: str, error: TransientError) -> None:
        lease.stop()
        job = lease.job
        try:
            # Throttling (our limits, or the provider's 429) is no failure of the job: no attempt spent.
            refund = error.error_code in _THROTTLED
            lease.write(
                lambda j: lifecycle.release(
                    j, token=token, now=self._clock(), error=_job_error(error), refund_attempt=refund
                )
            )
        except lifecycle.LeaseLost:
            return
        except AgentJobsError:
            # The store is down too: the lease runs out and the sweeper requeues the job.
            log("job.release_failed", severity="WARNING", tenant_id=job.tenant_id, job_id=job.job_id)
            return
        log("job.released", severity="WARNING", tenant_id=job.tenant_id, job_id=job.job_id, code=error.error_code)

    def _finished(self, job: Job) -> None:
        job_finished(job)
        if self._callbacks is not None:
            with telemetry.get().stage("enqueue_callback"):
                self._callbacks.schedule(job)
        self.settle(job)

    def settle(self, job: Job) -> None:
        """Settle a job that reached a terminal status against its tenant's budget (no-op without plans)."""
        if self._plans is not None:
            self._plans.settle(job)


_THROTTLED = frozenset({"rate_limited", "model_rate_limited"})


def _job_error(error: AgentJobsError) -> JobError:
    return JobError(error.error_code, error.message)
