"""The job record.

A job is stored at ``tenants/{tenant_id}/jobs/{job_id}``. The record is a frozen dataclass so the
lifecycle functions in :mod:`common.jobs.lifecycle` stay pure (``old job -> new job``) and so
that the ``status`` function can read jobs without importing pydantic (cold start is measured).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from common.costs.models import Cost
    from common.judges.feedback import Feedback
    from common.judges.models import Judgement, Quality

__all__ = [
    "CallbackAttempt",
    "CallbackStatus",
    "Job",
    "JobError",
    "JobStatus",
    "JobTrace",
    "ModelCall",
    "Source",
    "StageTiming",
    "Usage",
]


class JobStatus(StrEnum):
    """Job statuses, as named in the design notes."""

    PENDING = "pending"
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"
    CANCELLED = "cancelled"
    DELETED = "deleted"

    @property
    def terminal(self) -> bool:
        """True for ``success``, ``failed``, ``cancelled`` and ``deleted``.

        No delivery changes a terminal job again. ``deleted`` is an erased job's tombstone
        (:mod:`common.retention.erasure`); only a client's retry (``POST /v1/jobs/{id}:retry``)
        turns a ``failed`` job back to ``pending``.
        """
        return self in (JobStatus.SUCCESS, JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.DELETED)


class Source(StrEnum):
    """How the job reached the system."""

    GCS = "gcs"
    HTTPS = "https"
    PUBSUB = "pubsub"


class CallbackStatus(StrEnum):
    """Where a finished job's callback stands.

    ``pending``: enqueued, no attempt answered yet; ``delivered``: a 2xx came back;
    ``failing``: attempts failed and retries are scheduled; ``abandoned``: the last attempt the
    queue allows failed, nothing more will be sent.
    """

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILING = "failing"
    ABANDONED = "abandoned"


@dataclass(frozen=True, slots=True)
class JobError:
    """Why a job failed (or why its last attempt was released for retry).

    Attributes:
        code: Stable snake_case code, e.g. ``no_text_layer``.
        message: Human explanation. Never contains document or patient content.
        cause: The error of the last attempt when this error ends a job for another reason
            (``attempts_exhausted``, ``delivery_exhausted``), so its cause is never lost.
    """

    code: str
    message: str
    cause: JobError | None = None


@dataclass(frozen=True, slots=True)
class ModelCall:
    """What one model call used, as the provider reported it. Priced later by :mod:`common.costs`.

    Token counts follow mirascope's ``Usage`` (and OpenAI's) convention: ``input_tokens``
    includes the cache-read and cache-write tokens, ``output_tokens`` includes the reasoning
    tokens.

    Attributes:
        provider: mirascope provider id, e.g. ``openai``, ``anthropic``, ``ollama``.
        request_model: The model asked for without the provider prefix or ``:api`` suffix,
            e.g. ``gpt-4o-mini``.
        response_model: The model id the provider answered with (e.g.
            ``gpt-4o-mini-2024-07-18``), or ``None`` when it did not say.
        requested_at: When the request was sent (UTC); prices in force then apply.
        input_tokens: All input tokens (tokens).
        output_tokens: All output tokens (tokens).
        cache_read_tokens: Input tokens read from the provider's prompt cache (tokens).
        cache_write_tokens: Input tokens written to the prompt cache (tokens).
        reasoning_tokens: Output tokens spent on reasoning (tokens).
        seconds: Duration of the call (s).
    """

    provider: str
    request_model: str
    response_model: str | None
    requested_at: datetime
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class Usage:
    """Model token usage of one job, summed over its model calls.

    Attributes:
        input_tokens: Tokens sent to the model (including cache reads and writes).
        output_tokens: Tokens received from the model (including reasoning tokens).
        document_tokens: Estimated tokens of the whole source document, when the agent reads
            one, so the saving of sending only selected pages can be seen.
        calls: Number of model calls.
        cache_read_tokens: Input tokens read from the provider's prompt cache.
        cache_write_tokens: Input tokens written to the prompt cache.
        reasoning_tokens: Output tokens spent on reasoning.
        model_calls: One record per call, oldest first, for pricing and the trace timeline.
            Empty for jobs stored before per-call records existed.
    """

    input_tokens: int = 0
    output_tokens: int = 0
    document_tokens: int | None = None
    calls: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    model_calls: tuple[ModelCall, ...] = ()

    @classmethod
    def of_calls(cls, calls: tuple[ModelCall, ...], *, document_tokens: int | None = None) -> Usage:
        """The sums over ``calls``, keeping the calls."""
        return cls(
            input_tokens=sum(c.input_tokens for c in calls),
            output_tokens=sum(c.output_tokens for c in calls),
            document_tokens=document_tokens,
            calls=len(calls),
            cache_read_tokens=sum(c.cache_read_tokens for c in calls),
            cache_write_tokens=sum(c.cache_write_tokens for c in calls),
            reasoning_tokens=sum(c.reasoning_tokens for c in calls),
            model_calls=calls,
        )


@dataclass(frozen=True, slots=True)
class CallbackAttempt:
    """One delivery attempt of a job's callback. Never holds the body.

    Attributes:
        at: When the attempt started (UTC).
        event: ``job.completed`` or ``job.failed``.
        http_status: The receiver's HTTP status, or ``None`` when no answer came.
        latency_ms: Round trip in milliseconds.
        error: Short reason when no answer came (``timeout``, ``connect_error``).
    """

    at: datetime
    event: str
    http_status: int | None
    latency_ms: float
    error: str | None = None


@dataclass(frozen=True, slots=True)
class StageTiming:
    """One stage of a job's last attempt, for the stage timeline (``agentjobs jobs trace``).

    Attributes:
        name: Stage name, e.g. ``download`` or ``extract_text``.
        start_s: When it started, counted from the attempt's ``started_at`` (s).
        seconds: How long it took (s).
    """

    name: str
    start_s: float
    seconds: float


@dataclass(frozen=True, slots=True)
class JobTrace:
    """Where a job's telemetry is: its trace id and the stage timeline of its last attempt.

    Written with the job's completion (no extra write), so the timeline is readable without a
    trace backend; model calls come from ``Usage.model_calls`` (request time and duration).

    Attributes:
        trace_id: The W3C trace id of the attempt (32 hex digits), as exported to Sentry and
            OTLP backends when they are configured.
        stages: Stages in the order they ended.
    """

    trace_id: str
    stages: tuple[StageTiming, ...] = ()


@dataclass(frozen=True, slots=True)
class Job:
    """A job and everything the system knows about its progress.

    Attributes:
        job_id: Unique within the tenant; deterministic for GCS drops and idempotent requests.
        tenant_id: Owner. Every store is scoped to it.
        agent: Agent name, e.g. ``protocol-processor``.
        status: See :class:`JobStatus`.
        input: The agent's input as JSON (validated by the agent's input model).
        source: How the job arrived.
        created_at: Creation time (UTC).
        updated_at: Last change (UTC).
        attempts: Number of times a worker claimed the job.
        started_at: When the latest attempt started.
        finished_at: When the job reached a terminal status.
        lease_token: Token of the worker holding the current attempt; fences stale workers.
        lease_expires_at: After this time another delivery may take the job over.
        result: The agent's output as JSON, when small enough to live in the document.
        result_ref: ``gs://`` URI of the output when it was too large for the document.
        error: Why the job failed, or why the last attempt was released.
        timings: Stage durations in seconds, e.g. ``{"extract_text": 0.41}``.
        callback_url: Where to deliver the signed completion event, if anywhere: the request's
            URL, else the tenant's default webhook when the job was created.
        metadata: Caller-supplied string labels, echoed back, never interpreted.
        model: ``provider/model`` used, when the agent called a model.
        usage: Token usage, when the agent called a model.
        callbacks: Callback delivery attempts, oldest first.
        cost: Model cost in USD with its price source, once priced (see :mod:`common.costs`);
            ``None`` when the job made no model call or was not priced yet.
        callback_status: Where the callback stands, ``None`` when the job has no callback URL
            or has not finished.
        callback_error: The last failed attempt's short reason (``http_503``, ``timeout``).
        callback_updated_at: When ``callback_status`` last changed (UTC); the sweeper re-enqueues
            callbacks that stay ``pending`` too long.
        expires_at: When the job and its blobs are deleted (UTC): creation time plus the tenant's
            retention (:mod:`common.retention.policy`). Firestore's TTL policy acts on it.
        deleted_at: When the job was erased (UTC); set only on a ``deleted`` tombstone.
        cancel_requested_at: When the client asked to cancel the job while an attempt held a
            live lease (UTC); the attempt stops at its next checkpoint and the job ends
            ``cancelled``.
        retries: How many times the client re-ran the job after it failed
            (``POST /v1/jobs/{id}:retry``); distinguishes each outcome's callback event.
        judgements: The judges' verdicts on a successful job's output (:mod:`common.judges`),
            stored with the result in the same write.
        quality: ``passed``, ``flagged`` or ``not_judged`` for a judged successful job; ``None``
            otherwise. The status stays ``success`` whatever the quality.
        feedback: Reviewers' feedback on the output (:mod:`common.judges.feedback`), oldest first.
        trace: Trace id and stage timeline of the attempt that finished the job, if it ran.
        event_seq: The ``seq`` of the job's last event (:mod:`common.events`), ``0`` before the
            first; every write that appends events sets it in the same commit.
        revision: The store's version of this record (opaque), for conditional writes; not
            stored in the record itself.
    """

    job_id: str
    tenant_id: str
    agent: str
    status: JobStatus
    input: dict[str, Any]
    source: Source
    created_at: datetime
    updated_at: datetime
    attempts: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    lease_token: str | None = None
    lease_expires_at: datetime | None = None
    result: dict[str, Any] | None = None
    result_ref: str | None = None
    error: JobError | None = None
    timings: dict[str, float] = field(default_factory=dict[str, float])
    callback_url: str | None = None
    metadata: dict[str, str] = field(default_factory=dict[str, str])
    model: str | None = None
    usage: Usage | None = None
    callbacks: tuple[CallbackAttempt, ...] = ()
    cost: Cost | None = None
    callback_status: CallbackStatus | None = None
    callback_error: str | None = None
    callback_updated_at: datetime | None = None
    expires_at: datetime | None = None
    deleted_at: datetime | None = None
    cancel_requested_at: datetime | None = None
    retries: int = 0
    judgements: tuple[Judgement, ...] = ()
    quality: Quality | None = None
    feedback: tuple[Feedback, ...] = ()
    trace: JobTrace | None = None
    event_seq: int = 0
    revision: str | None = None

    def replace(self, **changes: Any) -> Job:
        """A copy with ``changes`` applied."""
        return dataclasses.replace(self, **changes)
