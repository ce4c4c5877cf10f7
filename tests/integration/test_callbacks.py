"""Callbacks for real: Cloud Tasks emulator -> notify -> a receiver verifying Standard Webhooks signatures."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from werkzeug.serving import make_server

from common.adapters.cloud_tasks import CloudTasksQueue, tasks_client
from common.jobs import lifecycle
from common.jobs.models import Source
from common.services.callbacks import CallbackScheduler
from common.webhooks.receiver import WebhookReceiver


def finished_job(directory, tenant_id, callback_url=None):
    now = datetime.now(UTC)
    job = lifecycle.new_job(
        job_id="job_" + "a" * 26,
        tenant_id=tenant_id,
        agent="protocol-processor",
        input={},
        source=Source.HTTPS,
        now=now,
        callback_url=callback_url,
    )
    job = lifecycle.claim(job, token="t", now=now, lease_seconds=60, max_attempts=3)
    job = lifecycle.complete(job, token="t", now=now, result={"ok": True})
    directory.jobs(tenant_id).create(job)
    return job


@pytest.fixture
def notify_server(make_app):
    """The notify function served over real HTTP, so the Tasks emulator can call it."""
    client = make_app("notify", AGENTJOBS_PUBLIC_BASE_URL="https://api.example.com")
    server = make_server("127.0.0.1", 0, client.application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()


def test_notify_signs_retries_and_records_every_attempt(make_app, directory, tenant):
    with WebhookReceiver(secret=tenant.webhook_secret, fail_first=2) as receiver:
        job = finished_job(directory, "acme", callback_url=receiver.url)
        notify = make_app("notify")
        task = {"tenant_id": "acme", "job_id": job.job_id, "event": "job.completed"}
        codes = [notify.post("/", json=task).status_code for _ in range(4)]
        assert codes == [503, 503, 200, 200]
        assert [r.answered for r in receiver.received] == [503, 503, 204]
        accepted = receiver.wait_for(1)
        assert accepted[0].verified and accepted[0].payload["job_id"] == job.job_id
        attempts = directory.jobs("acme").get(job.job_id).callbacks
        assert [a.http_status for a in attempts] == [503, 503, 204]
        assert all(a.latency_ms >= 0 for a in attempts)


def test_malformed_task_is_acked(make_app):
    assert make_app("notify").post("/", data=b"nonsense").status_code == 200


def test_cloud_tasks_queue_delivers_through_the_emulator(emulators, directory, tenant, notify_server):
    with WebhookReceiver(secret=tenant.webhook_secret, fail_first=2) as receiver:
        job = finished_job(directory, "acme", callback_url=receiver.url)
        queue = CloudTasksQueue(
            tasks_client(emulators.endpoints["tasks"]),
            queue=emulators.env["AGENTJOBS_CALLBACKS_QUEUE"],
            target_url=notify_server,
        )
        scheduler = CallbackScheduler(queue=queue, allow_loopback=True)
        assert scheduler.schedule(directory.jobs("acme").get(job.job_id))
        assert not scheduler.schedule(directory.jobs("acme").get(job.job_id))  # task-name dedup
        delivered = receiver.wait_for(1, timeout=30)
        assert len(delivered) == 1 and delivered[0].verified
        assert delivered[0].payload == {
            "type": "job.completed",
            "job_id": job.job_id,
            "agent": "protocol-processor",
            "status": "success",
            "links": {"self": f"https://api.example.com/v1/jobs/{job.job_id}"},
        }
        time.sleep(1)
        stored = directory.jobs("acme").get(job.job_id)
        statuses = [a.http_status for a in stored.callbacks]
        assert statuses.count(204) == 1 and statuses[:2] == [503, 503]
        assert stored.callback_status.value == "delivered"
        gaps = [(b.at - a.at).total_seconds() for a, b in zip(stored.callbacks, stored.callbacks[1:], strict=False)]
        assert gaps[1] > gaps[0] >= 0.4  # the queue's exponential backoff, not the emulator's 0.1 s loop
