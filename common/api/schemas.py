"""Pydantic models of the HTTP API's envelopes, for the OpenAPI document.

The handlers build these shapes as plain dicts (``status`` must not import pydantic at cold
start); ``tests/unit/api/test_openapi.py`` validates real responses against these models so the
document and the code cannot drift apart.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from common.boundary.text import LABEL_KEY
from common.services.model_policy import MODEL_ID_PATTERN

__all__ = [
    "SUBMIT_ENVELOPE_FIELDS",
    "CallbackAttemptView",
    "ErrorBody",
    "ErrorDetail",
    "JobErrorCause",
    "JobErrorView",
    "JobLinks",
    "JobList",
    "JobView",
    "RejectionList",
    "RejectionView",
    "SubmitAccepted",
    "SubmitEnvelope",
    "UploadRequest",
    "UploadTicket",
    "UsageView",
]

SUBMIT_ENVELOPE_FIELDS = ("callback_url", "metadata", "model")
"""The envelope's fields (beside any agent's input fields)."""

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
                "maxLength": 2048,
                "pattern": r"^https://[^\x00-\x20\x7f/?#@\[\]\\]+(?:[/?#][^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*)?$",
            }
        ),
    ] = Field(default=None, description="https URL to receive a Standard Webhooks-signed event when the job ends.")
    metadata: Annotated[
        dict[str, str] | None,
        _nullable(
            {
                "type": "object",
                "maxProperties": 32,
                "propertyNames": {"pattern": f"^{LABEL_KEY.pattern}$"},
                "additionalProperties": {"type": "string", "maxLength": 512, "pattern": _NO_CONTROL},
            }
        ),
    ] = Field(default=None, description="Up to 32 string labels (keys: 1-64 of [A-Za-z0-9_.-]), echoed back.")
    model: Annotated[
        str | None, _nullable({"type": "string", "maxLength": 200, "pattern": MODEL_ID_PATTERN.pattern})
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


class UsageView(BaseModel):
    """Model token usage."""

    input_tokens: int
    output_tokens: int
    document_tokens: int | None = None
    calls: int


class CallbackAttemptView(BaseModel):
    """One callback delivery attempt (never the body)."""

    at: str | None
    event: str
    http_status: int | None
    latency_ms: float
    error: str | None = None


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
    error: JobErrorView | None = None
    result: dict[str, Any] | None = Field(default=None, description="The agent's output (see its schema) on success.")
    result_ref: str | None = Field(default=None, description="gs:// URI when the result was too large to inline.")
    callbacks: list[CallbackAttemptView] | None = None
    callback_status: Literal["pending", "delivered", "failing", "abandoned"] | None = Field(
        default=None,
        description="Where the signed callback stands; absent when the job has no callback URL or has not finished.",
    )
    callback_error: str | None = Field(default=None, description="The last failed attempt's reason, e.g. http_503.")


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
