"""``status`` through functions-framework against the Firestore and GCS emulators."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from common.jobs import lifecycle
from common.jobs.ids import new_job_id
from common.jobs.models import JobError, Source
from tests.integration.conftest import bearer

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def store_job(directory, tenant_id, *, minutes=0, status="success", result=None, result_ref=None):
    job = lifecycle.new_job(
        job_id=new_job_id(),
        tenant_id=tenant_id,
        agent="protocol-processor",
        input={"file_uri": f"gs://agentjobs-dev/tenants/{tenant_id}/inbox/p.pdf"},
        source=Source.GCS,
        now=T0 + timedelta(minutes=minutes),
    )
    if status != "pending":
        job = lifecycle.claim(job, token="t", now=job.created_at, lease_seconds=60, max_attempts=3)
    if status == "success":
        job = lifecycle.complete(
            job, token="t", now=job.created_at, result=result or {"title": "x"}, result_ref=result_ref
        )
    elif status == "failed":
        job = lifecycle.fail(job, token="t", now=job.created_at, error=JobError("no_text_layer", "no text"))
    directory.jobs(tenant_id).create(job)
    return job


@pytest.fixture
def status(make_app):
    return make_app("status", AGENTJOBS_PUBLIC_BASE_URL="https://api.example.com")


def test_get_job_returns_the_documented_shape(status, directory, tenant):
    job = store_job(directory, "acme", result={"title": "Protocol"})
    response = status.get(f"/v1/jobs/{job.job_id}", headers=bearer(tenant))
    assert response.status_code == 200
    body = response.get_json()
    assert {"job_id", "agent", "status", "created_at", "updated_at", "attempts", "result"} <= set(body)
    assert body["status"] == "success" and body["attempts"] == 1
    assert body["result"] == {"title": "Protocol"}
    assert body["links"]["self"] == f"https://api.example.com/v1/jobs/{job.job_id}"
    assert "lease_token" not in body


def test_failed_job_shows_its_error(status, directory, tenant):
    job = store_job(directory, "acme", status="failed")
    body = status.get(f"/v1/jobs/{job.job_id}", headers=bearer(tenant)).get_json()
    assert body["status"] == "failed" and body["error"] == {"code": "no_text_layer", "message": "no text"}
    assert "result" not in body


def test_another_tenants_job_is_404_exactly_like_an_unknown_id(status, directory, tenant, other_tenant):
    theirs = store_job(directory, "globex")
    other = status.get(f"/v1/jobs/{theirs.job_id}", headers=bearer(tenant))
    unknown = status.get(f"/v1/jobs/{new_job_id()}", headers=bearer(tenant))
    malformed = status.get("/v1/jobs/..%2Fetc", headers=bearer(tenant))
    assert other.status_code == unknown.status_code == malformed.status_code == 404
    assert other.get_json() == unknown.get_json() == malformed.get_json()
    assert other.get_json()["error"]["code"] == "job_not_found"
    assert status.get(f"/v1/jobs/{theirs.job_id}", headers=bearer(other_tenant)).status_code == 200


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer aj_wrong"}, {"Authorization": "Basic abc"}])
def test_missing_or_wrong_api_key_is_401(status, directory, tenant, headers):
    job = store_job(directory, "acme")
    response = status.get(f"/v1/jobs/{job.job_id}", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] in {"missing_api_key", "invalid_api_key"}
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_list_jobs_newest_first_with_filters(status, directory, tenant, other_tenant):
    a = store_job(directory, "acme", minutes=1)
    b = store_job(directory, "acme", minutes=2, status="failed")
    c = store_job(directory, "acme", minutes=3)
    store_job(directory, "globex", minutes=4)
    body = status.get("/v1/jobs", headers=bearer(tenant)).get_json()
    assert [j["job_id"] for j in body["jobs"]] == [c.job_id, b.job_id, a.job_id]
    assert "result" not in body["jobs"][0]
    failed = status.get("/v1/jobs?status=failed", headers=bearer(tenant)).get_json()
    assert [j["job_id"] for j in failed["jobs"]] == [b.job_id]
    limited = status.get("/v1/jobs?limit=2", headers=bearer(tenant)).get_json()
    assert limited["count"] == 2


@pytest.mark.parametrize("query", ["status=done", "limit=0", "limit=abc", "limit=1000", "page=2"])
def test_malformed_query_parameters_are_400(status, tenant, query):
    response = status.get(f"/v1/jobs?{query}", headers=bearer(tenant))
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_parameter"


def test_offloaded_result_is_read_back_from_the_tenant_prefix(status, directory, tenant, blobs):
    payload = {"title": "big", "items": list(range(10))}
    stored = blobs("acme").write("results/r.json", json.dumps(payload).encode(), content_type="application/json")
    job = store_job(directory, "acme", result={}, result_ref=stored.uri)
    directory.jobs("acme").update(job.job_id, lambda j: j.replace(result=None))
    body = status.get(f"/v1/jobs/{job.job_id}", headers=bearer(tenant)).get_json()
    assert body["result"] == payload and body["result_ref"] == stored.uri


def test_unknown_routes_and_methods(status, tenant):
    assert status.get("/v2/whatever", headers=bearer(tenant)).status_code == 404
    assert status.get("/v2/whatever").get_json()["error"]["code"] == "route_not_found"
    response = status.post("/v1/jobs", headers=bearer(tenant))
    assert response.status_code == 405


def test_openapi_document_is_served(status):
    document = status.get("/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    assert "/v1/jobs/{job_id}" in document["paths"]
