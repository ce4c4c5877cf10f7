"""Issue 13's reproductions against ``run_agent`` and ``notify``, through the real functions.

Each test names the behaviour the issue asked for: a clear ack with a rejection record or a
failed job with a code, never a 5xx, never a job left ``running``, never a write outside the
tenant's own tree, and no message-supplied text stored or echoed.
"""

from __future__ import annotations

import base64
import json

import pytest

from common.adapters.clients import firestore_client
from common.jobs.ids import gcs_job_id, request_job_id
from tests.integration.conftest import bearer
from tests.support.hostile_pdfs import lone_surrogate_protocol_pdf

AGENT = "protocol-processor"
CANARY = "Zq7canary"
DEEP = b"[" * 100_000


def push(data: bytes | dict, attributes: dict[str, str], message_id: str = "m1") -> dict:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    message = {"data": base64.b64encode(raw).decode(), "attributes": attributes, "messageId": message_id}
    return {"message": message, "subscription": "projects/p/subscriptions/s"}


def gcs_notification(bucket: str, name: str, generation: str, resource: dict | None = None) -> dict:
    attributes = {"eventType": "OBJECT_FINALIZE", "bucketId": bucket, "objectId": name, "objectGeneration": generation}
    return push({"bucket": bucket, "name": name, "generation": generation, **(resource or {})}, attributes)


def rejections(emulators) -> list[dict]:
    return [s.to_dict() or {} for s in firestore_client(emulators.project).collection("rejections").stream()]


def all_paths(emulators) -> list[str]:
    paths, stack = [], list(firestore_client(emulators.project).collections())
    while stack:
        for ref in stack.pop().list_documents():
            paths.append(ref.path)
            stack.extend(ref.collections())
    return paths


@pytest.fixture
def run_agent(make_app):
    return make_app("run_agent")


def test_a_pdf_whose_text_map_yields_a_lone_surrogate_ends_success_not_running(
    run_agent, make_app, emulators, directory, tenant, blobs
):
    stored = blobs("acme").write(f"inbox/{AGENT}/s.pdf", lone_surrogate_protocol_pdf(), content_type="application/pdf")
    name = stored.uri.split("/", 3)[3]
    response = run_agent.post("/", json=gcs_notification(emulators.bucket, name, str(stored.generation)))
    assert response.status_code == 200 and response.get_json()["status"] == "success", response.get_json()
    job = directory.jobs("acme").get(gcs_job_id(emulators.bucket, name, stored.generation))
    assert job.status.value == "success" and job.attempts == 1
    # PDFium drops the unmappable code; pypdf kept it as a lone surrogate, which the store
    # replaces with U+FFFD. Either way the stored text is valid UTF-8 and the job is served.
    assert job.result["title"].replace("\ufffd", "") == "A Phase 2 Study of Drug X in Adults"
    assert len(job.result["inclusion_criteria"]) == 2
    served = make_app("status").get(f"/v1/jobs/{job.job_id}", headers=bearer(tenant))
    assert served.status_code == 200 and served.get_json()["result"]["title"] == job.result["title"]


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        pytest.param({"Content-Type": "application/json"}, DEEP, id="raw"),
        pytest.param({}, json.dumps(push(DEEP, {"tenant_id": "acme"})).encode(), id="base64-request"),
        pytest.param({}, json.dumps(push(DEEP, {"kind": "job.queued"})).encode(), id="base64-job-message"),
        pytest.param({"Content-Type": "application/cloudevents+json"}, DEEP, id="structured-cloudevent"),
        pytest.param(
            {
                "ce-specversion": "1.0",
                "ce-id": "e1",
                "ce-source": "s",
                "ce-type": "google.cloud.storage.object.v1.finalized",
            },
            DEEP,
            id="binary-cloudevent",
        ),
    ],
)
def test_deep_nesting_is_acked_with_a_rejection_record(run_agent, emulators, tenant, headers, body):
    response = run_agent.post("/", data=body, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    answer = response.get_json()
    assert answer["outcome"] == "rejected"
    assert [r["code"] for r in rejections(emulators)] == [answer["code"]]


@pytest.mark.parametrize(
    ("generation", "resource"),
    [("²", {}), ("9" * 30, {}), ("12", {"generation": "²"}), ("-1", {})],
)
def test_generations_that_are_not_64_bit_ascii_integers_are_acked_with_a_record(
    run_agent, emulators, directory, tenant, generation, resource
):
    name = f"tenants/acme/inbox/{AGENT}/p.pdf"
    response = run_agent.post("/", json=gcs_notification(emulators.bucket, name, generation, resource))
    assert response.status_code == 200 and response.get_json()["code"] == "malformed_storage_event"
    assert [r["code"] for r in rejections(emulators)] == ["malformed_storage_event"]
    assert directory.jobs("acme").list() == []


def test_a_unicode_digit_size_does_not_crash_the_drop(run_agent, emulators, directory, tenant, blobs):
    stored = blobs("acme").write(f"inbox/{AGENT}/p.pdf", b"%PDF-1.7\n1 0 obj <<", content_type="application/pdf")
    name = stored.uri.split("/", 3)[3]
    response = run_agent.post("/", json=gcs_notification(emulators.bucket, name, str(stored.generation), {"size": "²"}))
    assert response.status_code == 200 and response.get_json()["status"] == "failed"


@pytest.mark.parametrize(
    ("request_input", "code"),
    [
        ({"criteria": "x", "patient_profile": ["y"], "v": 10**30}, "number_out_of_range"),
        (json.loads('{"a":' * 21 + "1" + "}" * 21), "json_too_deep"),
        ({"criteria": "x" * (1024 * 1024 + 1), "patient_profile": ["y"]}, "input_too_large"),
        ({"": "x"}, "invalid_field_name"),
    ],
)
def test_an_upstream_request_that_can_never_run_ends_a_failed_job_of_its_tenant(
    run_agent, directory, tenant, request_input, code
):
    request = {"agent": "criteria-evaluator", "input": request_input}
    response = run_agent.post("/", json=push(request, {"tenant_id": "acme"}, "m9"))
    assert response.status_code == 200
    assert (response.get_json()["status"], response.get_json()["code"]) == ("failed", code)
    job = directory.jobs("acme").get(request_job_id("acme", "criteria-evaluator", "m9"))
    assert job.status.value == "failed" and job.error.code == code and job.input == {}


@pytest.mark.parametrize("segment", ["__x__", ".", "..", "ACME"])
def test_inbox_paths_with_segments_that_are_no_tenant_id_are_recorded_and_touch_no_tenant(
    run_agent, emulators, tenant, segment
):
    name = f"tenants/{segment}/inbox/{AGENT}/p.pdf"
    response = run_agent.post("/", json=gcs_notification(emulators.bucket, name, "1"))
    assert response.status_code == 200 and response.get_json()["code"] == "invalid_inbox_path"
    assert [r["code"] for r in rejections(emulators)] == ["invalid_inbox_path"]
    assert all(p.startswith(("tenants/acme", "api_keys/", "rejections/")) for p in all_paths(emulators))


@pytest.mark.parametrize(
    "tenant_id", ["acme/jobs/job_aaaaaaaaaaaaaaaaaaaaaaaaaa", "a/b", "..", "__x__", "acme/../globex"]
)
def test_ids_from_messages_and_tasks_never_become_store_paths(make_app, run_agent, emulators, tenant, tenant_id):
    request = {"agent": "criteria-evaluator", "input": {"criteria": "x", "patient_profile": ["y"]}}
    job_message = {"tenant_id": tenant_id, "job_id": "job_" + "a" * 26}
    task = {"tenant_id": tenant_id, "job_id": "job_" + "a" * 26, "event": "job.completed"}
    answers = [
        run_agent.post("/", json=push(request, {"tenant_id": tenant_id}, "r1")),
        run_agent.post("/", json=push(job_message, {"kind": "job.queued"}, "j1")),
        make_app("notify").post("/", json=task, headers={"X-CloudTasks-TaskName": "t1"}),
    ]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.get_json()["code"] for a in answers] == ["invalid_tenant_id", "malformed_message", "malformed_task"]
    assert sorted(r["message_id"] for r in rejections(emulators)) == ["j1", "r1", "t1"]
    assert all(r["tenant_id"] is None for r in rejections(emulators))
    paths = all_paths(emulators)
    assert not any(p.count("/") > 3 for p in paths), paths  # nothing nested under a job
    assert {p.split("/")[1] for p in paths if p.startswith("tenants/")} == {"acme"}


def test_notify_records_a_task_whose_job_is_gone(make_app, emulators, tenant):
    task = {"tenant_id": "acme", "job_id": "job_" + "b" * 26, "event": "job.failed"}
    response = make_app("notify").post("/", json=task, headers={"X-CloudTasks-TaskName": "task-7"})
    assert response.status_code == 200 and response.get_json()["code"] == "job_not_found"
    assert [(r["message_id"], r["code"]) for r in rejections(emulators)] == [("task-7", "job_not_found")]


def test_an_event_from_a_foreign_bucket_creates_no_job_in_the_tenant(run_agent, directory, tenant):
    name = f"tenants/acme/inbox/{AGENT}/p.pdf"
    response = run_agent.post("/", json=gcs_notification("someone-elses-bucket", name, "5"))
    assert response.status_code == 200 and response.get_json()["code"] == "foreign_bucket"
    assert directory.jobs("acme").list() == []


def test_message_text_that_is_not_content_is_never_stored_logged_or_echoed(
    run_agent, emulators, directory, tenant, capsys
):
    canary_id = f"{CANARY}/\n<x>"
    bodies = [
        ({}, push(b"not json", {"tenant_id": "acme"}, canary_id)),
        ({}, push({"agent": CANARY * 20, "input": {}}, {"tenant_id": "acme"}, "m2")),
        ({}, push({"agent": "criteria-evaluator", "input": {}, f"{CANARY}_extra": 1}, {"tenant_id": "acme"}, "m3")),
        ({}, push({}, {"tenant_id": f"acme/{CANARY}"}, "m4")),
        ({}, push({}, {"eventType": f"{CANARY}\n", "bucketId": emulators.bucket}, "m5")),
        ({"ce-specversion": "1.0", "ce-id": f"{CANARY} x", "ce-source": "s", "ce-type": f"com.{CANARY}"}, {}),
    ]
    capsys.readouterr()
    texts = []
    for headers, body in bodies:
        response = run_agent.post("/", json=body, headers=headers)
        assert response.status_code == 200
        texts.append(response.get_data(as_text=True))
    logs = capsys.readouterr()
    stored = [
        json.dumps(s.to_dict(), default=str)
        for s in firestore_client(emulators.project).collection("rejections").stream()
    ]
    stored += [repr(job) for job in directory.jobs("acme").list()]
    assert len(stored) == len(bodies) - 1  # the notification of an unknown event type is ignored quietly
    for text in (*texts, logs.out, logs.err, *stored):
        assert CANARY not in text


@pytest.mark.parametrize("callback_url", ["https://[", "https://a]b/hook"])
def test_an_upstream_request_with_an_unparsable_callback_url_ends_a_failed_job(
    run_agent, directory, tenant, callback_url
):
    request = {
        "agent": "criteria-evaluator",
        "input": {"criteria": "Inclusion Criteria:\n- adult", "patient_profile": ["x"]},
        "callback_url": callback_url,
    }
    response = run_agent.post("/", json=push(request, {"tenant_id": "acme"}, "cb1"))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert (response.get_json()["status"], response.get_json()["code"]) == ("failed", "callback_url_refused")
