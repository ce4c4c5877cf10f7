"""Submit over HTTPS and upstream Pub/Sub requests, through the real stack, with LLM calls going
to the scripted OpenAI-compatible server over HTTP."""

from __future__ import annotations

import json

import httpx
from google.cloud import pubsub_v1

from common.jobs.ids import request_job_id
from common.webhooks.receiver import WebhookReceiver

CRITERIA = [
    {"type": "inclusion", "text": "Adults aged 18 years or older"},
    {"type": "inclusion", "text": "Diagnosis of type 2 diabetes"},
    {"type": "exclusion", "text": "Pregnant women"},
]
PROFILE = ["A 54-year-old man with type 2 diabetes.", "He takes metformin."]


def test_criteria_evaluator_job_over_https_reaches_success_with_the_verdict_rule(stack):
    stack.script.statuses.update(
        {
            "Adults aged 18 years or older": "met",
            "Diagnosis of type 2 diabetes": "met",
            "Pregnant women": "not_met",
        }
    )
    tenant = stack.tenant("https")
    with WebhookReceiver(secret=tenant.webhook_secret) as receiver:
        body = {
            "criteria": CRITERIA,
            "patient_profile": PROFILE,
            "callback_url": receiver.url,
            "metadata": {"ref": "p1"},
        }
        headers = {"Authorization": f"Bearer {tenant.api_key}", "Idempotency-Key": "screen-1"}
        submit_url = stack.url("submit", "/v1/agents/criteria-evaluator/jobs")
        response = httpx.post(submit_url, json=body, headers=headers)
        assert response.status_code == 202, response.text
        accepted = response.json()
        job = stack.wait_job(tenant.api_key, accepted["job_id"])
        assert job["status"] == "success", job.get("error")
        result = job["result"]
        assert [c["status"] for c in result["criteria"]] == ["met", "met", "not_met"]
        assert result["verdict"] == "eligible"
        assert job["model"] == "openai/gpt-4o-mini:completions"
        assert job["usage"]["input_tokens"] > 0 and job["usage"]["output_tokens"] > 0
        assert job["metadata"] == {"ref": "p1"}
        [callback] = receiver.wait_for(1)
        assert callback.verified and callback.payload["type"] == "job.completed"

    replay = httpx.post(submit_url, json=body, headers=headers)
    assert replay.status_code == 200 and replay.json()["job_id"] == accepted["job_id"]


def test_exclusion_met_makes_the_patient_ineligible(stack):
    stack.script.statuses.update({"Currently pregnant": "met", "Adult": "met"})
    tenant = stack.tenant("verdict")
    response = httpx.post(
        stack.url("submit", "/v1/agents/criteria-evaluator/jobs"),
        json={
            "criteria": "Inclusion Criteria:\n- Adult\nExclusion Criteria:\n- Currently pregnant",
            "patient_profile": ["A pregnant adult."],
        },
        headers={"Authorization": f"Bearer {tenant.api_key}"},
    )
    assert response.status_code == 202, response.text
    job = stack.wait_job(tenant.api_key, response.json()["job_id"])
    assert job["result"]["verdict"] == "ineligible"


def publish_request(stack, tenant_id: str, body: dict | bytes, **attributes: str) -> str:
    publisher = pubsub_v1.PublisherClient()
    topic = publisher.topic_path(stack.info.project, "agentjobs-requests")
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return publisher.publish(topic, data, tenant_id=tenant_id, **attributes).result(timeout=10)


def test_upstream_pubsub_request_creates_one_job_even_when_redelivered(stack):
    stack.script.statuses.update({"Adults aged 18 years or older": "met", "Diagnosis of type 2 diabetes": "not_met"})
    tenant = stack.tenant("upstream")
    tenant_id = tenant.tenant.tenant_id
    body = {
        "agent": "criteria-evaluator",
        "input": {"criteria": CRITERIA[:2], "patient_profile": PROFILE},
        "idempotency_key": "batch-7-row-1",
    }
    publish_request(stack, tenant_id, body)
    publish_request(stack, tenant_id, body)  # the upstream system retried
    job_id = request_job_id(tenant_id, "criteria-evaluator", "batch-7-row-1")
    job = stack.wait_job(tenant.api_key, job_id)
    assert job["status"] == "success" and job["source"] == "pubsub"
    assert job["result"]["verdict"] == "ineligible"
    listing = httpx.get(stack.url("status", "/v1/jobs"), headers={"Authorization": f"Bearer {tenant.api_key}"}).json()
    assert [j["job_id"] for j in listing["jobs"]] == [job_id]


def test_malformed_upstream_requests_are_recorded_and_acked(stack):
    tenant = stack.tenant("malformed")
    tenant_id = tenant.tenant.tenant_id
    message_id = publish_request(stack, tenant_id, b"{not json")
    bad_input_id = publish_request(stack, tenant_id, {"agent": "criteria-evaluator", "input": {"criteria": []}})

    def rejection():
        docs = [d.to_dict() for d in stack.directory._client.collection("rejections").stream()]
        return [d for d in docs if d["message_id"] == message_id]

    [record] = stack.wait_for(rejection)
    assert record["code"] == "malformed_request" and record["tenant_id"] == tenant_id

    failed = stack.wait_job(tenant.api_key, request_job_id(tenant_id, "criteria-evaluator", bad_input_id))
    assert failed["status"] == "failed" and failed["error"]["code"] == "invalid_input"
