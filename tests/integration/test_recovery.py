"""Recovery through the real functions and emulators (issue 13, reproductions 10-12, 14, 15).

A lost job message leaves a job ``pending``; a worker that died leaves it ``running`` under an
expired lease. A sweep tick (what Cloud Scheduler publishes) must find both with its
collection-group queries and republish their job messages; delivering those ends both jobs.
A job out of attempts keeps its last error as the cause; a callback whose receiver is down is
visible as ``failing`` and then ``abandoned``; redeliveries of a finished job enqueue no
second callback task.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from google.cloud import pubsub_v1
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from common.adapters.firestore_store import FirestoreJobSweep
from common.jobs import lifecycle
from common.jobs.ids import new_job_id
from common.jobs.models import JobError, Source
from common.webhooks.receiver import WebhookReceiver
from tests.integration.conftest import bearer
from tests.support.hostile_pdfs import tiny_protocol_pdf

AGENT = "protocol-processor"


@pytest.fixture
def jobs_subscription(emulators):
    subscriber = pubsub_v1.SubscriberClient()
    path = subscriber.subscription_path(emulators.project, f"test-recovery-{id(subscriber)}")
    subscriber.create_subscription(name=path, topic=f"projects/{emulators.project}/topics/agentjobs-jobs")
    yield subscriber, path
    subscriber.delete_subscription(subscription=path)
    subscriber.close()


def pull(subscriber, path, expected: int) -> list[dict]:
    messages: list = []
    for _ in range(10):
        response = subscriber.pull(subscription=path, max_messages=10, timeout=5)
        messages += response.received_messages
        if response.received_messages:
            subscriber.acknowledge(subscription=path, ack_ids=[m.ack_id for m in response.received_messages])
        if len(messages) >= expected:
            break
    return [
        {
            "data": base64.b64encode(m.message.data).decode(),
            "attributes": dict(m.message.attributes),
            "messageId": m.message.message_id,
        }
        for m in messages
    ]


def stuck_jobs(directory, emulators, *, minutes_ago: float = 30):
    """A job whose message was lost (pending) and one whose worker died (running, lease expired)."""
    past = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    file_uri = f"gs://{emulators.bucket}/tenants/acme/inbox/{AGENT}/gone.pdf"

    def new(job_id):
        return lifecycle.new_job(
            job_id=job_id, tenant_id="acme", agent=AGENT, input={"file_uri": file_uri}, source=Source.HTTPS, now=past
        )

    lost = new(new_job_id())
    crashed = lifecycle.claim(new(new_job_id()), token="dead-worker", now=past, lease_seconds=60, max_attempts=3)
    store = directory.jobs("acme")
    return store.create(lost)[0], store.create(crashed)[0]


def test_the_sweep_queries_find_stuck_jobs_and_return_writable_revisions(directory, emulators, tenant):
    lost, crashed = stuck_jobs(directory, emulators)
    sweep = FirestoreJobSweep(directory._client)
    now = datetime.now(UTC)
    [pending] = sweep.stale_pending(updated_before=now - timedelta(minutes=1), limit=10)
    [expired] = sweep.expired_leases(now=now, limit=10)
    assert (pending.job_id, expired.job_id) == (lost.job_id, crashed.job_id)
    # The revision from a collection-group query conditions a write exactly like a read's does.
    written = directory.jobs("acme").replace(pending, lambda j: j.replace(metadata={"swept": "1"}))
    assert written.revision != pending.revision and directory.jobs("acme").get(lost.job_id).metadata == {"swept": "1"}


def test_a_sweep_tick_republishes_lost_and_crashed_jobs_and_both_end_terminal(
    make_app, directory, emulators, tenant, jobs_subscription
):
    lost, crashed = stuck_jobs(directory, emulators)
    run_agent = make_app("run_agent", AGENTJOBS_CALLBACKS_QUEUE="")
    tick = {"message": {"data": "", "attributes": {"kind": "sweep"}, "messageId": "tick-1"}, "subscription": "s"}
    response = run_agent.post("/", json=tick)
    assert response.status_code == 200 and response.get_json()["outcome"] == "swept"

    messages = pull(*jobs_subscription, expected=2)
    queued = sorted(json.loads(base64.b64decode(m["data"]))["job_id"] for m in messages)
    assert queued == sorted([lost.job_id, crashed.job_id])
    for message in messages:
        answer = run_agent.post("/", json={"message": message, "subscription": "s"})
        assert answer.status_code == 200 and answer.get_json()["status"] == "failed", answer.get_json()
    for job in (lost, crashed):
        stored = directory.jobs("acme").get(job.job_id)
        assert stored.status.value == "failed" and stored.error.code == "object_not_found"
    assert directory.jobs("acme").get(crashed.job_id).attempts == 2  # the dead worker's attempt counts


def test_a_redelivery_while_the_lease_is_live_is_acked_without_burning_an_attempt(
    make_app, directory, emulators, tenant
):
    store = directory.jobs("acme")
    now = datetime.now(UTC)
    job = lifecycle.new_job(
        job_id=new_job_id(), tenant_id="acme", agent=AGENT, input={"file_uri": "gs://x/y"}, source=Source.HTTPS, now=now
    )
    store.create(lifecycle.claim(job, token="live-worker", now=now, lease_seconds=600, max_attempts=3))
    data = base64.b64encode(json.dumps({"tenant_id": "acme", "job_id": job.job_id}).encode()).decode()
    message = {"data": data, "attributes": {"kind": "job.queued"}, "messageId": "r1"}
    response = make_app("run_agent").post("/", json={"message": message, "subscription": "s"})
    assert response.status_code == 200 and response.get_json()["outcome"] == "in_progress"
    assert store.get(job.job_id).attempts == 1 and store.get(job.job_id).lease_token == "live-worker"


def job_message(job_id: str, message_id: str) -> dict:
    data = base64.b64encode(json.dumps({"tenant_id": "acme", "job_id": job_id}).encode()).decode()
    return {
        "message": {"data": data, "attributes": {"kind": "job.queued"}, "messageId": message_id},
        "subscription": "s",
    }


def test_a_job_out_of_attempts_fails_keeping_the_last_attempts_error_as_its_cause(make_app, directory, tenant):
    now = datetime.now(UTC)
    job = lifecycle.new_job(
        job_id=new_job_id(), tenant_id="acme", agent=AGENT, input={"file_uri": "gs://x/y"}, source=Source.HTTPS, now=now
    )
    for attempt in range(3):
        job = lifecycle.claim(job, token=f"t{attempt}", now=now, lease_seconds=60, max_attempts=3)
        job = lifecycle.release(
            job, token=f"t{attempt}", now=now, error=JobError("model_rate_limited", "429 from the model")
        )
    directory.jobs("acme").create(job)
    response = make_app("run_agent", AGENTJOBS_MAX_ATTEMPTS="3").post("/", json=job_message(job.job_id, "x1"))
    assert response.status_code == 200 and response.get_json()["code"] == "attempts_exhausted"
    error = make_app("status").get(f"/v1/jobs/{job.job_id}", headers=bearer(tenant)).get_json()["error"]
    assert error["code"] == "attempts_exhausted"
    assert error["cause"] == {"code": "model_rate_limited", "message": "429 from the model"}


def finished_job_with_callback(directory, url: str):
    now = datetime.now(UTC)
    job = lifecycle.new_job(
        job_id=new_job_id(), tenant_id="acme", agent=AGENT, input={}, source=Source.HTTPS, now=now, callback_url=url
    )
    job = lifecycle.claim(job, token="t", now=now, lease_seconds=60, max_attempts=3)
    return directory.jobs("acme").create(lifecycle.complete(job, token="t", now=now, result={"title": "x"}))[0]


def test_a_callback_to_a_receiver_that_is_down_is_failing_then_abandoned_and_the_api_shows_it(
    make_app, directory, tenant
):
    notify, status = make_app("notify", AGENTJOBS_CALLBACK_MAX_ATTEMPTS="3"), make_app("status")
    with WebhookReceiver(secret=tenant.webhook_secret, fail_first=100) as receiver:
        job = finished_job_with_callback(directory, receiver.url)
        task = {"tenant_id": "acme", "job_id": job.job_id, "event": "job.completed"}
        first = notify.post("/", json=task, headers={"X-CloudTasks-TaskRetryCount": "0"})
        assert first.status_code == 503  # Cloud Tasks retries on the queue's backoff
        view = status.get(f"/v1/jobs/{job.job_id}", headers=bearer(tenant)).get_json()
        assert (view["callback_status"], view["callback_error"]) == ("failing", "http_503")
        last = notify.post("/", json=task, headers={"X-CloudTasks-TaskRetryCount": "2"})
        assert last.status_code == 200 and last.get_json()["outcome"] == "abandoned"
    view = status.get(f"/v1/jobs/{job.job_id}", headers=bearer(tenant)).get_json()
    assert (view["callback_status"], view["callback_error"]) == ("abandoned", "http_503")
    assert [a["http_status"] for a in view["callbacks"]] == [503, 503]


def test_redeliveries_of_a_finished_drop_enqueue_no_second_callback_task(
    make_app, admin, directory, emulators, tenant, blobs
):
    dispatched: list[bytes] = []

    @Request.application
    def notify_stand_in(request: Request) -> Response:
        dispatched.append(request.get_data())
        return Response(status=204)

    server = make_server("127.0.0.1", 0, notify_stand_in, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        admin.set_webhook("acme", "http://127.0.0.1:9/hook")
        run_agent = make_app("run_agent", AGENTJOBS_NOTIFY_URL=f"http://127.0.0.1:{server.server_port}/")
        stored = blobs("acme").write(f"inbox/{AGENT}/p.pdf", tiny_protocol_pdf(), content_type="application/pdf")
        name = stored.uri.split("/", 3)[3]
        resource = {"bucket": emulators.bucket, "name": name, "generation": str(stored.generation)}
        data = base64.b64encode(json.dumps(resource).encode()).decode()
        attributes = {
            "eventType": "OBJECT_FINALIZE",
            "bucketId": emulators.bucket,
            "objectId": name,
            "objectGeneration": str(stored.generation),
        }
        outcomes = [
            run_agent.post(
                "/", json={"message": {"data": data, "attributes": attributes, "messageId": f"d{i}"}}
            ).get_json()["outcome"]
            for i in range(4)
        ]
        assert outcomes == ["ran", "already_finished", "already_finished", "already_finished"]
        deadline = time.monotonic() + 15
        while not dispatched and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.5)  # room for a duplicate to arrive
        assert len(dispatched) == 1 and json.loads(dispatched[0])["event"] == "job.completed"
    finally:
        server.shutdown()
