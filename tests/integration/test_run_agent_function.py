"""``run_agent`` through functions-framework against the emulators, with real deliveries."""

from __future__ import annotations

import base64
import io
import json

import pytest
from reportlab.pdfgen import canvas

from common.adapters.clients import firestore_client
from common.jobs.ids import gcs_job_id
from tests.integration.conftest import sample_pdf

AGENT = "protocol-processor"


def gcs_push(bucket: str, stored, message_id: str = "m1") -> dict:
    name = stored.uri.split("/", 3)[3]
    resource = {"bucket": bucket, "name": name, "generation": str(stored.generation)}
    attributes = {
        "eventType": "OBJECT_FINALIZE",
        "bucketId": bucket,
        "objectId": name,
        "objectGeneration": str(stored.generation),
        "payloadFormat": "JSON_API_V1",
    }
    data = base64.b64encode(json.dumps(resource).encode()).decode()
    return {"message": {"data": data, "attributes": attributes, "messageId": message_id}, "subscription": "s"}


def job_for(directory, tenant_id, bucket, stored):
    return directory.jobs(tenant_id).get(gcs_job_id(bucket, stored.uri.split("/", 3)[3], stored.generation))


@pytest.fixture
def run_agent(make_app):
    return make_app("run_agent")


def blank_pdf() -> bytes:
    out = io.BytesIO()
    blank = canvas.Canvas(out, pagesize=(612, 792))
    blank.showPage()
    blank.save()
    return out.getvalue()


def test_dropped_protocol_becomes_a_finished_job(run_agent, emulators, directory, tenant, blobs, shared_data):
    stored = blobs("acme").write(f"inbox/{AGENT}/protocol.pdf", sample_pdf(shared_data), content_type="application/pdf")
    response = run_agent.post("/", json=gcs_push(emulators.bucket, stored))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "success"
    job = job_for(directory, "acme", emulators.bucket, stored)
    assert job.status.value == "success" and job.attempts == 1
    assert len(job.result["inclusion_criteria"]) >= 8 and len(job.result["exclusion_criteria"]) >= 20
    assert job.result["method"] == "rules"
    assert {"download", "extract_text", "parse_criteria", "run"} <= set(job.timings)

    again = run_agent.post("/", json=gcs_push(emulators.bucket, stored, message_id="m2"))
    assert again.get_json()["outcome"] == "already_finished"
    assert len(directory.jobs("acme").list()) == 1


def test_eventarc_cloudevent_shape(run_agent, emulators, directory, tenant, blobs, shared_data):
    stored = blobs("acme").write(f"inbox/{AGENT}/p.pdf", sample_pdf(shared_data), content_type="application/pdf")
    name = stored.uri.split("/", 3)[3]
    headers = {
        "ce-specversion": "1.0",
        "ce-type": "google.cloud.storage.object.v1.finalized",
        "ce-source": f"//storage.googleapis.com/projects/_/buckets/{emulators.bucket}",
        "ce-id": "evt-1",
        "ce-subject": f"objects/{name}",
    }
    body = {"bucket": emulators.bucket, "name": name, "generation": str(stored.generation), "size": "1"}
    response = run_agent.post("/", json=body, headers=headers)
    assert response.get_json()["status"] == "success"


@pytest.mark.parametrize(
    ("filename", "content", "code"),
    [
        ("empty.pdf", b"", "empty_document"),
        ("notes.pdf", b"just some text, not a PDF", "not_a_pdf"),
        ("broken.pdf", b"%PDF-1.7\n1 0 obj <<", "corrupt_document"),
        ("scan.pdf", None, "no_text_layer"),
    ],
)
def test_bad_documents_end_failed_with_a_clear_code(
    run_agent, emulators, directory, tenant, blobs, filename, content, code
):
    data = blank_pdf() if content is None else content
    stored = blobs("acme").write(f"inbox/{AGENT}/{filename}", data, content_type="application/pdf")
    response = run_agent.post("/", json=gcs_push(emulators.bucket, stored))
    assert response.status_code == 200
    job = job_for(directory, "acme", emulators.bucket, stored)
    assert job.status.value == "failed"
    assert job.error.code == code


def test_huge_file_fails_without_downloading(make_app, emulators, directory, tenant, blobs):
    app = make_app("run_agent", AGENTJOBS_MAX_DOCUMENT_BYTES="1000")
    stored = blobs("acme").write(f"inbox/{AGENT}/big.pdf", b"%PDF-1.4" + b"0" * 5000, content_type="application/pdf")
    app.post("/", json=gcs_push(emulators.bucket, stored))
    assert job_for(directory, "acme", emulators.bucket, stored).error.code == "document_too_large"


def test_unknown_agent_in_the_path_fails_visibly(run_agent, emulators, directory, tenant, blobs):
    stored = blobs("acme").write("inbox/summariser/p.pdf", b"%PDF", content_type="application/pdf")
    response = run_agent.post("/", json=gcs_push(emulators.bucket, stored))
    assert response.status_code == 200 and response.get_json()["code"] == "unknown_agent"
    assert job_for(directory, "acme", emulators.bucket, stored).status.value == "failed"


def test_objects_outside_inboxes_and_unknown_tenants(run_agent, emulators, directory, tenant, blobs):
    result = blobs("acme").write("results/x.json", b"{}", content_type="application/json")
    assert run_agent.post("/", json=gcs_push(emulators.bucket, result)).get_json()["outcome"] == "ignored"
    ghost = blobs("ghost").write(f"inbox/{AGENT}/p.pdf", b"%PDF", content_type="application/pdf")
    response = run_agent.post("/", json=gcs_push(emulators.bucket, ghost, message_id="g1"))
    assert response.status_code == 200 and response.get_json()["code"] == "unknown_tenant"
    rejections = list(firestore_client(emulators.project).collection("rejections").stream())
    assert [r.to_dict()["code"] for r in rejections] == ["unknown_tenant"]


@pytest.mark.parametrize(
    "body",
    [b"", b"garbage", b"[]", b'{"message": "x"}', b'{"message": {"data": "!!", "messageId": "1"}}'],
)
def test_malformed_deliveries_are_acked_and_recorded(run_agent, body):
    response = run_agent.post("/", data=body, content_type="application/json")
    assert response.status_code == 200
    assert response.get_json()["outcome"] == "rejected"


def test_malformed_cloudevent_is_acked(run_agent):
    response = run_agent.post("/", data=b"{}", headers={"ce-specversion": "1.0", "ce-type": "x"})
    assert response.status_code == 200 and response.get_json()["outcome"] == "rejected"


def test_storage_outage_is_retried_then_succeeds(make_app, emulators, directory, tenant, blobs, shared_data):
    stored = blobs("acme").write(f"inbox/{AGENT}/p.pdf", sample_pdf(shared_data), content_type="application/pdf")
    broken = make_app("run_agent", STORAGE_EMULATOR_HOST="http://127.0.0.1:9", AGENTJOBS_BACKEND_RETRY_SECONDS="1")
    response = broken.post("/", json=gcs_push(emulators.bucket, stored))
    assert response.status_code == 503
    job = job_for(directory, "acme", emulators.bucket, stored)
    assert job.status.value == "pending" and job.attempts == 1 and job.error.code == "backend_unavailable"

    healthy = make_app("run_agent", STORAGE_EMULATOR_HOST=emulators.env["STORAGE_EMULATOR_HOST"])
    assert healthy.post("/", json=gcs_push(emulators.bucket, stored)).get_json()["status"] == "success"
    assert job_for(directory, "acme", emulators.bucket, stored).attempts == 2


def test_large_results_are_offloaded_and_served_by_status(make_app, emulators, directory, tenant, blobs, shared_data):
    app = make_app("run_agent", AGENTJOBS_INLINE_RESULT_BYTES="1000")
    stored = blobs("acme").write(f"inbox/{AGENT}/p.pdf", sample_pdf(shared_data), content_type="application/pdf")
    app.post("/", json=gcs_push(emulators.bucket, stored))
    job = job_for(directory, "acme", emulators.bucket, stored)
    assert job.result is None and job.result_ref.startswith(f"gs://{emulators.bucket}/tenants/acme/results/")
    status = make_app("status")
    body = status.get(f"/v1/jobs/{job.job_id}", headers={"Authorization": f"Bearer {tenant.api_key}"}).get_json()
    assert len(body["result"]["exclusion_criteria"]) >= 20


def test_get_is_not_a_delivery(run_agent):
    assert run_agent.get("/").status_code == 405
