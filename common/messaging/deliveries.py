"""The typed messages ``run_agent`` handles, one per kind of delivery.

:func:`common.messaging.parse.parse_delivery` turns any HTTP delivery into exactly one of these.
A delivery that cannot form a job becomes :class:`Rejected` (recorded, then acked) or
:class:`Ignored` (acked quietly), never an exception, so a bad message can never loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Delivery", "Ignored", "JobQueued", "JobRequest", "ObjectFinalized", "Rejected"]


@dataclass(frozen=True, slots=True)
class ObjectFinalized:
    """A Cloud Storage object was finalized (created or overwritten).

    Attributes:
        bucket: Bucket name.
        name: Object name.
        generation: Object generation (decimal string).
        size: Object size in bytes, when the event carries it.
        content_type: The object's content type, when the event carries it.
        event_id: CloudEvent id or Pub/Sub message id, for logs.
    """

    bucket: str
    name: str
    generation: str
    size: int | None
    content_type: str | None
    event_id: str


@dataclass(frozen=True, slots=True)
class JobQueued:
    """``submit`` stored a pending job and asks for it to run."""

    tenant_id: str
    job_id: str
    event_id: str


@dataclass(frozen=True, slots=True)
class JobRequest:
    """An upstream system asks for a job through the requests topic.

    Attributes:
        tenant_id: From the ``tenant_id`` message attribute.
        agent: Agent name.
        input: Agent input as JSON (validated later by the agent's input model).
        callback_url: Optional callback URL.
        idempotency_key: Optional key; the message id is used when absent.
        metadata: Optional caller labels.
        model: Optional ``provider/model`` override (must be on the tenant's allow-list).
        message_id: Pub/Sub message id.
    """

    tenant_id: str
    agent: str
    input: dict[str, Any]
    message_id: str
    callback_url: str | None = None
    idempotency_key: str | None = None
    metadata: dict[str, str] = field(default_factory=dict[str, str])
    model: str | None = None


@dataclass(frozen=True, slots=True)
class Rejected:
    """A delivery that can never form a job. Recorded with its reason, then acked.

    Attributes:
        event_id: CloudEvent id or Pub/Sub message id; ``""`` when the envelope had none.
        code: Machine-readable reason, e.g. ``malformed_envelope``.
        reason: Human reason. Never contains the payload.
        tenant_id: The tenant named by the message, when it named one.
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


Delivery = ObjectFinalized | JobQueued | JobRequest | Rejected | Ignored
