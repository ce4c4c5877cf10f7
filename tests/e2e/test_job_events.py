"""Job events over Server-Sent Events on the local stack (issue 12): read to the end, resume, 404."""

from __future__ import annotations

import httpx

from common.cli.api_client import ApiClient, EventStreamError
from tests.e2e.test_submit_and_upstream import CRITERIA, PROFILE


def _submit(stack, tenant) -> str:
    stack.script.statuses.update(
        {"Adults aged 18 years or older": "met", "Diagnosis of type 2 diabetes": "met", "Pregnant women": "not_met"}
    )
    body = {"criteria": CRITERIA, "patient_profile": PROFILE}
    response = httpx.post(
        stack.url("submit", "/v1/agents/criteria-evaluator/jobs"),
        json=body,
        headers={"Authorization": f"Bearer {tenant.api_key}"},
    )
    assert response.status_code == 202, response.text
    return response.json()["job_id"]


def test_a_jobs_stream_reads_to_its_outcome_and_resumes_after_a_disconnect_without_loss_or_duplicates(stack):
    tenant = stack.tenant("sse")
    client = ApiClient(stack.info.endpoints["status"], tenant.api_key)
    job_id = _submit(stack, tenant)

    whole = list(client.stream_job_events(job_id, timeout_s=60))
    types = [e.type for e in whole]
    assert types[0] == "created" and types[-1] == "succeeded", types
    assert "running" in types and "model_call" in types and {"stage_started", "stage_finished"} <= set(types)
    assert [e.seq for e in whole] == list(range(1, len(whole) + 1))
    call = next(e for e in whole if e.type == "model_call")
    assert call.data["input_tokens"] > 0 and call.data["model"].startswith("openai/")
    assert set(call.data) <= {"job_id", "seq", "type", "at", "model", "input_tokens", "output_tokens", "cost_usd"}

    # Disconnect mid-stream after two events, then resume with Last-Event-ID.
    first: list[int] = []
    headers = {"Authorization": f"Bearer {tenant.api_key}"}
    with httpx.stream("GET", stack.url("status", f"/v1/jobs/{job_id}/events"), headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("id: "):
                first.append(int(line[4:]))
            if len(first) == 2:
                break
    resumed = httpx.get(
        stack.url("status", f"/v1/jobs/{job_id}/events"), headers={**headers, "Last-Event-ID": str(first[-1])}
    )
    ids = [int(line[4:]) for line in resumed.text.splitlines() if line.startswith("id: ")]
    assert first + ids == [e.seq for e in whole], (first, ids)
    assert "event: succeeded" in resumed.text

    # The query parameter does the same for clients that cannot set headers.
    by_query = httpx.get(stack.url("status", f"/v1/jobs/{job_id}/events"), params={"last_event_id": 2}, headers=headers)
    assert [int(line[4:]) for line in by_query.text.splitlines() if line.startswith("id: ")] == ids

    # A resume after the outcome ends at once, and the client stops instead of reconnecting.
    assert list(client.stream_job_events(job_id, last_event_id=whole[-1].seq, timeout_s=10)) == []


def test_a_foreign_jobs_stream_is_404_and_a_bad_last_event_id_400(stack):
    owner, stranger = stack.tenant("sse-own"), stack.tenant("sse-other")
    job_id = _submit(stack, owner)
    foreign = httpx.get(
        stack.url("status", f"/v1/jobs/{job_id}/events"), headers={"Authorization": f"Bearer {stranger.api_key}"}
    )
    assert foreign.status_code == 404 and foreign.json()["error"]["code"] == "job_not_found"
    try:
        list(ApiClient(stack.info.endpoints["status"], stranger.api_key).stream_job_events(job_id, timeout_s=5))
    except EventStreamError as e:
        assert e.status == 404
    else:
        raise AssertionError("a foreign job's stream must be refused")
    bad = httpx.get(
        stack.url("status", f"/v1/jobs/{job_id}/events"),
        headers={"Authorization": f"Bearer {owner.api_key}", "Last-Event-ID": "x1"},
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_last_event_id"
