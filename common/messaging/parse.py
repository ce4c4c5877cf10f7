"""Parse an HTTP delivery to ``run_agent`` into one typed message.

Three envelope shapes reach ``run_agent``:

* a CloudEvent in binary mode (``ce-*`` headers) or structured mode
  (``Content-Type: application/cloudevents+json``), as Eventarc sends in production, carrying
  either ``google.cloud.storage.object.v1.finalized`` (data: the object resource) or
  ``google.cloud.pubsub.topic.v1.messagePublished`` (data: ``{"message": ..., "subscription"}``);
* a plain Pub/Sub push request, ``{"message": {...}, "subscription": "..."}``, as the local
  stack's push subscriptions send.

Inside a Pub/Sub message, three kinds are told apart by attributes:

* GCS notifications (``eventType``, ``bucketId``, ``objectId``, ``objectGeneration``), see
  https://cloud.google.com/storage/docs/pubsub-notifications;
* job messages from ``submit`` (``kind=job.queued``);
* upstream job requests (``tenant_id`` attribute, JSON body ``{agent, input, ...}``).

Sources: CloudEvents spec v1.0 HTTP binding; Pub/Sub push format
(https://cloud.google.com/pubsub/docs/push#receive_push).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from typing import Any, Protocol, cast

from cloudevents.exceptions import GenericException
from cloudevents.http import from_http as _from_http_untyped  # pyright: ignore[reportUnknownVariableType]

from common.messaging.deliveries import Delivery, Ignored, JobQueued, JobRequest, ObjectFinalized, Rejected

__all__ = [
    "GCS_FINALIZED",
    "JOB_QUEUED_KIND",
    "PUBSUB_PUBLISHED",
    "parse_delivery",
    "parse_pubsub_message",
]

GCS_FINALIZED = "google.cloud.storage.object.v1.finalized"
PUBSUB_PUBLISHED = "google.cloud.pubsub.topic.v1.messagePublished"
JOB_QUEUED_KIND = "job.queued"
_MAX_ID = 256
_from_http: Any = _from_http_untyped  # pyright: ignore[reportUnknownVariableType]


class Headers(Protocol):
    """Anything with ``items()`` of header pairs: a dict, or werkzeug's ``Headers``."""

    def items(self) -> Iterable[tuple[str, str]]:
        """Header name/value pairs."""
        ...


def parse_delivery(headers: Headers, body: bytes) -> Delivery:
    """Turn one HTTP delivery into a typed message. Never raises.

    Args:
        headers: Request headers (case-insensitive mapping, e.g. werkzeug's).
        body: Raw request body.

    Returns:
        The message; :class:`Rejected` or :class:`Ignored` when it asks for no job.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    if "ce-specversion" in lowered or lowered.get("content-type", "").startswith("application/cloudevents"):
        return _parse_cloudevent(lowered, body)
    message = _object(_object(_json(body)).get("message"))
    if not message:
        return Rejected("", "malformed_envelope", "body is neither a CloudEvent nor a Pub/Sub push request")
    return parse_pubsub_message(message)


def _parse_cloudevent(headers: dict[str, str], body: bytes) -> Delivery:
    try:
        event = _from_http(headers, body)
    except GenericException:
        return Rejected(
            headers.get("ce-id", "")[:_MAX_ID],
            "malformed_cloudevent",
            "CloudEvent is missing required attributes",
        )
    event_id = str(event["id"])[:_MAX_ID]
    event_type = str(event["type"])
    data: Any = event.data
    if isinstance(data, (bytes, str)):
        data = _json(data.encode() if isinstance(data, str) else data)
    if event_type == GCS_FINALIZED:
        if not isinstance(data, dict):
            return Rejected(event_id, "malformed_cloudevent", "storage event data is not an object resource")
        return _object_finalized(cast(dict[str, Any], data), {}, event_id)
    if event_type.startswith("google.cloud.storage.object.v1."):
        return Ignored(event_id, f"storage event {event_type.rsplit('.', 1)[-1]} starts no job")
    if event_type == PUBSUB_PUBLISHED:
        message = _object(_object(data).get("message"))
        if not message:
            return Rejected(event_id, "malformed_cloudevent", "Pub/Sub CloudEvent carries no message")
        message.setdefault("messageId", event_id)
        return parse_pubsub_message(message)
    return Rejected(event_id, "unsupported_event_type", "unsupported CloudEvent type")


def parse_pubsub_message(message: Mapping[str, Any]) -> Delivery:
    """Classify one Pub/Sub message (the ``message`` object of a push request).

    Args:
        message: ``{"data": base64, "attributes": {...}, "messageId": ...}``; the snake_case
            ``message_id`` spelling is accepted too.

    Returns:
        The typed message. Never raises.
    """
    raw_id = message.get("messageId", message.get("message_id", ""))
    message_id = str(raw_id)[:_MAX_ID] if isinstance(raw_id, (str, int)) else ""
    raw_attributes: Any = message.get("attributes") or {}
    if not isinstance(raw_attributes, dict):
        return Rejected(message_id, "malformed_message", "attributes must be an object")
    attributes = {str(k): str(v) for k, v in cast(dict[Any, Any], raw_attributes).items()}
    data = _decode_data(message.get("data"))
    if data is None:
        return Rejected(message_id, "malformed_message", "data is not valid base64", attributes.get("tenant_id"))

    if "eventType" in attributes and "bucketId" in attributes:
        if attributes["eventType"] != "OBJECT_FINALIZE":
            return Ignored(message_id, f"storage notification {attributes['eventType']} starts no job")
        resource = _json(data)
        return _object_finalized(
            cast(dict[str, Any], resource) if isinstance(resource, dict) else {}, attributes, message_id
        )

    if attributes.get("kind") == JOB_QUEUED_KIND:
        body = _object(_json(data))
        tenant_id, job_id = body.get("tenant_id"), body.get("job_id")
        if not isinstance(tenant_id, str) or not isinstance(job_id, str) or not tenant_id or not job_id:
            return Rejected(message_id, "malformed_message", "job message needs tenant_id and job_id")
        return JobQueued(tenant_id, job_id, message_id)

    return _job_request(attributes, data, message_id)


def _job_request(attributes: dict[str, str], data: bytes, message_id: str) -> Delivery:
    tenant_id = attributes.get("tenant_id") or None
    if tenant_id is None:
        return Rejected(message_id, "missing_tenant", "job requests need a tenant_id attribute")
    if not message_id:
        return Rejected(message_id, "malformed_message", "message has no id", tenant_id)
    body = _json(data)
    if not isinstance(body, dict):
        return Rejected(message_id, "malformed_request", "request body is not a JSON object", tenant_id)
    request = cast(dict[str, Any], body)
    agent, payload = request.get("agent"), request.get("input")
    if not isinstance(agent, str) or not agent:
        return Rejected(message_id, "malformed_request", "request needs an 'agent' string", tenant_id)
    if not isinstance(payload, dict):
        return Rejected(message_id, "malformed_request", "request needs an 'input' object", tenant_id)
    optional: dict[str, str | None] = {}
    for name in ("callback_url", "idempotency_key", "model"):
        value = request.get(name)
        if value is not None and not isinstance(value, str):
            return Rejected(message_id, "malformed_request", f"'{name}' must be a string", tenant_id)
        optional[name] = value
    metadata: Any = request.get("metadata") or {}
    if not isinstance(metadata, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in cast(dict[Any, Any], metadata).items()
    ):
        return Rejected(message_id, "malformed_request", "'metadata' must map strings to strings", tenant_id)
    return JobRequest(
        tenant_id=tenant_id,
        agent=agent,
        input=cast(dict[str, Any], payload),
        message_id=message_id,
        callback_url=optional["callback_url"],
        idempotency_key=optional["idempotency_key"],
        metadata=cast(dict[str, str], metadata),
        model=optional["model"],
    )


def _object_finalized(resource: dict[str, Any], attributes: dict[str, str], event_id: str) -> Delivery:
    bucket = resource.get("bucket") or attributes.get("bucketId")
    name = resource.get("name") or attributes.get("objectId")
    generation = resource.get("generation") or attributes.get("objectGeneration")
    if not isinstance(bucket, str) or not isinstance(name, str) or not bucket or not name:
        return Rejected(event_id, "malformed_storage_event", "storage event lacks bucket or object name")
    if not isinstance(generation, (str, int)) or not str(generation).isdigit():
        return Rejected(event_id, "malformed_storage_event", "storage event lacks a numeric generation")
    size = resource.get("size")
    content_type = resource.get("contentType")
    return ObjectFinalized(
        bucket=bucket,
        name=name,
        generation=str(generation),
        size=int(size) if isinstance(size, (str, int)) and str(size).isdigit() else None,
        content_type=content_type if isinstance(content_type, str) else None,
        event_id=event_id,
    )


def _decode_data(raw: object) -> bytes | None:
    if raw is None or raw == "":
        return b""
    if not isinstance(raw, str):
        return None
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        return None


def _object(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one."""
    return cast(dict[str, Any], value) if isinstance(value, dict) else {}


def _json(data: bytes) -> Any:
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None
