"""The OpenAPI document is complete, its refs resolve, and real responses match its schemas."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from common.api import schemas
from common.api.openapi import openapi_document
from common.api.views import job_view
from common.errors import NotFound
from common.jobs import lifecycle
from common.jobs.models import CallbackAttempt, JobError, Source, Usage

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def refs(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for v in node.values() for r in refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in refs(v)]
    return []


def test_document_covers_submit_and_status_and_every_ref_resolves():
    document = openapi_document()
    json.dumps(document)  # serialisable
    assert document["openapi"] == "3.1.0"
    assert {
        "/v1/agents/protocol-processor/jobs",
        "/v1/agents/criteria-evaluator/jobs",
        "/v1/jobs",
        "/v1/jobs/{job_id}",
    } <= set(document["paths"])
    components = document["components"]["schemas"]
    for ref in refs(document):
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in components, ref
    for name in (
        "ProtocolProcessorInput",
        "ProtocolSummary",
        "CriteriaEvaluatorInput",
        "CriteriaEvaluation",
        "ErrorBody",
    ):
        assert name in components


def job(**finish):
    created = lifecycle.new_job(
        job_id="job_" + "a" * 26,
        tenant_id="acme",
        agent="protocol-processor",
        input={},
        source=Source.GCS,
        now=NOW,
        metadata={"a": "b"},
    )
    return lifecycle.claim(created, token="t", now=NOW, lease_seconds=60, max_attempts=3)


def test_job_views_match_the_documented_schema():
    running = job()
    done = lifecycle.complete(
        running, token="t", now=NOW, result={"title": "x"}, model="openai/m", usage=Usage(1, 2, 3, 1)
    )
    done = done.replace(callbacks=(CallbackAttempt(NOW, "job.completed", 204, 3.5),))
    failed = lifecycle.fail(running, token="t", now=NOW, error=JobError("no_text_layer", "no text"))
    for j in (running, done, failed):
        schemas.JobView.model_validate(job_view(j, base_url="https://api"))
    schemas.JobList.model_validate({"jobs": [job_view(done, base_url="", summary=True)], "count": 1})


def test_error_bodies_match_the_documented_schema():
    body = NotFound("no job with that id", code="job_not_found").to_dict()
    schemas.ErrorBody.model_validate({"error": body})


def test_erasure_is_documented_and_a_tombstone_matches_the_job_schema():
    from common.retention.erasure import JobDeleted, tombstone

    operations = openapi_document()["paths"]["/v1/jobs/{job_id}"]
    assert set(operations["delete"]["responses"]) == {"200", "401", "404", "409", "503"}
    assert "410" in operations["get"]["responses"]
    listing = openapi_document()["paths"]["/v1/jobs"]["get"]["parameters"][0]["schema"]["enum"]
    assert "deleted" in listing
    done = lifecycle.complete(job(), token="t", now=NOW, result={"title": "x"})
    view = job_view(tombstone(done, now=NOW), base_url="https://api", summary=True)
    assert schemas.JobView.model_validate(view).status == "deleted"
    assert view["deleted_at"] == "2026-01-01T00:00:00Z" and "result" not in view and "metadata" not in view
    gone = JobDeleted("the job was erased", details={"deleted_at": view["deleted_at"]}).to_dict()
    schemas.ErrorBody.model_validate({"error": gone})


def test_every_endpoint_is_documented_with_servers_and_clean_markdown():
    document = openapi_document("https://submit.example.com")
    assert document["servers"] == [{"url": "https://submit.example.com"}]
    assert {
        "/v1/uploads",
        "/v1/uploads/{upload_id}",
        "/v1/jobs/{job_id}:cancel",
        "/v1/jobs/{job_id}:retry",
        "/v1/rejections",
    } <= set(document["paths"])
    listing = {p["name"] for p in document["paths"]["/v1/jobs"]["get"]["parameters"]}
    assert listing == {"status", "quality", "agent", "created_after", "limit", "page_token"}
    text = json.dumps(document)
    for sphinx in (":class:`", ":func:`", ":meth:`", ":mod:`", ":data:`", ":attr:`", "``"):
        assert sphinx not in text, sphinx


def test_control_listing_and_upload_answers_match_their_schemas():
    cancelled = lifecycle.cancel(job(), now=NOW).replace(status=lifecycle.JobStatus.CANCELLED)
    schemas.JobView.model_validate(job_view(cancelled, base_url="https://x", summary=True))
    schemas.RejectionList.model_validate(
        {
            "rejections": [{"rejection_id": "ab", "code": "unknown_agent", "reason": "r", "received_at": None}],
            "count": 1,
            "next_page_token": "t",
        }
    )
    schemas.UploadTicket.model_validate(
        {
            "upload_id": "upl_x",
            "file_uri": "gs://b/tenants/acme/uploads/upl_x.pdf",
            "upload_url": "https://storage.googleapis.com/b/x",
            "method": "PUT",
            "headers": {"Content-Type": "application/pdf"},
            "expires_at": "2026-01-01T00:15:00Z",
            "max_bytes": 9,
        }
    )
