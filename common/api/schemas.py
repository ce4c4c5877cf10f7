"""Pydantic models of the HTTP API's envelopes, for the OpenAPI document.

The handlers build these shapes as plain dicts (``status`` must not import pydantic at cold
start); ``tests/unit/api/test_openapi.py`` validates real responses against these models so the
document and the code cannot drift apart.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from common.api.envelope import SUBMIT_ENVELOPE_FIELDS
from common.boundary.input_limits import (
    MAX_CALLBACK_URL_CHARS,
    MAX_LABEL_VALUE_CHARS,
    MAX_LABELS,
    MAX_MODEL_CHARS,
)
from common.boundary.text import LABEL_KEY
from common.services.model_policy import MODEL_ID_PATTERN

__all__ = [
    "SUBMIT_ENVELOPE_FIELDS",
    "CallbackAttemptView",
    "CostView",
    "ErrorBody",
    "ErrorDetail",
    "JobErrorCause",
    "JobErrorView",
    "JobLinks",
    "JobList",
    "JobView",
    "ModelCallView",
    "RejectionList",
    "RejectionView",
    "SubmitAccepted",
    "SubmitEnvelope",
    "TraceStageView",
    "TraceView",
    "UploadRequest",
    "UploadTicket",
    "UsageCountsView",
    "UsageReport",
    "UsageRowView",
    "UsageView",
]


_STATUSES = Literal["pending", "running", "success", "failed", "cancelled", "deleted"]


class ErrorDetail(BaseModel):
    """A machine-readable error."""

    model_config = ConfigDict(extra="allow")

    code: str = Field(examples=["invalid_api_key"])
    message: str


class ErrorBody(BaseModel):
    """Every 4xx/5xx answer: ``{"error": {"code", "message", ...}}``."""

    error: ErrorDetail


class JobLinks(BaseModel):
    """Where to find the job."""

    self: str = Field(description="Status URL of the job (GET with the API key).")


_NO_CONTROL = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"  # what common.boundary.text.valid_text accepts


def _nullable(schema: dict[str, Any]) -> WithJsonSchema:
    return WithJsonSchema({"anyOf": [schema, {"type": "null"}]})


class SubmitEnvelope(BaseModel):
    """Fields accepted beside any agent's input fields.

    The schemas state the limits submit enforces (:meth:`SubmitService._envelope`), so that a
    request the document accepts is refused only for what no schema can say: a callback host
    that does not resolve or resolves privately (422), a model off the tenant's allow-list (403).
    """

    callback_url: Annotated[
        str | None,
        _nullable(
            {
                "type": "string",
                "maxLength": MAX_CALLBACK_URL_CHARS,
                "pattern": r"^https://[^\x00-\x20\x7f/?#@\[\]\\]+(?:[/?#][^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*)?$",
            }
        ),
    ] = Field(default=None, description="https URL to receive a Standard Webhooks-signed event when the job ends.")
    metadata: Annotated[
        dict[str, str] | None,
        _nullable(
            {
                "type": "object",
                "maxProperties": MAX_LABELS,
                "propertyNames": {"pattern": f"^{LABEL_KEY.pattern}$"},
                "additionalProperties": {"type": "string", "maxLength": MAX_LABEL_VALUE_CHARS, "pattern": _NO_CONTROL},
            }
        ),
    ] = Field(default=None, description="Up to 32 string labels (keys: 1-64 of [A-Za-z0-9_.-]), echoed back.")
    model: Annotated[
        str | None, _nullable({"type": "string", "maxLength": MAX_MODEL_CHARS, "pattern": MODEL_ID_PATTERN.pattern})
    ] = Field(
        default=None,
        description="provider/model override; must be on the tenant's allow-list.",
        examples=["openai/gpt-4o-mini"],
    )


class SubmitAccepted(BaseModel):
    """``202`` (created) or ``200`` (replayed by Idempotency-Key; ``deleted`` if since erased)."""

    job_id: str
    status: _STATUSES
    links: JobLinks


class JobErrorCause(BaseModel):
    """The last attempt's error, kept when another reason ended the job."""

    code: str
    message: str


class JobErrorView(BaseModel):
    """Why a job failed."""

    code: str
    message: str
    cause: JobErrorCause | None = Field(
        default=None,
        description="For attempts_exhausted and delivery_exhausted: the error of the last attempt.",
    )


_USD = r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$"
USD_FIELD = Field(
    pattern=_USD, description="USD as an exact decimal string; null when no call was priced (never a made-up 0)."
)


class ModelCallView(BaseModel):
    """One model call, as the provider reported it (tokens)."""

    provider: str = Field(examples=["openai"])
    request_model: str = Field(description="The model asked for.", examples=["gpt-4o-mini"])
    response_model: str | None = Field(
        description="The model id the provider answered with.", examples=["gpt-4o-mini-2024-07-18"]
    )
    requested_at: str | None = Field(description="When the request was sent (UTC); the prices in force then apply.")
    input_tokens: int = Field(description="All input tokens, cache reads and writes included.")
    output_tokens: int = Field(description="All output tokens, reasoning included.")
    cache_read_tokens: int
    cache_write_tokens: int
    reasoning_tokens: int
    seconds: float = Field(description="Duration of the call (s).")


class UsageView(BaseModel):
    """Model token usage, summed over the job's calls (tokens)."""

    input_tokens: int = Field(description="Cache reads and writes included.")
    output_tokens: int = Field(description="Reasoning included.")
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    document_tokens: int | None = None
    calls: int
    model_calls: list[ModelCallView] | None = Field(
        default=None, description="One entry per call, oldest first (GET /v1/jobs/{job_id} only)."
    )


class CostView(BaseModel):
    """The job's model cost, with where the prices came from."""

    total_usd: Annotated[str | None, USD_FIELD]
    input_usd: Annotated[str | None, USD_FIELD]
    output_usd: Annotated[str | None, USD_FIELD]
    priced_calls: int
    unpriced_calls: int = Field(description="Calls of models with no known price; when > 0 the sums are a lower bound.")
    price_source: str = Field(
        description="genai-prices==<version> (list prices at each call's request time), "
        "tenant-override, or both joined by +; empty when nothing was priced.",
        examples=["genai-prices==0.2.3"],
    )
    priced_at: str | None = Field(description="When the cost was computed (UTC).")


class CallbackAttemptView(BaseModel):
    """One callback delivery attempt (never the body)."""

    at: str | None
    event: str
    http_status: int | None
    latency_ms: float
    error: str | None = None


class JudgementView(BaseModel):
    """One judge's verdict on a successful job's output (never quotes the output or the input)."""

    judge: str = Field(description="e.g. criteria_on_cited_page, verdict_follows_rule, llm_rubric.")
    version: str
    pass_: bool | None = Field(alias="pass", description="null when the judge gave no verdict (see reason_code).")
    score: float = Field(ge=0.0, le=1.0)
    reason_code: str = Field(description="ok, a failure code, or judge_error, judge_timeout, not_sampled.")
    reason: str = Field(description="Names criteria by id or index, never by their text.")
    at: str | None
    model: str | None = Field(default=None, description="The LLM judge's provider/model.")
    usage: UsageView | None = None
    cost: CostView | None = None


class FeedbackView(BaseModel):
    """A reviewer's verdict on the output (codes only)."""

    verdict: Literal["correct", "incorrect", "partial"]
    field: str | None = None
    comment_code: str | None = None
    at: str | None


class TraceStageView(BaseModel):
    """One stage or model call of the job's last attempt."""

    name: str = Field(description="Stage name (e.g. download), or the model for a model call.")
    kind: Literal["stage", "model_call"]
    start_s: float = Field(description="Seconds after started_at.")
    seconds: float
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_tokens: int | None = None


class TraceView(BaseModel):
    """Where the job's telemetry is, and its stage timeline (``agentjobs jobs trace``)."""

    trace_id: str = Field(description="W3C trace id, as exported to Sentry and OTLP backends when configured.")
    spans: list[TraceStageView]


class JobView(BaseModel):
    """A job as ``GET /v1/jobs/{job_id}`` returns it."""

    job_id: str
    agent: str
    status: _STATUSES = Field(
        description="cancelled: the client cancelled it. deleted: the job was erased and this is its tombstone "
        "(ids and timestamps only)."
    )
    created_at: str | None
    updated_at: str | None
    attempts: int
    source: Literal["gcs", "https", "pubsub"]
    started_at: str | None = None
    finished_at: str | None = None
    timings: dict[str, float] = Field(description="Stage durations in seconds.")
    links: JobLinks
    expires_at: str | None = Field(
        default=None, description="When the job and its files are deleted: creation + the tenant's retention."
    )
    deleted_at: str | None = Field(default=None, description="When the job was erased (tombstones only).")
    cancel_requested_at: str | None = Field(
        default=None,
        description="When a cancellation of the running job was asked for; it ends `cancelled` once its "
        "attempt stops at its next checkpoint.",
    )
    retries: int | None = Field(default=None, description="How often the failed job was retried by its client.")
    metadata: dict[str, str] | None = None
    model: str | None = None
    usage: UsageView | None = None
    cost: CostView | None = Field(default=None, description="Present once a job that called a model is priced.")
    error: JobErrorView | None = None
    result: dict[str, Any] | None = Field(default=None, description="The agent's output (see its schema) on success.")
    result_ref: str | None = Field(default=None, description="gs:// URI when the result was too large to inline.")
    callbacks: list[CallbackAttemptView] | None = None
    callback_status: Literal["pending", "delivered", "failing", "abandoned"] | None = Field(
        default=None,
        description="Where the signed callback stands; absent when the job has no callback URL or has not finished.",
    )
    callback_error: str | None = Field(default=None, description="The last failed attempt's reason, e.g. http_503.")
    quality: Literal["passed", "flagged", "not_judged"] | None = Field(
        default=None,
        description="What the judges made of a successful job's output; the status stays success when flagged.",
    )
    judgements: list[JudgementView] | None = None
    feedback: list[FeedbackView] | None = None
    trace: TraceView | None = Field(default=None, description="Trace id and stage timeline of the last attempt.")


class JobList(BaseModel):
    """``GET /v1/jobs``: newest first."""

    jobs: list[JobView]
    count: int
    next_page_token: str | None = Field(
        default=None,
        description="Present when more jobs match: pass it as `page_token`, with the same filters, for the next page.",
    )


class RejectionView(BaseModel):
    """A delivery of the tenant's that could never form a job: its reason, never its content."""

    rejection_id: str
    code: str = Field(examples=["unknown_agent"])
    reason: str
    received_at: str | None


class RejectionList(BaseModel):
    """``GET /v1/rejections``: newest first."""

    rejections: list[RejectionView]
    count: int
    next_page_token: str | None = Field(default=None, description="Present when more rejections exist.")


class UploadRequest(BaseModel):
    """``POST /v1/uploads``: what will be uploaded. The file name is checked, never stored."""

    model_config = ConfigDict(extra="forbid")

    filename: Annotated[
        str, WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 255, "pattern": _NO_CONTROL})
    ]
    content_type: Literal["application/pdf"]
    size_bytes: int = Field(ge=1, description="The exact size of the document (bytes).")


class UploadTicket(BaseModel):
    """Where to ``PUT`` the document, and the ``file_uri`` to submit afterwards."""

    upload_id: str = Field(description="For `DELETE /v1/uploads/{upload_id}`.")
    file_uri: str = Field(description="Submit this as the job's `file_uri` once the PUT succeeded.")
    upload_url: str = Field(description="V4 signed URL, valid until `expires_at`, for one PUT of this document.")
    method: Literal["PUT"]
    headers: dict[str, str] = Field(description="Send exactly these headers with the PUT (they are signed).")
    expires_at: str | None
    max_bytes: int


class UsageCountsView(BaseModel):
    """Counters of finished jobs (tokens; USD as a decimal string)."""

    jobs: int = Field(description="Jobs finished (succeeded + failed + cancelled).")
    succeeded: int
    failed: int
    cancelled: int
    calls: int = Field(description="Model calls.")
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    reasoning_tokens: int
    cost_usd: str = Field(pattern=_USD, description="Cost of the priced calls (USD, exact decimal string).")
    priced_calls: int
    unpriced_calls: int = Field(description="Calls without a known price, not in cost_usd (a lower bound then).")


class UsageRowView(UsageCountsView):
    """One group: a day (YYYY-MM-DD, UTC), an agent, or a provider/model."""

    key: str


class UsageReport(BaseModel):
    """``GET /v1/usage``: the tenant's finished jobs from daily counters."""

    from_: str = Field(alias="from", description="First UTC day (YYYY-MM-DD), included.")
    to: str = Field(description="Last UTC day (YYYY-MM-DD), included.")
    group_by: Literal["day", "agent", "model"]
    rows: list[UsageRowView] = Field(description="Sorted by key; days and groups without finished jobs are omitted.")
    total: UsageCountsView
