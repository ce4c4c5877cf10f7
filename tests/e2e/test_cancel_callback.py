"""Cancelling a pending job sends its ``job.cancelled`` callback at once, not at the sweeper's next tick."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import httpx

from common.jobs import lifecycle
from common.jobs.ids import new_job_id
from common.jobs.models import Source
from common.webhooks.receiver import WebhookReceiver


def test_a_cancelled_pending_job_s_callback_is_enqueued_by_the_cancel_itself(stack):
    tenant = stack.tenant("cancelcb")
    with WebhookReceiver(secret=tenant.webhook_secret) as receiver:
        # Stored pending and never published, as a job whose message is still on its way.
        job = lifecycle.new_job(
            job_id=new_job_id(),
            tenant_id=tenant.tenant.tenant_id,
            agent="criteria-evaluator",
            input={"criteria": [{"type": "inclusion", "text": "Adults"}], "patient_profile": ["A man."]},
            source=Source.HTTPS,
            now=datetime.now(UTC),
            callback_url=receiver.url,
        )
        stack.directory.jobs(tenant.tenant.tenant_id).create(job)
        started = time.monotonic()
        response = httpx.post(
            stack.url("status", f"/v1/jobs/{job.job_id}:cancel"),
            headers={"Authorization": f"Bearer {tenant.api_key}"},
        )
        assert response.status_code == 200 and response.json()["status"] == "cancelled", response.text
        [callback] = receiver.wait_for(1, timeout=10)
        waited = time.monotonic() - started
    assert callback.verified and callback.payload["type"] == "job.cancelled"
    assert (callback.payload["job_id"], callback.payload["status"]) == (job.job_id, "cancelled")
    # The sweeper re-enqueues pending callbacks only after AGENTJOBS_SWEEP_CALLBACK_AFTER_SECONDS.
    assert waited < 10
