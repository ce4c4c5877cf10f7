"""``submit`` through functions-framework against Firestore and the Pub/Sub emulator."""

from __future__ import annotations

import json

import pytest
from google.cloud import pubsub_v1

from tests.integration.conftest import bearer

AGENT = "protocol-processor"


@pytest.fixture
def jobs_subscription(emulators):
    """A pull subscription on the jobs topic, to see what submit published."""
    subscriber = pubsub_v1.SubscriberClient()
    path = subscriber.subscription_path(emulators.project, f"test-jobs-{id(subscriber)}")
    subscriber.create_subscription(name=path, topic=f"projects/{emulators.project}/topics/agentjobs-jobs")
    yield subscriber, path
    subscriber.delete_subscription(subscription=path)
    subscriber.close()


def pulled(subscriber, path):
    response = subscriber.pull(subscription=path, max_messages=10, timeout=5)
    subscriber.acknowledge(
        subscription=path, ack_ids=[m.ack_id for m in response.received_messages]
    ) if response.received_messages else None
    return [(dict(m.message.attributes), json.loads(m.message.data)) for m in response.received_messages]


@pytest.fixture
def submit(make_app):
    return make_app("submit", AGENTJOBS_PUBLIC_BASE_URL="https://api.example.com")


def uri(emulators, tenant_id="acme", name="p.pdf"):
    return f"gs://{emulators.bucket}/tenants/{tenant_id}/inbox/{AGENT}/{name}"


def test_submit_accepts_stores_pending_and_publishes(submit, emulators, directory, tenant, jobs_subscription):
    response = submit.post(f"/v1/agents/{AGENT}/jobs", json={"file_uri": uri(emulators)}, headers=bearer(tenant))
    assert response.status_code == 202
    body = response.get_json()
    assert body["status"] == "pending"
    assert body["links"]["self"] == f"https://api.example.com/v1/jobs/{body['job_id']}"
    assert response.headers["Location"] == body["links"]["self"]
    job = directory.jobs("acme").get(body["job_id"])
    assert job.status.value == "pending" and job.source.value == "https"
    [(attributes, message)] = pulled(*jobs_subscription)
    attributes.pop("traceparent", None)  # run_agent continues the request's trace
    assert (attributes, message) == (
        {"kind": "job.queued", "tenant_id": "acme"},
        {"tenant_id": "acme", "job_id": body["job_id"]},
    )


def test_idempotency_key_semantics(submit, emulators, tenant, jobs_subscription):
    headers = {**bearer(tenant), "Idempotency-Key": "order-42"}
    first = submit.post(f"/v1/agents/{AGENT}/jobs", json={"file_uri": uri(emulators)}, headers=headers)
    again = submit.post(f"/v1/agents/{AGENT}/jobs", json={"file_uri": uri(emulators)}, headers=headers)
    assert (first.status_code, again.status_code) == (202, 200)
    assert first.get_json()["job_id"] == again.get_json()["job_id"]
    other = submit.post(f"/v1/agents/{AGENT}/jobs", json={"file_uri": uri(emulators, name="q.pdf")}, headers=headers)
    assert other.status_code == 422 and other.get_json()["error"]["code"] == "idempotency_key_reused"
    assert len(pulled(*jobs_subscription)) == 1


def test_same_key_in_another_tenant_is_independent(submit, emulators, tenant, other_tenant):
    a = submit.post(
        f"/v1/agents/{AGENT}/jobs",
        json={"file_uri": uri(emulators)},
        headers={**bearer(tenant), "Idempotency-Key": "k"},
    )
    b = submit.post(
        f"/v1/agents/{AGENT}/jobs",
        json={"file_uri": uri(emulators, "globex")},
        headers={**bearer(other_tenant), "Idempotency-Key": "k"},
    )
    assert a.status_code == b.status_code == 202
    assert a.get_json()["job_id"] != b.get_json()["job_id"]


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        (f"/v1/agents/{AGENT}/jobs", b"{not json", 400, "invalid_json"),
        (f"/v1/agents/{AGENT}/jobs", b"[1, 2]", 400, "invalid_json"),
        ("/v1/agents/summariser/jobs", b"{}", 404, "unknown_agent"),
        (f"/v1/agents/{AGENT}/jobs", b"{}", 422, "validation_error"),
        (f"/v1/agents/{AGENT}/jobs", b'{"file_uri": "https://example.com/p.pdf"}', 422, "validation_error"),
        (
            f"/v1/agents/{AGENT}/jobs",
            b'{"file_uri": "gs://agentjobs-dev/tenants/globex/inbox/p.pdf"}',
            403,
            "outside_tenant_prefix",
        ),
        (
            f"/v1/agents/{AGENT}/jobs",
            b'{"file_uri": "gs://agentjobs-dev/tenants/acme/p.pdf", "callback_url": "http://10.0.0.8/x"}',
            422,
            "callback_url_refused",
        ),
        (
            f"/v1/agents/{AGENT}/jobs",
            b'{"file_uri": "gs://agentjobs-dev/tenants/acme/p.pdf", "model": "openai/gpt-4o"}',
            403,
            "model_not_allowed",
        ),
        ("/v1/agents/../jobs", b"{}", 404, "route_not_found"),
    ],
)
def test_bad_requests_get_a_clear_4xx(submit, tenant, path, body, status, code):
    response = submit.post(path, data=body, headers=bearer(tenant), content_type="application/json")
    assert response.status_code == status, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"]


def test_validation_errors_name_fields_not_values(submit, tenant):
    response = submit.post(
        f"/v1/agents/{AGENT}/jobs",
        json={"file_uri": "not-a-uri-PATIENT-SECRET", "extra": 1},
        headers=bearer(tenant),
    )
    error = response.get_json()["error"]
    assert {e["field"] for e in error["errors"]} == {"file_uri", "(body)"}
    text = response.get_data(as_text=True)
    assert "PATIENT-SECRET" not in text and "extra" not in text  # client-chosen names are not echoed


def test_missing_or_wrong_key_is_401(submit, emulators):
    for headers in ({}, {"Authorization": "Bearer nope"}):
        response = submit.post(f"/v1/agents/{AGENT}/jobs", json={"file_uri": uri(emulators)}, headers=headers)
        assert response.status_code == 401


def test_body_over_the_limit_is_413(make_app, tenant, emulators):
    app = make_app("submit", AGENTJOBS_MAX_REQUEST_BYTES="200")
    body = {"file_uri": uri(emulators), "metadata": {"note": "x" * 300}}
    response = app.post(f"/v1/agents/{AGENT}/jobs", json=body, headers=bearer(tenant))
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "payload_too_large"


def test_wrong_method_and_openapi(submit, tenant):
    assert submit.get(f"/v1/agents/{AGENT}/jobs", headers=bearer(tenant)).status_code == 405
    document = submit.get("/v1/openapi.json").get_json()
    assert f"/v1/agents/{AGENT}/jobs" in document["paths"] and "/v1/agents/criteria-evaluator/jobs" in document["paths"]
