import base64
import json

from common.messaging.deliveries import Ignored, JobQueued, JobRequest, ObjectFinalized, Rejected
from common.messaging.parse import parse_delivery

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
    assert delivery == ObjectFinalized("bkt", OBJECT["name"], OBJECT["generation"], 14, "application/pdf", "m1")


def test_gcs_notification_without_payload_uses_attributes():
    delivery = parse_delivery({}, push(b"", gcs_attributes()))
    assert isinstance(delivery, ObjectFinalized)
    assert delivery.generation == OBJECT["generation"] and delivery.size is None


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
    assert delivery == ObjectFinalized("bkt", OBJECT["name"], OBJECT["generation"], 14, "application/pdf", "ev-1")


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
        "data": base64.b64encode(json.dumps({"tenant_id": "acme", "job_id": "job_x"}).encode()).decode(),
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
    assert delivery == JobQueued("acme", "job_x", "42")


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
