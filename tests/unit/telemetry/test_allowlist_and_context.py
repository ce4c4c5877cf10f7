import io
import json

import pytest
from opentelemetry.semconv._incubating.attributes import gen_ai_attributes as semconv

from common.errors import PermanentError, TransientError
from common.telemetry import allowlist
from common.telemetry.context import format_traceparent, parse_traceparent, traceparent_of
from common.telemetry.log import log
from common.telemetry.policy import Outcome, classify

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def test_gen_ai_keys_are_the_installed_semconv_names():
    for name in (
        "GEN_AI_OPERATION_NAME",
        "GEN_AI_PROVIDER_NAME",
        "GEN_AI_REQUEST_MODEL",
        "GEN_AI_RESPONSE_MODEL",
        "GEN_AI_USAGE_INPUT_TOKENS",
        "GEN_AI_USAGE_OUTPUT_TOKENS",
        "GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS",
        "GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS",
        "GEN_AI_USAGE_REASONING_OUTPUT_TOKENS",
    ):
        assert getattr(semconv, name) in allowlist.ALLOWED_SPAN_KEYS
    for content_key in (
        semconv.GEN_AI_INPUT_MESSAGES,
        semconv.GEN_AI_OUTPUT_MESSAGES,
        semconv.GEN_AI_SYSTEM_INSTRUCTIONS,
    ):
        assert content_key not in allowlist.ALLOWED_SPAN_KEYS


def test_only_listed_keys_with_id_like_values_survive():
    attributes = {key: "x" for key in allowlist.FORBIDDEN_EXAMPLES} | {
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.usage.input_tokens": 12,
        "agentjobs.job_id": "job_abc",
        "agentjobs.error_code": "Patient has diabetes",  # allowed key, prose value
        "gen_ai.response.finish_reasons": ["stop"],
        "agentjobs.pages": list(range(40)),  # too long a sequence
    }
    kept = allowlist.allowed_attributes(attributes, allowlist.ALLOWED_SPAN_KEYS)
    assert kept == {
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.usage.input_tokens": 12,
        "agentjobs.job_id": "job_abc",
        "gen_ai.response.finish_reasons": ("stop",),
    }


def test_span_names_leave_only_when_the_facade_made_them():
    assert allowlist.register_span_name("chat gpt-4o-mini") == "chat gpt-4o-mini"
    assert allowlist.exported_span_name("chat gpt-4o-mini") == "chat gpt-4o-mini"
    assert allowlist.exported_span_name("GET /bucket/patient-smith.pdf") == allowlist.REDACTED_SPAN_NAME
    assert allowlist.register_span_name("upload John Smith's file") == allowlist.REDACTED_SPAN_NAME


def test_traceparent_round_trip_and_rejects():
    span = parse_traceparent(TRACEPARENT)
    assert span is not None and span.sampled and format_traceparent(span) == TRACEPARENT
    assert traceparent_of({"Traceparent": TRACEPARENT}) == span
    for bad in (
        "",
        "garbage",
        "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "00-00000000000000000000000000000000-b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
    ):
        assert parse_traceparent(bad) is None


def test_policy_bug_permanent_transient():
    assert classify(KeyError("x"), final_attempt=False).outcome is Outcome.BUG
    assert classify(KeyError("x"), final_attempt=False).event
    permanent = classify(PermanentError("bad pdf", code="no_text_layer"), final_attempt=True)
    assert (permanent.outcome, permanent.event, permanent.code) == (Outcome.PERMANENT, False, "no_text_layer")
    transient = classify(TransientError("429", code="model_rate_limited"), final_attempt=False)
    assert (transient.outcome, transient.event, transient.breadcrumb) == (Outcome.TRANSIENT, False, True)
    assert classify(TransientError("429"), final_attempt=True).event


@pytest.mark.parametrize("inside", [True, False])
def test_log_lines_carry_cloud_logging_trace_fields_inside_a_delivery(inside: bool):
    import common.telemetry as telemetry

    out = io.StringIO()
    t = telemetry.init("run_agent", config=telemetry.TelemetryConfig(service="run_agent", project="proj"))
    if inside:
        with t.delivery("run_agent", carrier={"traceparent": TRACEPARENT}, flush=False):
            log("job.started", stream=out, job_id="job_a")
    else:
        log("job.started", stream=out, job_id="job_a")
    record = json.loads(out.getvalue())
    if inside:
        assert record["logging.googleapis.com/trace"] == "projects/proj/traces/0af7651916cd43dd8448eb211c80319c"
        assert len(record["logging.googleapis.com/spanId"]) == 16 and record["logging.googleapis.com/trace_sampled"]
    else:
        assert "logging.googleapis.com/trace" not in record
