"""Uploads through ``submit`` (functions-framework) against fake-gcs-server, Firestore and Pub/Sub emulators."""

from __future__ import annotations

import base64
import os

import httpx
import pytest

from tests.integration.conftest import bearer, sample_pdf
from tests.support.v4_signature import signature_valid

AGENT = "protocol-processor"


@pytest.fixture
def submit(make_app):
    return make_app(
        "submit", AGENTJOBS_PUBLIC_BASE_URL="https://api.example.com", AGENTJOBS_MAX_INLINE_DOCUMENT_BYTES="65536"
    )


def _objects(blobs, tenant_id="acme"):
    store = blobs(tenant_id)
    bucket = store._bucket  # the tenant's bucket handle, to list what is there
    return sorted(b.name for b in bucket.list_blobs(prefix=f"tenants/{tenant_id}/uploads/"))


def test_upload_over_a_signed_url_then_submit_the_file_uri(submit, tenant, directory, blobs, shared_data):
    data = sample_pdf(shared_data)
    answer = submit.post(
        "/v1/uploads",
        json={"filename": "Trial protocol v2.pdf", "content_type": "application/pdf", "size_bytes": len(data)},
        headers=bearer(tenant),
    )
    assert answer.status_code == 201
    upload = answer.get_json()
    assert upload["method"] == "PUT" and upload["upload_id"].startswith("upl_")
    assert upload["file_uri"].startswith("gs://") and "/tenants/acme/uploads/" in upload["file_uri"]
    assert "Trial" not in upload["file_uri"] and "Trial" not in upload["upload_url"]  # the name is not kept
    assert upload["headers"] == {
        "Content-Type": "application/pdf",
        "x-goog-content-length-range": f"{len(data)},{len(data)}",
    }
    # Bound to the method, content type and exact size: the signature holds only for those.
    key = os.environ["AGENTJOBS_DEV_SIGNING_KEY"]
    assert signature_valid(upload["upload_url"], "PUT", upload["headers"], key)
    assert not signature_valid(upload["upload_url"], "PUT", upload["headers"] | {"Content-Type": "text/html"}, key)
    other_size = upload["headers"] | {"x-goog-content-length-range": "0,999999999"}
    assert not signature_valid(upload["upload_url"], "PUT", other_size, key)
    assert not signature_valid(upload["upload_url"], "GET", upload["headers"], key)
    assert "X-Goog-Expires=900" in upload["upload_url"]

    put = httpx.put(upload["upload_url"], content=data, headers=upload["headers"])
    assert put.status_code == 200
    job = submit.post(f"/v1/agents/{AGENT}/jobs", json={"file_uri": upload["file_uri"]}, headers=bearer(tenant))
    assert job.status_code == 202
    stored = directory.jobs("acme").get(job.get_json()["job_id"])
    assert stored.input["file_uri"] == upload["file_uri"]
    assert blobs("acme").read(upload["file_uri"], max_bytes=len(data)) == data


@pytest.mark.parametrize(
    ("body", "status", "fields"),
    [
        ({"filename": "a.pdf", "content_type": "text/html", "size_bytes": 10}, 422, ["content_type"]),
        ({"filename": "", "content_type": "application/pdf", "size_bytes": 0}, 422, ["filename", "size_bytes"]),
        ({"filename": "a.pdf", "content_type": "application/pdf", "size_bytes": 10**12}, 413, []),
    ],
)
def test_upload_requests_are_checked(submit, tenant, body, status, fields):
    answer = submit.post("/v1/uploads", json=body, headers=bearer(tenant))
    assert answer.status_code == status
    assert [e["field"] for e in answer.get_json()["error"].get("errors", [])] == fields


def test_delete_an_upload_only_in_the_own_tenant(submit, tenant, other_tenant, blobs):
    upload = submit.post(
        "/v1/uploads",
        json={"filename": "x.pdf", "content_type": "application/pdf", "size_bytes": 9},
        headers=bearer(tenant),
    ).get_json()
    assert httpx.put(upload["upload_url"], content=b"%PDF-1.4\n", headers=upload["headers"]).status_code == 200
    assert submit.delete(f"/v1/uploads/{upload['upload_id']}", headers=bearer(other_tenant)).status_code == 404
    mine = [n for n in _objects(blobs) if upload["upload_id"] in n]
    assert len(mine) == 1
    gone = submit.delete(f"/v1/uploads/{upload['upload_id']}", headers=bearer(tenant))
    assert gone.status_code == 200 and not [n for n in _objects(blobs) if upload["upload_id"] in n]
    again = submit.delete(f"/v1/uploads/{upload['upload_id']}", headers=bearer(tenant))
    assert again.status_code == 404 and again.get_json()["error"]["code"] == "upload_not_found"
    assert submit.delete("/v1/uploads/..%2Fx", headers=bearer(tenant)).status_code == 404


def test_a_small_pdf_inline_as_base64(submit, tenant, directory, blobs):
    pdf = b"%PDF-1.4\n" + b"0" * 1000
    answer = submit.post(
        f"/v1/agents/{AGENT}/jobs", json={"document_base64": base64.b64encode(pdf).decode()}, headers=bearer(tenant)
    )
    assert answer.status_code == 202
    job = directory.jobs("acme").get(answer.get_json()["job_id"])
    assert "/tenants/acme/uploads/upl_" in job.input["file_uri"] and job.input["generation"] > 0
    assert blobs("acme").read(job.input["file_uri"], max_bytes=10_000) == pdf


@pytest.mark.parametrize(
    ("document", "status", "code"),
    [
        (base64.b64encode(b"%PDF-" + b"0" * 70_000).decode(), 413, "document_too_large"),
        (base64.b64encode(b"<html>").decode(), 422, "validation_error"),
        ("not base64!", 422, "validation_error"),
    ],
)
def test_inline_documents_are_checked_and_leave_nothing_behind(submit, tenant, blobs, document, status, code):
    before = _objects(blobs)
    answer = submit.post(f"/v1/agents/{AGENT}/jobs", json={"document_base64": document}, headers=bearer(tenant))
    assert (answer.status_code, answer.get_json()["error"]["code"]) == (status, code)
    assert _objects(blobs) == before


def test_an_agent_without_documents_refuses_an_inline_one(submit, tenant):
    body = {"criteria": "x", "patient_profile": ["y"], "document_base64": base64.b64encode(b"%PDF-1").decode()}
    answer = submit.post("/v1/agents/criteria-evaluator/jobs", json=body, headers=bearer(tenant))
    assert answer.status_code == 422 and answer.get_json()["error"]["code"] == "document_not_accepted"


def test_an_agent_that_needs_a_model_is_refused_at_submit_time_when_none_is_configured(make_app, tenant, monkeypatch):
    monkeypatch.delenv("AGENTJOBS_MODEL", raising=False)
    monkeypatch.delenv("AGENTJOBS_MODEL__CRITERIA_EVALUATOR", raising=False)
    app = make_app("submit")
    body = {"criteria": [{"type": "inclusion", "text": "Adult"}], "patient_profile": ["An adult."]}
    answer = app.post("/v1/agents/criteria-evaluator/jobs", json=body, headers=bearer(tenant))
    assert answer.status_code == 422
    error = answer.get_json()["error"]
    assert error["code"] == "model_not_configured"
    for where in ("AGENTJOBS_MODEL__CRITERIA_EVALUATOR", "agentjobs dev up --model", "Terraform variable"):
        assert where in error["message"]


def test_the_largest_inline_document_fits_the_default_body_limit(make_app, tenant, directory):
    from common.config import Settings

    settings = Settings()
    app = make_app("submit")
    pdf = b"%PDF-1.4\n" + b"0" * (settings.max_inline_document_bytes - 9)
    body = {"document_base64": base64.b64encode(pdf).decode(), "metadata": {"k": "v" * 512}}
    answer = app.post(f"/v1/agents/{AGENT}/jobs", json=body, headers=bearer(tenant))
    assert answer.status_code == 202, answer.get_json()
    too_big = base64.b64encode(pdf + b"0").decode()
    refused = app.post(f"/v1/agents/{AGENT}/jobs", json={"document_base64": too_big}, headers=bearer(tenant))
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (413, "document_too_large")
