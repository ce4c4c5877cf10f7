"""What the published schemas accept fits a job (issue 8: the body limit and schema limits agree).

The bound is computed from the OpenAPI document itself, so a schema limit raised later without
the byte budget breaks this test. It counts one byte per character (ASCII without JSON escapes),
the case :mod:`common.boundary.input_limits` allots for.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from common.agents.criteria_evaluator.models import CriteriaEvaluatorInput
from common.agents.registry import AGENT_NAMES
from common.api.openapi import openapi_document
from common.boundary.input_limits import (
    MAX_CALLBACK_URL_CHARS,
    MAX_CRITERIA,
    MAX_CRITERION_CHARS,
    MAX_JOB_INPUT_BYTES,
    MAX_LABEL_VALUE_CHARS,
    MAX_LABELS,
    MAX_SENTENCE_CHARS,
    MAX_SENTENCES,
)

_NUMBER_BYTES = 24


class Unbounded(AssertionError):
    pass


def _pattern_bound(pattern: str) -> int:
    # The label-key grammar and the like: "^[A-Za-z0-9_.-]{1,64}$" -> 64 (+ any literal prefix).
    counts = [int(n) for n in re.findall(r"\{(?:\d+,)?(\d+)\}", pattern)]
    if not counts or "*" in pattern or "+" in pattern:
        raise Unbounded(f"pattern {pattern!r} has no upper length")
    return sum(counts) + 8


class Bound:
    def __init__(self, document: dict[str, Any]):
        self.schemas = document["components"]["schemas"]

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = self.schemas[schema["$ref"].rsplit("/", 1)[1]]
        return schema

    def properties(self, schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
        schema = self.resolve(schema)
        merged: dict[str, dict[str, Any]] = {}
        for part in schema.get("allOf", []):
            merged |= self.properties(part)
        return merged | schema.get("properties", {})

    def size(self, schema: dict[str, Any]) -> int:
        schema = self.resolve(schema)
        if "enum" in schema:
            return max(len(json.dumps(v)) for v in schema["enum"])
        if "const" in schema:
            return len(json.dumps(schema["const"]))
        for key in ("anyOf", "oneOf"):
            if key in schema:
                return max(self.size(s) for s in schema[key] if s.get("not") is None)
        if "allOf" in schema:
            return self.object_size(self.properties(schema), schema)
        kind = schema.get("type")
        if kind == "string":
            if "maxLength" in schema:
                return schema["maxLength"] + 2
            return _pattern_bound(schema["pattern"]) + 2
        if kind in ("integer", "number"):
            return _NUMBER_BYTES
        if kind in ("boolean", "null"):
            return 5
        if kind == "array":
            if "maxItems" not in schema:
                raise Unbounded(f"array without maxItems: {schema}")
            return schema["maxItems"] * (self.size(schema["items"]) + 1) + 2
        if kind == "object" or "properties" in schema:
            return self.object_size(self.properties(schema), schema)
        raise Unbounded(f"no bound for {schema}")

    def object_size(self, properties: dict[str, dict[str, Any]], schema: dict[str, Any]) -> int:
        total = 2 + sum(len(name) + 4 + self.size(value) for name, value in properties.items())
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            key = schema.get("propertyNames", {})
            key_bound = key.get("maxLength") or _pattern_bound(key["pattern"])
            total += schema["maxProperties"] * (key_bound + 4 + self.size(extra))
        return total


def _job_body_schema(document: dict[str, Any], agent: str) -> dict[str, Any]:
    schema = document["paths"][f"/v1/agents/{agent}/jobs"]["post"]["requestBody"]["content"]["application/json"]
    body = schema["schema"]
    # The inline-document alternative is outside the job-input limit (its document is stored apart).
    if "anyOf" in body:
        body = next(s for s in body["anyOf"] if any("not" in part for part in s.get("allOf", [])))
    return {"allOf": [p for p in body["allOf"] if "not" not in p]}


@pytest.mark.parametrize("agent", sorted(AGENT_NAMES))
def test_every_request_the_schema_accepts_fits_the_job_input_limit(agent):
    document = openapi_document("http://localhost")
    bound = Bound(document).size(_job_body_schema(document, agent))
    assert bound <= MAX_JOB_INPUT_BYTES, f"{agent}: schema allows {bound} bytes > {MAX_JOB_INPUT_BYTES}"


def test_a_criteria_evaluator_request_at_every_limit_is_accepted_not_413(env_submit):
    criteria = [
        {"type": "inclusion" if i % 2 else "exclusion", "text": "Adults " + "a" * (MAX_CRITERION_CHARS - 7)}
        for i in range(MAX_CRITERIA)
    ]
    body = {
        "criteria": criteria,
        "patient_profile": ["P" * MAX_SENTENCE_CHARS] * MAX_SENTENCES,
        "metadata": {f"label_{i:02d}" + "k" * 55: "v" * MAX_LABEL_VALUE_CHARS for i in range(MAX_LABELS)},
        "callback_url": "https://127.0.0.1/" + "p" * (MAX_CALLBACK_URL_CHARS - 18),
    }
    CriteriaEvaluatorInput.model_validate({k: body[k] for k in ("criteria", "patient_profile")})
    assert len(json.dumps(body, separators=(",", ":"))) <= MAX_JOB_INPUT_BYTES
    result = env_submit(body)
    assert result.job.status.value == "pending"


@pytest.fixture
def env_submit():
    from common.config import Settings
    from common.services.submit import SubmitService
    from common.tenants.models import Tenant
    from tests.support.fakes import FakeClock, FakePublisher, InMemoryIdempotencyStore, InMemoryTenantDirectory

    clock = FakeClock()
    tenants = InMemoryTenantDirectory()
    tenants.create(Tenant("acme", "Acme", clock(), allowed_models=("openai/gpt-4o-mini",)), "h1")
    service = SubmitService(
        settings=Settings(bucket="bkt", default_model="openai/gpt-4o-mini", allow_loopback_callbacks=True),
        tenants=tenants,
        idempotency_for=lambda t: InMemoryIdempotencyStore({}),
        publisher=FakePublisher(),
        clock=clock,
    )
    acme = tenants.get("acme")
    assert acme is not None
    return lambda body: service.submit(acme, "criteria-evaluator", body)
