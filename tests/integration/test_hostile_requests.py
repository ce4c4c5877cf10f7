"""Issue 13's reproductions against ``submit`` and ``status``, through the real functions.

Every answer is a 4xx JSON error with a code, never a 5xx or a 503 that invites a retry; keys
die with their tenant; client-chosen names are never echoed; 405 names the allowed methods.
"""

from __future__ import annotations

import time

import pytest

from common.adapters.clients import firestore_client
from common.tenants.models import hash_api_key, new_api_key
from tests.integration.conftest import bearer

AGENT = "protocol-processor"
CANARY = "Zq7canary"


@pytest.fixture
def submit(make_app):
    return make_app("submit")


@pytest.fixture
def status(make_app):
    return make_app("status")


def own_uri(emulators, name="p.pdf"):
    return f"gs://{emulators.bucket}/tenants/acme/inbox/{AGENT}/{name}"


def assert_client_error(response, status_code: int, code: str | None = None):
    assert response.status_code == status_code, response.get_data(as_text=True)
    assert "Retry-After" not in response.headers
    error = response.get_json()["error"]
    assert error["code"] and error["message"]
    if code is not None:
        assert error["code"] == code, error


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"[" * 100_000, "json_too_deep"),
        (b'{"a":' * 50_000, "json_too_deep"),
        (b'{"file_uri": "x", "generation": 1' + b"0" * 30 + b"}", "number_out_of_range"),
        (b'{"file_uri": "x", "metadata": {"": "x"}}', "invalid_field_name"),
        (b'{"file_uri": "x", "metadata": {"k": "\\ud800"}}', "invalid_unicode"),
        (b'{"file_uri": "x", "generation": 1e400}', "number_out_of_range"),
    ],
)
def test_bodies_that_can_never_be_stored_are_400_never_5xx(submit, tenant, body, code):
    response = submit.post(
        f"/v1/agents/{AGENT}/jobs", data=body, headers=bearer(tenant), content_type="application/json"
    )
    assert_client_error(response, 400, code)


@pytest.mark.parametrize(
    "metadata", [{"": "x"}, {"k": "a\x00b"}, {f"{CANARY} key": "v"}, {f"k{i}": "v" for i in range(33)}]
)
def test_metadata_submit_can_never_store_is_422(submit, emulators, tenant, metadata):
    response = submit.post(
        f"/v1/agents/{AGENT}/jobs", json={"file_uri": own_uri(emulators), "metadata": metadata}, headers=bearer(tenant)
    )
    assert response.status_code in (400, 422) and "Retry-After" not in response.headers
    assert CANARY not in response.get_data(as_text=True)


@pytest.mark.parametrize("query", ["limit=²", "limit=٣", "limit=" + "9" * 30, "limit=", "status=", "limit=1e3"])
def test_list_parameters_that_are_not_ascii_integers_are_400(status, tenant, query):
    assert_client_error(status.get(f"/v1/jobs?{query}", headers=bearer(tenant)), 400, "invalid_parameter")


@pytest.mark.parametrize(
    "file_uri",
    [
        "gs://{bucket}/tenants/acme/inbox/x/../../globex/inbox/p.pdf",
        "gs://{bucket}/tenants/acme/x/..",
        "gs://{bucket}/tenants/acme/./p.pdf",
        "gs://{bucket}/tenants/acme//p.pdf",
        "gs://{bucket}/tenants/acme/p.pdf\ngs://{bucket}/tenants/globex/p.pdf",
    ],
)
def test_file_uris_that_are_not_plain_objects_of_the_tenant_are_refused_at_submit(submit, emulators, tenant, file_uri):
    uri = file_uri.format(bucket=emulators.bucket)
    response = submit.post(f"/v1/agents/{AGENT}/jobs", json={"file_uri": uri}, headers=bearer(tenant))
    assert response.status_code in (403, 422), response.get_json()
    assert "Retry-After" not in response.headers


def test_criteria_text_without_a_heading_is_422_and_outside_the_served_document(submit, tenant):
    body = {"criteria": "0", "patient_profile": ["A 40 year old"]}
    response = submit.post("/v1/agents/criteria-evaluator/jobs", json=body, headers=bearer(tenant))
    assert_client_error(response, 422, "validation_error")
    assert [e["field"] for e in response.get_json()["error"]["errors"]] == ["criteria"]
    document = submit.get("/v1/openapi.json").get_json()
    text = document["components"]["schemas"]["CriteriaEvaluatorInput"]["properties"]["criteria"]["anyOf"][0]
    assert "pattern" in text  # "0" matches no heading: the document no longer accepts it


def test_client_chosen_names_are_never_echoed_in_400_or_422_answers(submit, status, emulators, tenant):
    answers = [
        status.get(f"/v1/jobs?{CANARY}=1", headers=bearer(tenant)),
        status.get(f"/v1/jobs?status={CANARY}", headers=bearer(tenant)),
        submit.post(
            f"/v1/agents/{AGENT}/jobs", json={"file_uri": own_uri(emulators), CANARY: 1}, headers=bearer(tenant)
        ),
        submit.post(
            "/v1/agents/criteria-evaluator/jobs",
            json={"criteria": [{"type": "inclusion", "text": "x", CANARY: 1}], "patient_profile": ["x"]},
            headers=bearer(tenant),
        ),
        submit.post(
            f"/v1/agents/{AGENT}/jobs",
            json={"file_uri": own_uri(emulators)},
            headers={**bearer(tenant), "Idempotency-Key": f"{CANARY} key"},
        ),
        submit.post(f"/v1/agents/{CANARY}/jobs", json={}, headers=bearer(tenant)),
    ]
    assert [a.status_code for a in answers] == [400, 400, 422, 422, 422, 404]
    for answer in answers:
        assert CANARY not in answer.get_data(as_text=True)


def delete_tenant(emulators, tenant_id="acme"):
    firestore_client(emulators.project).collection("tenants").document(tenant_id).delete()


def test_a_deleted_tenants_key_is_401_everywhere(make_app, emulators, tenant):
    delete_tenant(emulators)
    submit, status = make_app("submit"), make_app("status")  # cold instances: no cached key
    answers = [
        status.get("/v1/jobs", headers=bearer(tenant)),
        status.get("/v1/jobs/job_" + "a" * 26, headers=bearer(tenant)),
        submit.post(f"/v1/agents/{AGENT}/jobs", json={"file_uri": own_uri(emulators)}, headers=bearer(tenant)),
    ]
    for answer in answers:
        assert_client_error(answer, 401, "invalid_api_key")
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_key_whose_tenant_never_existed_is_401_not_an_empty_list(status, emulators):
    key = new_api_key()
    firestore_client(emulators.project).collection("api_keys").document(hash_api_key(key)).set({"tenant_id": "ghost"})
    assert_client_error(status.get("/v1/jobs", headers={"Authorization": f"Bearer {key}"}), 401, "invalid_api_key")


def test_a_deactivated_tenants_key_is_401(make_app, admin, emulators, tenant):
    tenant_doc = firestore_client(emulators.project).collection("tenants").document("acme")
    tenant_doc.update({"active": False})
    assert_client_error(make_app("status").get("/v1/jobs", headers=bearer(tenant)), 401, "invalid_api_key")


def test_a_warm_instance_revokes_a_deleted_tenants_key_within_the_cache_ttl(make_app, emulators, tenant):
    status = make_app("status", AGENTJOBS_AUTH_CACHE_SECONDS="0.5")
    assert status.get("/v1/jobs", headers=bearer(tenant)).status_code == 200
    delete_tenant(emulators)
    time.sleep(0.6)
    assert_client_error(status.get("/v1/jobs", headers=bearer(tenant)), 401, "invalid_api_key")


@pytest.mark.parametrize(
    ("function", "method", "path", "allow"),
    [
        ("submit", "get", f"/v1/agents/{AGENT}/jobs", "POST"),
        ("submit", "post", "/v1/openapi.json", "GET, HEAD"),
        ("status", "post", "/v1/jobs", "GET, HEAD"),
        ("status", "put", "/v1/jobs/job_" + "a" * 26, "GET, HEAD, DELETE"),
        ("run_agent", "get", "/", "POST"),
        ("notify", "put", "/", "POST"),
    ],
)
def test_405_names_the_allowed_methods(make_app, tenant, function, method, path, allow):
    response = getattr(make_app(function), method)(path, headers=bearer(tenant))
    assert_client_error(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == allow
