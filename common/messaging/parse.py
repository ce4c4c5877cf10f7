"""Parse an HTTP delivery to ``run_agent`` into one typed message. Never raises.

Envelopes that reach ``run_agent``:

* a CloudEvent in binary mode (``ce-*`` headers) or structured mode
  (``Content-Type: application/cloudevents+json``), as Eventarc sends in production, carrying
  either ``google.cloud.storage.object.v1.finalized`` (data: the object resource) or
  ``google.cloud.pubsub.topic.v1.messagePublished`` (data: ``{"message": ..., "subscription"}``);
* a plain Pub/Sub push request, ``{"message": {...}, "subscription": "...", "deliveryAttempt"}``,
  as push subscriptions send; on :data:`~common.topology.DEAD_LETTER_PATH` the same shape
  arrives from the dead-letter topic's subscription and becomes :class:`DeadLettered`.

Inside a Pub/Sub message, kinds are told apart by attributes:

* GCS notifications (``eventType``, ``bucketId``, ``objectId``, ``objectGeneration``), see
  https://cloud.google.com/storage/docs/pubsub-notifications;
* job messages (``kind=job.queued``) from ``submit`` and the sweeper;
* sweep ticks (``kind=sweep``) from Cloud Scheduler or the local timer;
* upstream job requests (``tenant_id`` attribute, JSON body ``{agent, input, ...}``).

The CloudEvents HTTP binding is parsed here rather than by the ``cloudevents`` SDK because the
SDK parses JSON without limits (100,000 ``[`` raise ``RecursionError``) and this parse is the
boundary: every JSON text goes through :func:`common.boundary.json_input.loads_bounded`, every
id through :mod:`common.boundary.ids`, every client string is bounded, and nothing
message-supplied reaches a ``reason``.

Sources: CloudEvents v1.0 HTTP protocol binding
(https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/http-protocol-binding.md);
Pub/Sub push format (https://cloud.google.com/pubsub/docs/push#receive_push); dead-letter
attributes (https://cloud.google.com/pubsub/docs/handling-failures#track-delivery-attempts).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any, Protocol, cast

from common.boundary.ids import IdKind, event_ref, is_valid_id, parse_uint
from common.boundary.input_limits import MAX_CALLBACK_URL_CHARS, MAX_LABEL_VALUE_CHARS, MAX_LABELS, MAX_MODEL_CHARS
from common.boundary.json_input import DEFAULT_MAX_DEPTH, check_storable, loads_bounded
from common.boundary.text import printable_ascii, valid_label_key, valid_text
from common.errors import AgentJobsError
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
from common.telemetry.context import TRACEPARENT, parse_traceparent
from common.topology import DEAD_LETTER_PATH

__all__ = [
    "GCS_FINALIZED",
    "JOB_QUEUED_KIND",
    "MAX_DELIVERY_BYTES",
    "PUBSUB_PUBLISHED",
    "SWEEP_KIND",
    "parse_delivery",
]

GCS_FINALIZED = "google.cloud.storage.object.v1.finalized"
PUBSUB_PUBLISHED = "google.cloud.pubsub.topic.v1.messagePublished"
JOB_QUEUED_KIND = "job.queued"
SWEEP_KIND = "sweep"
MAX_DELIVERY_BYTES = 16 * 1024 * 1024
"""Largest push body: a 10 MB Pub/Sub message, base64-encoded, in its envelope."""
_ENVELOPE_DEPTH = 8
_MAX_ATTRIBUTES = 64
_MAX_ATTRIBUTE_CHARS = 1024
_REQUEST_FIELDS = frozenset({"agent", "input", "callback_url", "idempotency_key", "metadata", "model"})
_BUCKET = re.compile(r"[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]")
_CONTENT_TYPE = re.compile(r"[\x20-\x7e]{1,256}")


class Headers(Protocol):
    """Anything with ``items()`` of header pairs: a dict, or werkzeug's ``Headers``."""

    def items(self) -> Iterable[tuple[str, str]]:
        """Header name/value pairs."""
        ...


def parse_delivery(headers: Headers, body: bytes, *, path: str = "/", max_input_bytes: int = 256 * 1024) -> Delivery:
    """Turn one HTTP delivery into a typed message. Never raises.

    Args:
        headers: Request headers.
        body: Raw request body.
        path: Request path; :data:`~common.topology.DEAD_LETTER_PATH` marks dead-lettered messages.
        max_input_bytes: Largest agent input an upstream request may carry (UTF-8 JSON bytes).

    Returns:
        The message; :class:`Rejected`, :class:`InvalidJobRequest` or :class:`Ignored` when it
        asks for no runnable job; :class:`DeadLettered` around it on the dead-letter path.
    """
    lowered = {str(k).lower(): str(v)[:_MAX_ATTRIBUTE_CHARS] for k, v in headers.items()}
    dead_letter = path.rstrip("/") == DEAD_LETTER_PATH
    if "ce-specversion" in lowered or lowered.get("content-type", "").startswith("application/cloudevents"):
        delivery = _cloudevent(lowered, body, max_input_bytes)
        return DeadLettered(_undead(delivery), _event_id(delivery)) if dead_letter else delivery
    try:
        envelope = _object(loads_bounded(body, max_bytes=MAX_DELIVERY_BYTES, max_depth=_ENVELOPE_DEPTH))
    except AgentJobsError as e:
        rejected = Rejected("", "malformed_envelope", f"body is not a push request ({e.error_code})")
        return _maybe_dead(rejected, dead_letter)
    message = _object(envelope.get("message"))
    if not message:
        rejected = Rejected("", "malformed_envelope", "body is neither a CloudEvent nor a Pub/Sub push request")
        return _maybe_dead(rejected, dead_letter)
    delivery = _pubsub_message(message, "", max_input_bytes)
    if not dead_letter:
        return delivery
    attributes = _object(message.get("attributes"))
    attempts = parse_uint(attributes.get("CloudPubSubDeadLetterSourceDeliveryCount"), maximum=10_000)
    return DeadLettered(_undead(delivery), _event_id(delivery), attempts)


def _maybe_dead(delivery: Rejected, dead_letter: bool) -> Delivery:
    return DeadLettered(delivery, delivery.event_id) if dead_letter else delivery


def _undead(delivery: Delivery) -> Any:
    # A dead-lettered dead-letter delivery cannot happen (that subscription has no dead-letter
    # policy), but the type allows only one level.
    return delivery.original if isinstance(delivery, DeadLettered) else delivery


def _event_id(delivery: Delivery) -> str:
    match delivery:
        case JobRequest() | InvalidJobRequest():
            return delivery.message_id
        case _:
            return delivery.event_id


# -- CloudEvents ------------------------------------------------------------------------------


def _cloudevent(headers: dict[str, str], body: bytes, max_input_bytes: int) -> Delivery:
    """A CloudEvent's delivery, continuing the trace of its ``traceparent`` extension when valid.

    The CloudEvents Distributed Tracing extension carries W3C Trace Context as the event's
    ``traceparent`` attribute (binary mode: the ``ce-traceparent`` header). A Pub/Sub message's
    own ``traceparent`` attribute, closer to the job, wins over the event's.
    """
    delivery, attributes = _cloudevent_delivery(headers, body, max_input_bytes)
    traceparent = attributes.get("traceparent")
    if (
        isinstance(delivery, JobQueued | JobRequest | ObjectFinalized)
        and delivery.traceparent is None
        and isinstance(traceparent, str)
        and parse_traceparent(traceparent) is not None
    ):
        return dataclasses.replace(delivery, traceparent=traceparent)
    return delivery


def _cloudevent_delivery(
    headers: dict[str, str], body: bytes, max_input_bytes: int
) -> tuple[Delivery, Mapping[str, Any]]:
    data: Any
    if headers.get("content-type", "").startswith("application/cloudevents"):
        try:
            event = _object(loads_bounded(body, max_bytes=MAX_DELIVERY_BYTES, max_depth=_ENVELOPE_DEPTH))
        except AgentJobsError as e:
            return Rejected("", "malformed_cloudevent", f"structured CloudEvent is not valid JSON ({e.error_code})"), {}
        attributes = {k: v for k, v in event.items() if k not in ("data", "data_base64")}
        data = event.get("data")
        if data is None and isinstance(event.get("data_base64"), str):
            data = _decode_data(event["data_base64"])
    else:
        attributes = {k[3:]: v for k, v in headers.items() if k.startswith("ce-")}
        data = body
    event_id = event_ref(attributes.get("id"))
    required = ("specversion", "id", "type", "source")
    if not all(isinstance(attributes.get(k), str) and attributes.get(k) for k in required):
        return Rejected(event_id, "malformed_cloudevent", "CloudEvent is missing required attributes"), attributes
    event_type = str(attributes["type"])
    if isinstance(data, (bytes, str)):
        try:
            data = loads_bounded(data, max_bytes=MAX_DELIVERY_BYTES, max_depth=_ENVELOPE_DEPTH) if data else None
        except AgentJobsError as e:
            return Rejected(
                event_id, "malformed_cloudevent", f"CloudEvent data is not valid JSON ({e.error_code})"
            ), attributes
    if event_type == GCS_FINALIZED:
        if not isinstance(data, dict):
            return Rejected(
                event_id, "malformed_cloudevent", "storage event data is not an object resource"
            ), attributes
        return _object_finalized(cast(dict[str, Any], data), {}, event_id), attributes
    if event_type.startswith("google.cloud.storage.object.v1."):
        return Ignored(event_id, "this storage event type starts no job"), attributes
    if event_type == PUBSUB_PUBLISHED:
        message = _object(_object(data).get("message"))
        if not message:
            return Rejected(event_id, "malformed_cloudevent", "Pub/Sub CloudEvent carries no message"), attributes
        return _pubsub_message(message, event_id, max_input_bytes), attributes
    return Rejected(event_id, "unsupported_event_type", "unsupported CloudEvent type"), attributes


# -- Pub/Sub messages -------------------------------------------------------------------------


def _pubsub_message(message: Mapping[str, Any], fallback_id: str, max_input_bytes: int) -> Delivery:
    raw_id = message.get("messageId", message.get("message_id"))
    message_id = event_ref(raw_id) or fallback_id
    attributes = _attributes(message.get("attributes"))
    if attributes is None:
        return Rejected(message_id, "malformed_message", "attributes must map at most 64 short strings to strings")
    tenant = attributes.get("tenant_id")
    tenant_id = tenant if is_valid_id(IdKind.TENANT, tenant) else None
    data = _decode_data(message.get("data"))
    if data is None:
        return Rejected(message_id, "malformed_message", "data is not valid base64", tenant_id)

    if "eventType" in attributes and "bucketId" in attributes:
        if attributes["eventType"] != "OBJECT_FINALIZE":
            return Ignored(message_id, "this storage notification type starts no job")
        resource: Any = {}
        if data:
            try:
                resource = loads_bounded(data, max_bytes=MAX_DELIVERY_BYTES, max_depth=_ENVELOPE_DEPTH)
            except AgentJobsError as e:
                return Rejected(message_id, "malformed_storage_event", f"notification payload ({e.error_code})")
        return _object_finalized(_object(resource), attributes, message_id)

    kind = attributes.get("kind")
    if kind == SWEEP_KIND:
        return SweepTick(message_id)
    delivery = (
        _job_queued(data, message_id)
        if kind == JOB_QUEUED_KIND
        else _job_request(attributes, tenant_id, data, message_id, max_input_bytes)
    )
    traceparent = attributes.get(TRACEPARENT)
    if isinstance(delivery, JobQueued | JobRequest) and parse_traceparent(traceparent) is not None:
        # Only a valid W3C value is kept: the attribute is client-controlled on the requests topic.
        return dataclasses.replace(delivery, traceparent=traceparent)
    return delivery


def _job_queued(data: bytes, message_id: str) -> Delivery:
    try:
        body = _object(loads_bounded(data, max_bytes=4096, max_depth=2))
    except AgentJobsError:
        body = {}
    tenant_id, job_id = body.get("tenant_id"), body.get("job_id")
    if not is_valid_id(IdKind.TENANT, tenant_id):
        return Rejected(message_id, "malformed_message", "job message needs a valid tenant_id")
    if not is_valid_id(IdKind.JOB, job_id):
        return Rejected(message_id, "malformed_message", "job message needs a valid job_id", str(tenant_id))
    return JobQueued(str(tenant_id), str(job_id), message_id)


def _job_request(
    attributes: dict[str, str], tenant_id: str | None, data: bytes, message_id: str, max_input_bytes: int
) -> Delivery:
    if "tenant_id" not in attributes:
        return Rejected(message_id, "missing_tenant", "job requests need a tenant_id attribute")
    if tenant_id is None:
        return Rejected(message_id, "invalid_tenant_id", "the tenant_id attribute is not a valid tenant id")
    if not message_id:
        return Rejected(message_id, "malformed_message", "message has no id", tenant_id)
    try:
        body: Any = loads_bounded(data, max_bytes=MAX_DELIVERY_BYTES, storable=False)
    except AgentJobsError as e:
        return Rejected(message_id, "malformed_request", f"request body is not valid JSON ({e.error_code})", tenant_id)
    if not isinstance(body, dict):
        return Rejected(message_id, "malformed_request", "request body is not a JSON object", tenant_id)
    request = cast(dict[str, Any], body)
    agent = request.get("agent")
    if not is_valid_id(IdKind.AGENT, agent):
        return Rejected(message_id, "invalid_agent", "request needs an 'agent' of 2-64 [a-z0-9-]", tenant_id)
    raw_key = request.get("idempotency_key")
    key = raw_key if printable_ascii(raw_key, max_chars=255) else None

    def invalid(code: str, reason: str) -> InvalidJobRequest:
        return InvalidJobRequest(tenant_id, str(agent), message_id, cast(str | None, key), code, reason)

    if not set(request) <= _REQUEST_FIELDS:
        return invalid("unknown_field", "request has fields other than " + ", ".join(sorted(_REQUEST_FIELDS)))
    if raw_key is not None and key is None:
        return invalid("invalid_idempotency_key", "idempotency_key must be 1-255 printable ASCII characters")
    raw_input = request.get("input")
    if not isinstance(raw_input, dict):
        return invalid("malformed_request", "request needs an 'input' object")
    payload = cast(dict[str, Any], raw_input)
    try:
        check_storable(payload, max_depth=DEFAULT_MAX_DEPTH)
        size = len(_encoded(payload))
    except AgentJobsError as e:
        return invalid(e.error_code, "input is not storable JSON")
    if size > max_input_bytes:
        return invalid("input_too_large", f"input is over the {max_input_bytes} byte limit")
    callback_url, model, metadata = request.get("callback_url"), request.get("model"), request.get("metadata")
    if callback_url is not None and not valid_text(callback_url, max_chars=MAX_CALLBACK_URL_CHARS):
        return invalid(
            "invalid_callback_url", f"callback_url must be a URL of at most {MAX_CALLBACK_URL_CHARS} characters"
        )
    if model is not None and not valid_text(model, max_chars=MAX_MODEL_CHARS):
        return invalid("invalid_model", "model must have the form provider/model")
    labels = _metadata(metadata)
    if labels is None:
        return invalid(
            "invalid_metadata",
            f"metadata: up to {MAX_LABELS} keys of [A-Za-z0-9_.-] (≤64) to strings (≤{MAX_LABEL_VALUE_CHARS})",
        )
    return JobRequest(
        tenant_id=tenant_id,
        agent=str(agent),
        input=payload,
        message_id=message_id,
        callback_url=cast(str | None, callback_url),
        idempotency_key=cast(str | None, key),
        metadata=labels,
        model=cast(str | None, model),
    )


def _encoded(payload: dict[str, Any]) -> bytes:
    # Measured the way it is stored: compact UTF-8 JSON.
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _metadata(value: object) -> dict[str, str] | None:
    if value is None:
        return {}
    if not isinstance(value, dict) or len(cast(dict[Any, Any], value)) > MAX_LABELS:
        return None
    labels = cast(dict[Any, Any], value)
    if not all(valid_label_key(k) and valid_text(v, max_chars=MAX_LABEL_VALUE_CHARS) for k, v in labels.items()):
        return None
    return cast(dict[str, str], labels)


# -- storage events ---------------------------------------------------------------------------


def _object_finalized(resource: dict[str, Any], attributes: dict[str, str], event_id: str) -> Delivery:
    bucket = resource.get("bucket") or attributes.get("bucketId")
    name = resource.get("name") or attributes.get("objectId")
    generation = parse_uint(resource.get("generation") or attributes.get("objectGeneration"))
    if not isinstance(bucket, str) or not bucket.isascii() or not _BUCKET.fullmatch(bucket):
        return Rejected(event_id, "malformed_storage_event", "storage event lacks a valid bucket name")
    if not _object_name_ok(name):
        return Rejected(event_id, "malformed_storage_event", "storage event lacks a valid object name")
    if generation is None:
        return Rejected(event_id, "malformed_storage_event", "storage event lacks a valid generation")
    raw_size = resource.get("size")
    content_type = resource.get("contentType")
    return ObjectFinalized(
        bucket=bucket,
        name=str(name),
        generation=generation,
        size=parse_uint(raw_size) if raw_size is not None else None,
        content_type=content_type if isinstance(content_type, str) and _CONTENT_TYPE.fullmatch(content_type) else None,
        event_id=event_id,
    )


def _object_name_ok(name: object) -> bool:
    # GCS: 1-1024 bytes of UTF-8, no CR or LF (https://cloud.google.com/storage/docs/objects#naming).
    if not isinstance(name, str) or not name or "\r" in name or "\n" in name:
        return False
    try:
        return len(name.encode("utf-8")) <= 1024
    except UnicodeEncodeError:
        return False


# -- helpers ----------------------------------------------------------------------------------


def _attributes(raw: object) -> dict[str, str] | None:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or len(cast(dict[Any, Any], raw)) > _MAX_ATTRIBUTES:
        return None
    attributes = cast(dict[Any, Any], raw)
    if not all(
        isinstance(k, str) and isinstance(v, str) and len(k) <= 256 and len(v) <= _MAX_ATTRIBUTE_CHARS
        for k, v in attributes.items()
    ):
        return None
    return cast(dict[str, str], attributes)


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
