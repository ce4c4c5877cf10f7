"""HTTP fuzzing of ``submit`` and ``status`` from the OpenAPI document they serve (schemathesis).

Each app's document is loaded from its own ``GET /v1/openapi.json``; schemathesis generates
requests that fit it (positive) and requests that break it (negative), sent with a real
tenant's API key through the app (WSGI) against the emulators. Every answer must:

* not be a 5xx (``not_a_server_error``), except a 503 a backend outage would cause, and there is none;
* carry a status code the document lists for the operation (``status_code_conformance``);
* match the documented body schema, content type and headers;
* reject schema-violating requests with a 4xx (``negative_data_rejection``);
* accept requests that fit the schema (:func:`assert_documented_requests_accepted`): the only
  refusals of such a request are the ones no schema can express (a ``gs://`` URI of another
  tenant or a model off the tenant's allow-list: 403; a callback host that resolves privately,
  an Idempotency-Key reused with another body: 422; a job or upload id that does not exist: 404;
  a page token the API did not mint: 400). Any
  other refusal means the document promises what the code refuses (e.g. ``criteria: "0"``);
* never echo a query parameter or body field name the client made up.
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from hypothesis import given
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.property.conftest import Functions, examples

pytestmark = pytest.mark.property

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]

REJECTIONS = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]
"""Statuses that reject schema-violating data: schemathesis's defaults plus 413, which answers a
declared upload size over the document limit (``size_bytes`` above its ``maximum``)."""

CONFIG = SchemathesisConfig.from_dict({"checks": {"negative_data_rejection": {"expected-statuses": REJECTIONS}}})


def strategies(functions: Functions, app: str, path_regex: str):
    schema = schemathesis.openapi.from_wsgi("/v1/openapi.json", functions.apps[app], config=CONFIG).include(
        path_regex=path_regex
    )
    results = list(schema.get_all_operations())
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert operations and len(operations) == len(results), f"{app}: no operation, or an invalid one, at {path_regex}"
    return {
        (op.label, mode): op.as_strategy(generation_mode=mode)
        for op in operations
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    }


def _property_names(node) -> set[str]:
    """Every property name declared anywhere under ``node`` (inline request-body schemas too)."""
    if isinstance(node, list):
        return set().union(*(_property_names(item) for item in node)) if node else set()
    if not isinstance(node, dict):
        return set()
    names = set(node.get("properties", {})) if isinstance(node.get("properties"), dict) else set()
    return names.union(*(_property_names(value) for value in node.values()))


def declared_names(case) -> set[str]:
    names = {p.name for p in case.operation.iter_parameters()}
    names |= _property_names(case.operation.schema.raw_schema["components"]["schemas"])
    return names | _property_names(case.operation.definition.raw)


def assert_no_client_names_echoed(case, response) -> None:
    if response.status_code < 400:
        return
    text = response.content.decode("utf-8", "replace")
    declared = declared_names(case)
    invented = set(case.query or {}) | (set(case.body) if isinstance(case.body, dict) else set())
    for name in invented - declared:
        if len(name) >= 4 and name.strip():
            assert json.dumps(name)[1:-1] not in text and name not in text, f"the answer echoes a client name: {name!r}"


SEMANTIC_REFUSALS = {
    (403, "outside_tenant_prefix"),
    (403, "model_not_allowed"),
    (422, "callback_url_refused"),
    (422, "idempotency_key_reused"),
    (409, "request_in_progress"),
    (404, "job_not_found"),
    (404, "upload_not_found"),
    (400, "invalid_page_token"),  # tokens are opaque values the API minted: no schema can say which
}
"""Refusals of schema-valid requests that depend on state or policy, not on the request's shape."""


def assert_documented_requests_accepted(case, response) -> None:
    if case.meta is None or case.meta.generation.mode is not GenerationMode.POSITIVE or response.status_code < 400:
        return
    error = json.loads(response.content)["error"]
    if case.path == "/v1/usage" and (response.status_code, error["code"], error.get("parameter")) == (
        400,
        "invalid_parameter",
        "from",
    ):
        return  # from after to, or a range over 366 days: relations between two dates no schema states
    assert (response.status_code, error["code"]) in SEMANTIC_REFUSALS, (
        f"a request the document accepts was refused: {response.status_code} {error}"
    )


def run(functions: Functions, case) -> None:
    # A real key replaces the generated one, unless the case tests a missing or broken credential.
    negated = case.operation.schema.is_security_param_negated(case)
    headers = {} if negated else {"Authorization": f"Bearer {functions.tenant.api_key}"}
    response = case.call(headers=headers)
    case.validate_response(response, checks=CHECKS, headers=headers)
    assert_no_client_names_echoed(case, response)
    assert_documented_requests_accepted(case, response)


@pytest.fixture(scope="module")
def submit_cases(functions):
    return strategies(functions, "submit", r"^/v1/(agents|uploads)")


@pytest.fixture(scope="module")
def status_cases(functions):
    return strategies(functions, "status", r"^/v1/(jobs|rejections|usage)")


@examples("submit")
@given(data=st.data())
def test_submit_answers_only_documented_codes_and_never_5xx(functions, submit_cases, data):
    key = data.draw(st.sampled_from(sorted(submit_cases)), label="operation")
    run(functions, data.draw(submit_cases[key], label="case"))


@examples("status")
@given(data=st.data())
def test_status_answers_only_documented_codes_and_never_5xx(functions, status_cases, data):
    key = data.draw(st.sampled_from(sorted(status_cases)), label="operation")
    run(functions, data.draw(status_cases[key], label="case"))


def test_an_upload_size_over_the_limit_counts_as_rejected(functions):
    # CI found it: a negative case with ``size_bytes`` above its maximum got the documented 413.
    schema = schemathesis.openapi.from_wsgi("/v1/openapi.json", functions.apps["submit"], config=CONFIG)
    upload = schema["/v1/uploads"]["POST"]
    for phase in ("fuzzing", "coverage", "examples"):
        config = schema.config.checks_config_for(operation=upload, phase=phase)
        assert "413" in config.negative_data_rejection.expected_statuses
