import base64
import json

import pytest

from common.messaging.deliveries import (
    DeadLettered,
    Ignored,
    InvalidJobRequest,
    JobQueued,
    JobRequest,
    ObjectFinalized,
    Rejected,
    SweepTick,
    traceparent_of,
)
from common.messaging.parse import parse_delivery

JOB = "job_" + "a" * 26
OBJECT = {
    "kind": "storage#object",
    "bucket": "bkt",
    "name": "tenants/acme/inbox/protocol-processor/p.pdf",
    "generation": "1795211738574001",
    "size": "14",
    "contentType": "application/pdf",
}


def push(data: bytes, attributes: dict[str, str] | None = None, message_id: str = "m1") -> bytes:
    message = {
        "data": base64.b64encode(data).decode(),
        "attributes": attributes or {},
        "messageId": message_id,
    }
    return json.dumps({"message": message, "subscription": "projects/p/subscriptions/s"}).encode()


def gcs_attributes(event_type: str = "OBJECT_FINALIZE") -> dict[str, str]:
    return {
        "eventType": event_type,
        "bucketId": "bkt",
        "objectId": OBJECT["name"],
        "objectGeneration": OBJECT["generation"],
        "payloadFormat": "JSON_API_V1",
    }


def test_gcs_pubsub_notification():
    delivery = parse_delivery({"Content-Type": "application/json"}, push(json.dumps(OBJECT).encode(), gcs_attributes()))
    assert delivery == ObjectFinalized("bkt", OBJECT["name"], int(OBJECT["generation"]), 14, "application/pdf", "m1")


def test_gcs_notification_without_payload_uses_attributes():
    delivery = parse_delivery({}, push(b"", gcs_attributes()))
    assert isinstance(delivery, ObjectFinalized)
    assert delivery.generation == int(OBJECT["generation"]) and delivery.size is None


def test_other_gcs_notifications_are_ignored():
    assert isinstance(parse_delivery({}, push(b"{}", gcs_attributes("OBJECT_DELETE"))), Ignored)


def test_eventarc_storage_cloudevent_binary_mode():
    headers = {
        "ce-specversion": "1.0",
        "ce-type": "google.cloud.storage.object.v1.finalized",
        "ce-source": "//storage.googleapis.com/projects/_/buckets/bkt",
        "ce-id": "ev-1",
        "Content-Type": "application/json",
    }
    delivery = parse_delivery(headers, json.dumps(OBJECT).encode())
    assert delivery == ObjectFinalized("bkt", OBJECT["name"], int(OBJECT["generation"]), 14, "application/pdf", "ev-1")


def test_eventarc_storage_cloudevent_structured_mode():
    event = {
        "specversion": "1.0",
        "type": "google.cloud.storage.object.v1.finalized",
        "source": "//storage.googleapis.com/projects/_/buckets/bkt",
        "id": "ev-2",
        "datacontenttype": "application/json",
        "data": OBJECT,
    }
    delivery = parse_delivery({"Content-Type": "application/cloudevents+json"}, json.dumps(event).encode())
    assert isinstance(delivery, ObjectFinalized) and delivery.event_id == "ev-2"


def test_eventarc_pubsub_cloudevent_carrying_a_job_message():
    message = {
        "data": base64.b64encode(json.dumps({"tenant_id": "acme", "job_id": JOB}).encode()).decode(),
        "attributes": {"kind": "job.queued"},
        "messageId": "42",
    }
    headers = {
        "ce-specversion": "1.0",
        "ce-type": "google.cloud.pubsub.topic.v1.messagePublished",
        "ce-source": "//pubsub.googleapis.com/projects/p/topics/t",
        "ce-id": "42",
        "Content-Type": "application/json",
    }
    delivery = parse_delivery(headers, json.dumps({"message": message, "subscription": "s"}).encode())
    assert delivery == JobQueued("acme", JOB, "42")


def test_upstream_request():
    body = {
        "agent": "criteria-evaluator",
        "input": {"criteria": "x", "patient_profile": ["y"]},
        "callback_url": "https://example.com/hook",
        "idempotency_key": "k1",
        "metadata": {"batch": "7"},
    }
    delivery = parse_delivery({}, push(json.dumps(body).encode(), {"tenant_id": "acme"}, "99"))
    assert isinstance(delivery, JobRequest)
    assert (delivery.tenant_id, delivery.agent, delivery.idempotency_key, delivery.message_id) == (
        "acme",
        "criteria-evaluator",
        "k1",
        "99",
    )
    assert delivery.metadata == {"batch": "7"}


def test_malformed_deliveries_become_rejections_never_exceptions():
    cases = [
        ({}, b""),
        ({}, b"not json"),
        ({}, b"[1,2]"),
        ({}, json.dumps({"message": "x"}).encode()),
        ({}, json.dumps({"message": {"data": "%%%notbase64", "messageId": "1"}}).encode()),
        ({}, push(b"{}", {"kind": "job.queued"})),
        ({}, push(b"{}", {})),
        ({}, push(b"not json", {"tenant_id": "acme"})),
        ({}, push(json.dumps({"agent": 3, "input": {}}).encode(), {"tenant_id": "acme"})),
        ({}, push(json.dumps({"agent": "a", "input": []}).encode(), {"tenant_id": "acme"})),
        (
            {},
            push(json.dumps({"agent": "a", "input": {}, "metadata": {"a": 1}}).encode(), {"tenant_id": "acme"}),
        ),
        ({}, push(b"{}", {"eventType": "OBJECT_FINALIZE", "bucketId": "b"})),
        ({"ce-specversion": "1.0", "ce-type": "x"}, b"{}"),
        ({"ce-specversion": "1.0", "ce-type": "com.example.other", "ce-source": "s", "ce-id": "1"}, b"{}"),
        (
            {
                "ce-specversion": "1.0",
                "ce-type": "google.cloud.storage.object.v1.finalized",
                "ce-source": "s",
                "ce-id": "1",
            },
            b"[]",
        ),
    ]
    for headers, body in cases:
        delivery = parse_delivery(headers, body)
        assert isinstance(delivery, Rejected), (headers, body, delivery)
        assert delivery.code


def test_rejections_keep_the_tenant_when_the_message_named_one():
    delivery = parse_delivery({}, push(b"not json", {"tenant_id": "acme"}))
    assert isinstance(delivery, Rejected) and delivery.tenant_id == "acme"


DEEP = b"[" * 100_000


def cloudevent_headers(event_type: str = "google.cloud.storage.object.v1.finalized") -> dict[str, str]:
    return {"ce-specversion": "1.0", "ce-type": event_type, "ce-source": "s", "ce-id": "e1"}


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({}, DEEP),
        ({}, push(DEEP, {"tenant_id": "acme"})),
        ({}, push(DEEP, {"kind": "job.queued"})),
        ({}, push(DEEP, gcs_attributes())),
        ({"Content-Type": "application/cloudevents+json"}, DEEP),
        (cloudevent_headers(), DEEP),
        ({}, b'{"message": ' * 5000 + b"1" + b"}" * 5000),
    ],
)
def test_deep_nesting_anywhere_is_a_rejection_not_a_recursion_error(headers, body):
    delivery = parse_delivery(headers, body)
    assert isinstance(delivery, Rejected) and delivery.code


@pytest.mark.parametrize(
    ("field", "value"),
    [("objectGeneration", "²"), ("objectGeneration", "9" * 30), ("objectGeneration", "-1"), ("objectGeneration", "")],
)
def test_generations_must_be_ascii_64_bit_integers(field, value):
    attributes = gcs_attributes() | {field: value}
    delivery = parse_delivery({}, push(b"", attributes))
    assert isinstance(delivery, Rejected) and delivery.code == "malformed_storage_event"


def test_a_unicode_digit_size_is_dropped_not_parsed():
    delivery = parse_delivery({}, push(json.dumps(OBJECT | {"size": "²"}).encode(), gcs_attributes()))
    assert isinstance(delivery, ObjectFinalized) and delivery.size is None


@pytest.mark.parametrize(
    "tenant", ["a/b", "A/jobs/job_aaaaaaaaaaaaaaaaaaaaaaaaaa", "..", ".", "__x__", "x" * 300, "ACME", "ac\nme"]
)
def test_tenant_ids_from_attributes_must_match_the_grammar(tenant):
    body = json.dumps({"agent": "criteria-evaluator", "input": {}}).encode()
    delivery = parse_delivery({}, push(body, {"tenant_id": tenant}))
    assert isinstance(delivery, Rejected) and delivery.code == "invalid_tenant_id"
    assert delivery.tenant_id is None and tenant not in delivery.reason


@pytest.mark.parametrize("job_message", [{"tenant_id": "a/b", "job_id": JOB}, {"tenant_id": "acme", "job_id": "../x"}])
def test_job_messages_with_invalid_ids_are_rejected(job_message):
    delivery = parse_delivery({}, push(json.dumps(job_message).encode(), {"kind": "job.queued"}))
    assert isinstance(delivery, Rejected)


def test_invalid_message_ids_are_replaced_by_a_hash_and_never_echoed():
    delivery = parse_delivery({}, push(b"not json", {"tenant_id": "acme"}, message_id="<canary>\n" * 20))
    assert isinstance(delivery, Rejected)
    assert delivery.event_id.startswith("h_") and "canary" not in delivery.event_id


@pytest.mark.parametrize("agent", ["x" * 65, "A", "a/b", "<script>", 7])
def test_agent_names_must_match_the_grammar(agent):
    body = json.dumps({"agent": agent, "input": {}}).encode()
    delivery = parse_delivery({}, push(body, {"tenant_id": "acme"}))
    assert isinstance(delivery, Rejected) and delivery.code == "invalid_agent" and delivery.tenant_id == "acme"


@pytest.mark.parametrize(
    ("request_body", "code"),
    [
        ({"agent": "echo", "input": {"x": "y" * 300_000}}, "input_too_large"),
        ({"agent": "echo", "input": json.loads('{"a":' * 25 + "1" + "}" * 25)}, "json_too_deep"),
        ({"agent": "echo", "input": {"v": 10**30}}, "number_out_of_range"),
        ({"agent": "echo", "input": {"": "x"}}, "invalid_field_name"),
        ({"agent": "echo", "input": {}, "secret_extra_field_name": 1}, "unknown_field"),
        ({"agent": "echo", "input": {}, "metadata": {"": "x"}}, "invalid_metadata"),
        ({"agent": "echo", "input": {}, "metadata": {"k": "\ud800"}}, "invalid_metadata"),
        ({"agent": "echo", "input": {}, "idempotency_key": "has space"}, "invalid_idempotency_key"),
        ({"agent": "echo", "input": {}, "callback_url": "x" * 5000}, "invalid_callback_url"),
        ({"agent": "echo", "input": []}, "malformed_request"),
    ],
)
def test_requests_that_can_never_run_become_failed_jobs_of_their_tenant(request_body, code):
    raw = json.dumps(request_body).encode()
    delivery = parse_delivery({}, push(raw, {"tenant_id": "acme"}, "m7"))
    assert isinstance(delivery, InvalidJobRequest), delivery
    assert (delivery.code, delivery.tenant_id, delivery.agent, delivery.message_id) == (code, "acme", "echo", "m7")
    assert "secret_extra_field_name" not in delivery.reason


def test_sweep_ticks_and_dead_lettered_messages():
    assert isinstance(parse_delivery({}, push(b"", {"kind": "sweep"})), SweepTick)
    attributes = {"kind": "job.queued", "CloudPubSubDeadLetterSourceDeliveryCount": "10"}
    body = push(json.dumps({"tenant_id": "acme", "job_id": JOB}).encode(), attributes, "m5")
    delivery = parse_delivery({}, body, path="/dead-letter")
    assert delivery == DeadLettered(JobQueued("acme", JOB, "m5"), "m5", 10)
    garbage = parse_delivery({}, b"not json", path="/dead-letter/")
    assert isinstance(garbage, DeadLettered) and isinstance(garbage.original, Rejected)


TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        (TRACEPARENT, TRACEPARENT),
        ("00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01", None),  # zero span id
        ("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", None),  # unknown version
        ("patient text, not a traceparent", None),
    ],
)
def test_a_valid_traceparent_attribute_continues_the_trace(value, kept):
    job = push(json.dumps({"tenant_id": "acme", "job_id": JOB}).encode(), {"kind": "job.queued", "traceparent": value})
    assert parse_delivery({}, job) == JobQueued("acme", JOB, "m1", traceparent=kept)
    body = {"agent": "criteria-evaluator", "input": {"criteria": "x", "patient_profile": ["y"]}}
    request = parse_delivery({}, push(json.dumps(body).encode(), {"tenant_id": "acme", "traceparent": value}))
    assert isinstance(request, JobRequest) and request.traceparent == kept
    dead = parse_delivery({}, job, path="/dead-letter")
    assert traceparent_of(dead) == kept


TRACEPARENT_CE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def test_an_eventarc_cloudevent_s_traceparent_extension_continues_the_trace():
    # CloudEvents Distributed Tracing extension: binary mode carries it as ce-traceparent.
    headers = {
        "ce-specversion": "1.0",
        "ce-type": "google.cloud.storage.object.v1.finalized",
        "ce-source": "//storage.googleapis.com/projects/_/buckets/bkt",
        "ce-id": "ev-1",
        "ce-traceparent": TRACEPARENT_CE,
        "Content-Type": "application/json",
    }
    delivery = parse_delivery(headers, json.dumps(OBJECT).encode())
    assert isinstance(delivery, ObjectFinalized) and delivery.traceparent == TRACEPARENT_CE
    headers["ce-traceparent"] = "00-not-a-trace"
    assert parse_delivery(headers, json.dumps(OBJECT).encode()).traceparent is None  # type: ignore[union-attr]


def test_a_pubsub_message_s_own_traceparent_wins_over_the_cloudevent_s():
    own = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    message = {
        "data": base64.b64encode(json.dumps({"tenant_id": "acme", "job_id": JOB}).encode()).decode(),
        "attributes": {"kind": "job.queued", "traceparent": own},
        "messageId": "42",
    }
    headers = {
        "ce-specversion": "1.0",
        "ce-type": "google.cloud.pubsub.topic.v1.messagePublished",
        "ce-source": "//pubsub.googleapis.com/projects/p/topics/t",
        "ce-id": "42",
        "ce-traceparent": TRACEPARENT_CE,
        "Content-Type": "application/json",
    }
    delivery = parse_delivery(headers, json.dumps({"message": message, "subscription": "s"}).encode())
    assert isinstance(delivery, JobQueued) and delivery.traceparent == own
    del message["attributes"]["traceparent"]
    delivery = parse_delivery(headers, json.dumps({"message": message, "subscription": "s"}).encode())
    assert isinstance(delivery, JobQueued) and delivery.traceparent == TRACEPARENT_CE
