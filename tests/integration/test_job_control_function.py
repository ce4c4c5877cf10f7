"""``status``'s job control and listings through functions-framework against Firestore and Pub/Sub emulators."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from common.adapters.clients import firestore_client
from common.adapters.firestore_store import FirestoreRejectionLog
from common.jobs import lifecycle
from common.jobs.ids import new_job_id
from common.jobs.models import JobError, Source
from common.judges.models import Quality
from tests.integration.conftest import bearer
from tests.integration.test_submit_function import jobs_subscription, pulled  # noqa: F401 - fixture

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def store(directory, tenant_id="acme", *, minutes=0, status="pending", agent="protocol-processor", attempts=1):
    job = lifecycle.new_job(
        job_id=new_job_id(),
        tenant_id=tenant_id,
        agent=agent,
        input={"file_uri": f"gs://agentjobs-dev/tenants/{tenant_id}/inbox/p.pdf"},
        source=Source.HTTPS,
        now=T0 + timedelta(minutes=minutes),
    )
    for attempt in range(attempts if status != "pending" else 0):
        job = lifecycle.claim(job, token=f"t{attempt}", now=job.created_at, lease_seconds=60, max_attempts=9)
        if attempt < attempts - 1:
            job = lifecycle.release(job, token=f"t{attempt}", now=job.created_at, error=JobError("x", "x"))
    if status == "running":
        job = job.replace(lease_expires_at=datetime.now(UTC) + timedelta(minutes=5))
    elif status == "failed":
        job = lifecycle.fail(job, token=f"t{attempts - 1}", now=job.created_at, error=JobError("no_text_layer", "x"))
    elif status == "success":
        job = lifecycle.complete(job, token=f"t{attempts - 1}", now=job.created_at, result={"title": "x"})
    directory.jobs(tenant_id).create(job)
    return job


@pytest.fixture
def status(make_app):
    return make_app("status", AGENTJOBS_PUBLIC_BASE_URL="https://api.example.com", AGENTJOBS_MAX_ATTEMPTS="3")


def test_cancel_a_pending_job_then_409_on_finished_and_404_for_another_tenant(status, directory, tenant, other_tenant):
    pending = store(directory)
    response = status.post(f"/v1/jobs/{pending.job_id}:cancel", headers=bearer(tenant))
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    assert directory.jobs("acme").get(pending.job_id).status.value == "cancelled"
    done = store(directory, status="success")
    refused = status.post(f"/v1/jobs/{done.job_id}:cancel", headers=bearer(tenant))
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "job_not_cancellable"
    theirs = status.post(f"/v1/jobs/{pending.job_id}:cancel", headers=bearer(other_tenant))
    assert theirs.status_code == 404 and theirs.get_json()["error"]["code"] == "job_not_found"


def test_cancel_a_running_job_is_202_until_its_attempt_stops(status, directory, tenant):
    running = store(directory, status="running")
    response = status.post(f"/v1/jobs/{running.job_id}:cancel", headers=bearer(tenant))
    assert response.status_code == 202
    body = response.get_json()
    assert body["status"] == "running" and body["cancel_requested_at"]
    assert directory.jobs("acme").get(running.job_id).cancel_requested_at is not None


def test_retry_a_failed_job_publishes_it_again(status, directory, tenant, jobs_subscription):  # noqa: F811
    failed = store(directory, status="failed")
    response = status.post(f"/v1/jobs/{failed.job_id}:retry", headers=bearer(tenant))
    assert response.status_code == 202
    assert response.get_json()["status"] == "pending" and response.get_json()["retries"] == 1
    [(attributes, message)] = pulled(*jobs_subscription)
    attributes.pop("traceparent", None)  # the retry request's trace continues in the new run
    assert (attributes, message) == (
        {"kind": "job.queued", "tenant_id": "acme"},
        {"tenant_id": "acme", "job_id": failed.job_id},
    )
    again = status.post(f"/v1/jobs/{failed.job_id}:retry", headers=bearer(tenant))
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "job_not_failed"
    capped = store(directory, status="failed", attempts=3)
    refused = status.post(f"/v1/jobs/{capped.job_id}:retry", headers=bearer(tenant))
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "attempt_cap_reached"


def test_job_control_needs_post(status, directory, tenant):
    job = store(directory)
    assert status.get(f"/v1/jobs/{job.job_id}:cancel", headers=bearer(tenant)).status_code == 404
    assert status.post(f"/v1/jobs/{job.job_id}", headers=bearer(tenant)).status_code == 405


def test_list_filters_by_agent_and_creation_time_and_pages_with_a_token(status, directory, tenant):
    jobs = [store(directory, minutes=i, agent="protocol-processor") for i in range(5)]
    store(directory, minutes=10, agent="criteria-evaluator")
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        query = {"agent": "protocol-processor", "limit": "2"} | ({"page_token": token} if token else {})
        body = status.get("/v1/jobs", query_string=query, headers=bearer(tenant)).get_json()
        seen += [j["job_id"] for j in body["jobs"]]
        pages += 1
        token = body.get("next_page_token")
        if token is None:
            break
    assert seen == [j.job_id for j in reversed(jobs)] and pages == 3
    after = (T0 + timedelta(minutes=2)).isoformat().replace("+00:00", "Z")
    recent = status.get("/v1/jobs", query_string={"created_after": after}, headers=bearer(tenant)).get_json()
    assert len(recent["jobs"]) == 3 and "next_page_token" not in recent


def test_quality_combines_with_agent_and_pages(status, directory, tenant):
    flagged = [
        directory.jobs("acme").update(
            store(directory, minutes=i, status="success", agent=agent).job_id,
            lambda j: j.replace(quality=Quality.FLAGGED),
        )
        for i, agent in enumerate(["protocol-processor", "criteria-evaluator", "protocol-processor"])
    ]
    store(directory, minutes=9, status="success")  # not judged: no quality
    query = {"quality": "flagged", "agent": "protocol-processor", "limit": "1"}
    first = status.get("/v1/jobs", query_string=query, headers=bearer(tenant)).get_json()
    second = status.get(
        "/v1/jobs", query_string=query | {"page_token": first["next_page_token"]}, headers=bearer(tenant)
    ).get_json()
    assert [first["jobs"][0]["job_id"], second["jobs"][0]["job_id"]] == [flagged[2].job_id, flagged[0].job_id]
    assert "next_page_token" not in second
    after = (T0 + timedelta(seconds=30)).isoformat().replace("+00:00", "Z")
    recent = status.get(
        "/v1/jobs", query_string={"quality": "flagged", "created_after": after}, headers=bearer(tenant)
    ).get_json()
    assert [j["job_id"] for j in recent["jobs"]] == [flagged[2].job_id, flagged[1].job_id]


def test_a_page_token_is_checked(status, directory, tenant):
    for i in range(3):
        store(directory, minutes=i)
    token = status.get("/v1/jobs", query_string={"limit": "1"}, headers=bearer(tenant)).get_json()["next_page_token"]
    for query in (
        {"page_token": token, "status": "failed"},  # other filters
        {"page_token": token[:-3] + "xyz"},
        {"page_token": "not-a-token"},
        {"created_after": "yesterday"},
        {"agent": "no-such-agent"},
    ):
        response = status.get("/v1/jobs", query_string=query, headers=bearer(tenant))
        assert response.status_code == 400, query
        assert response.get_json()["error"]["code"] in {"invalid_page_token", "invalid_parameter"}


def test_rejections_list_the_tenants_own_codes_and_never_content(status, emulators, tenant, other_tenant):
    log = FirestoreRejectionLog(firestore_client(emulators.project))
    for i in range(3):
        log.record(f"m{i}", code="unknown_agent", reason="no agent has that name", tenant_id="acme", now=T0)
    log.record("x", code="unknown_agent", reason="no agent has that name", tenant_id="globex", now=T0)
    first = status.get("/v1/rejections", query_string={"limit": "2"}, headers=bearer(tenant)).get_json()
    assert first["count"] == 2 and set(first["rejections"][0]) == {"rejection_id", "code", "reason", "received_at"}
    token = first["next_page_token"]
    rest = status.get("/v1/rejections", query_string={"page_token": token}, headers=bearer(tenant)).get_json()
    assert rest["count"] == 1 and "next_page_token" not in rest
    ids = {r["rejection_id"] for r in first["rejections"] + rest["rejections"]}
    assert len(ids) == 3
    theirs = status.get("/v1/rejections", headers=bearer(other_tenant)).get_json()
    assert theirs["count"] == 1


class _Checkpointing:
    """An agent that works in stages until it is told to stop; each stage ends at a checkpoint."""

    name = "protocol-processor"

    def __init__(self):
        from common.agents.registry import load_agent

        real = load_agent("protocol-processor")
        self.input_model, self.output_model = real.input_model, real.output_model
        self.stages = 0

    def input_from_file(self, file_uri, generation):
        return None

    def run(self, payload, ctx):
        while self.stages < 200:
            time.sleep(0.05)
            self.stages += 1
            ctx.record_stage("work", 0.05)  # the checkpoint
        raise AssertionError("the cancellation never reached the agent")


def test_a_running_attempt_stops_at_its_next_checkpoint_after_a_cancel_over_http(status, directory, tenant, blobs):
    from common.config import Settings
    from common.services.execution import JobExecutor

    job = store(directory)
    agent = _Checkpointing()
    executor = JobExecutor(
        settings=Settings(heartbeat_seconds=0.2, lease_seconds=5),
        blobs_for=blobs,  # the agent reads nothing
        clock=lambda: datetime.now(UTC),
        agents=lambda name: agent,
    )
    outcome = []
    worker = threading.Thread(target=lambda: outcome.append(executor.execute(directory.jobs("acme"), job.job_id)))
    worker.start()
    while agent.stages < 2:
        time.sleep(0.02)
    response = status.post(f"/v1/jobs/{job.job_id}:cancel", headers=bearer(tenant))
    assert response.status_code == 202
    asked_at = agent.stages
    worker.join(timeout=10)
    assert outcome and (outcome[0].status, outcome[0].code) == ("cancelled", "job_cancelled")
    assert agent.stages - asked_at <= 8  # within a heartbeat (0.2 s) and one stage (0.05 s), with slack
    final = status.get(f"/v1/jobs/{job.job_id}", headers=bearer(tenant)).get_json()
    assert final["status"] == "cancelled" and final["finished_at"]
