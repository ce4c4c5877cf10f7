"""The typed messages ``run_agent`` handles, one per kind of delivery.

:func:`common.messaging.parse.parse_delivery` turns any HTTP delivery into exactly one of these.
Every id in them has passed the id grammar (:mod:`common.boundary.ids`) and every client string
is bounded, so the services never see raw message text. A delivery that cannot form a job
becomes :class:`Rejected` (recorded, then acked), :class:`InvalidJobRequest` (a failed job in a
known tenant) or :class:`Ignored` (acked quietly), never an exception, so a bad message can
never loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "DeadLettered",
    "Delivery",
    "Ignored",
    "InvalidJobRequest",
    "JobQueued",
    "JobRequest",
    "ObjectFinalized",
    "Rejected",
    "SweepTick",
    "traceparent_of",
]


@dataclass(frozen=True, slots=True)
class ObjectFinalized:
    """A Cloud Storage object was finalized (created or overwritten).

    Attributes:
        bucket: Bucket name (bounded; compared with ours before use).
        name: Object name (client-chosen; never logged).
        generation: Object generation (a 64-bit non-negative integer).
        size: Object size in bytes, when the event carries it.
        content_type: The object's content type, when the event carries it (bounded).
        event_id: CloudEvent id or Pub/Sub message id (see :func:`common.boundary.ids.event_ref`).
        traceparent: The CloudEvent's W3C ``traceparent`` (Distributed Tracing extension; binary
            mode ``ce-traceparent``), when Eventarc sent a valid one.
    """

    bucket: str
    name: str
    generation: int
    size: int | None
    content_type: str | None
    event_id: str
    traceparent: str | None = None


@dataclass(frozen=True, slots=True)
class JobQueued:
    """``submit`` (or the sweeper) stored a job and asks for it to run. Both ids are valid."""

    tenant_id: str
    job_id: str
    event_id: str
    traceparent: str | None = None
    """The W3C ``traceparent`` the message carried (valid), continuing the job's trace."""


@dataclass(frozen=True, slots=True)
class JobRequest:
    """An upstream system asks for a job through the requests topic.

    Attributes:
        tenant_id: From the ``tenant_id`` message attribute (valid tenant id).
        agent: Agent name (valid agent id; may still be unknown).
        input: Agent input as JSON (storable; validated later by the agent's input model).
        message_id: Pub/Sub message id (valid event id).
        callback_url: Optional callback URL (bounded; checked by the URL policy later).
        idempotency_key: Optional key (printable ASCII, ≤ 255); the message id is used when absent.
        metadata: Optional caller labels (≤ 32 keys of the label grammar, values ≤ 512 chars).
        model: Optional ``provider/model`` override (bounded; must be on the tenant's allow-list).
        traceparent: The W3C ``traceparent`` attribute, when the upstream system sent a valid one.
    """

    tenant_id: str
    agent: str
    input: dict[str, Any]
    message_id: str
    callback_url: str | None = None
    idempotency_key: str | None = None
    metadata: dict[str, str] = field(default_factory=dict[str, str])
    model: str | None = None
    traceparent: str | None = None


@dataclass(frozen=True, slots=True)
class InvalidJobRequest:
    """A request from a named tenant that can never run: it becomes a failed job, visible to the tenant.

    Attributes:
        tenant_id: Valid tenant id (its existence is checked by the service).
        agent: Valid agent id.
        message_id: Valid event id.
        idempotency_key: The request's key when it had a valid one, so the failed job gets the
            same id a redelivery of this request derives.
        code: Machine-readable reason, e.g. ``json_too_deep``.
        reason: Human reason; never quotes the request.
    """

    tenant_id: str
    agent: str
    message_id: str
    idempotency_key: str | None
    code: str
    reason: str


@dataclass(frozen=True, slots=True)
class SweepTick:
    """A periodic tick (Cloud Scheduler in production, a timer on the local stack): run the sweeper."""

    event_id: str


@dataclass(frozen=True, slots=True)
class Rejected:
    """A delivery that can never form a job. Recorded with its reason, then acked.

    Attributes:
        event_id: Event reference (valid id or its hash); ``""`` when the envelope had none.
        code: Machine-readable reason, e.g. ``malformed_envelope``.
        reason: Human reason. Never contains the payload or any message-supplied string.
        tenant_id: The tenant named by the message, when it named a valid one.
    """

    event_id: str
    code: str
    reason: str
    tenant_id: str | None = None


@dataclass(frozen=True, slots=True)
class Ignored:
    """A well-formed delivery that asks for nothing (e.g. an object deletion event)."""

    event_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class DeadLettered:
    """A message Pub/Sub gave up on, pushed again from the dead-letter topic.

    Attributes:
        original: What the message would have been as a normal delivery.
        event_id: The dead-letter delivery's message id.
        delivery_attempts: Deliveries before it was dead-lettered, when Pub/Sub says.
    """

    original: ObjectFinalized | JobQueued | JobRequest | InvalidJobRequest | SweepTick | Rejected | Ignored
    event_id: str
    delivery_attempts: int | None = None


Delivery = ObjectFinalized | JobQueued | JobRequest | InvalidJobRequest | SweepTick | Rejected | Ignored | DeadLettered


def traceparent_of(delivery: Delivery) -> str | None:
    """The W3C ``traceparent`` a delivery carried (a dead-lettered one's original's), or ``None``."""
    inner = delivery.original if isinstance(delivery, DeadLettered) else delivery
    return inner.traceparent if isinstance(inner, JobQueued | JobRequest | ObjectFinalized) else None
