"""The main job end to end: a real protocol PDF dropped into a tenant's inbox in Cloud Storage
becomes a finished job (GCS notification -> Pub/Sub push -> run_agent -> Firestore) that the
tenant looks up through ``status`` and is told about by a signed callback (Cloud Tasks -> notify)."""

from __future__ import annotations

import json

import httpx

from common.evaluation import score_criteria
from common.jobs.ids import gcs_job_id
from common.webhooks.receiver import WebhookReceiver


def test_dropped_cdisc_protocol_is_extracted_and_looked_up(stack, shared_data):
    tenant = stack.tenant("drop")
    with WebhookReceiver(secret=tenant.webhook_secret) as receiver:
        stack.admin.set_webhook(tenant.tenant.tenant_id, receiver.url)
        pdf = shared_data / "protocols" / "CDISC_Pilot_Study.pdf"
        stored = stack.blobs(tenant.tenant.tenant_id).write(
            "inbox/protocol-processor/CDISC_Pilot_Study.pdf", pdf.read_bytes(), content_type="application/pdf"
        )
        job_id = gcs_job_id(stack.info.bucket, stored.uri.split("/", 3)[3], stored.generation)
        job = stack.wait_job(tenant.api_key, job_id)

        assert job["status"] == "success", job.get("error")
        assert job["attempts"] == 1 and job["source"] == "gcs"
        summary = job["result"]
        gold = json.loads((shared_data / "protocols" / "gold" / "CDISC_Pilot_Study.json").read_text())[
            "eligibility_criteria"
        ]
        for kind in ("inclusion", "exclusion"):
            score = score_criteria([c["text"] for c in summary[f"{kind}_criteria"]], [g["text"] for g in gold[kind]])
            assert score.recall >= 0.95 and score.precision >= 0.95, (kind, score)
        first = summary["inclusion_criteria"][0]
        assert first["id"] == "1" and first["page"] == 11 and "50 years" in first["text"]
        assert summary["exclusion_criteria"][0]["page"] == 13
        kinds = {s["kind"] for s in summary["sections"]}
        assert {"inclusion", "exclusion"} <= kinds

        [callback] = receiver.wait_for(1, timeout=30)
        assert callback.verified and callback.payload["job_id"] == job_id
        assert callback.payload["links"]["self"] == stack.url("status", f"/v1/jobs/{job_id}")

    other = stack.tenant("other")
    response = httpx.get(
        stack.url("status", f"/v1/jobs/{job_id}"), headers={"Authorization": f"Bearer {other.api_key}"}
    )
    assert response.status_code == 404


def test_bad_file_ends_failed_and_nothing_loops(stack):
    tenant = stack.tenant("bad")
    stored = stack.blobs(tenant.tenant.tenant_id).write(
        "inbox/protocol-processor/notes.pdf", b"this is not a pdf", content_type="application/pdf"
    )
    job_id = gcs_job_id(stack.info.bucket, stored.uri.split("/", 3)[3], stored.generation)
    job = stack.wait_job(tenant.api_key, job_id)
    assert job["status"] == "failed" and job["error"]["code"] == "not_a_pdf"
    assert job["attempts"] == 1
