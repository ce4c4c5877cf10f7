"""The real OpenTelemetry SDK and OTLP/HTTP exporter, through the allow-list, to a local receiver."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from contextlib import redirect_stdout
from datetime import UTC, datetime

import pytest
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import common.telemetry as telemetry
from common.costs.pricing import genai_prices_source
from common.jobs.models import ModelCall
from common.telemetry import JobTags, OtlpDestination, TelemetryConfig
from common.telemetry.allowlist import FORBIDDEN_EXAMPLES
from common.telemetry.facade import Telemetry
from common.telemetry.otel_backend import build_providers
from tests.support.otlp_receiver import OtlpReceiver
from tests.support.sentry_receiver import SentryReceiver

CANARY = "CANARY_9d2b61"


@pytest.fixture(scope="module")
def otlp() -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as server:
        yield server


def _config(otlp: OtlpReceiver, service: str = "run_agent", **extra: str) -> TelemetryConfig:
    destination = OtlpDestination(f"{otlp.endpoint}/v1/traces", f"{otlp.endpoint}/v1/metrics", {"x-token": "t"}, "otlp")
    return TelemetryConfig(service=service, project="proj", otlp=destination, **extra)  # type: ignore[arg-type]


def test_forbidden_attributes_never_reach_the_otlp_receiver(otlp: OtlpReceiver):
    t = telemetry.init("run_agent", config=_config(otlp))
    assert t.tracing
    with t.delivery("run_agent", kind="consumer", tags=JobTags(job_id="job_a", attempt=1)):
        with t.stage("extract_text", **{key: CANARY for key in FORBIDDEN_EXAMPLES}, **{"agentjobs.pages": 3}):
            pass
        # A library's span on the same provider, with content everywhere a library puts it.
        tracer = t._otel._provider.get_tracer("some.library")  # type: ignore[union-attr]  # pyright: ignore[reportPrivateUsage, reportOptionalMemberAccess, reportAttributeAccessIssue]
        with tracer.start_as_current_span(
            f"POST /upload/{CANARY}.pdf",
            attributes={
                "gen_ai.input.messages": json.dumps([{"role": "user", "content": CANARY}]),
                "gen_ai.output.messages": CANARY,
                "gen_ai.system_instructions": CANARY,
                "gen_ai.request.model": "gpt-4o-mini",
            },
        ) as span:
            span.add_event("gen_ai.content.prompt", {"gen_ai.prompt": CANARY})
            span.record_exception(ValueError(CANARY))
        t.record_job(agent="criteria-evaluator", status="failed", error_code="no_text_layer", duration_s=1.5)
    t.flush()
    spans = otlp.wait_for_spans(3)
    names = {s.name for s in spans}
    assert {"run_agent", "extract_text", "span"} <= names
    library = next(s for s in spans if s.name == "span")
    assert library.attributes == {"gen_ai.request.model": "gpt-4o-mini"}
    assert [(name, attrs.get("exception.type")) for name, attrs in library.events] == [("exception", "ValueError")]
    assert all(set(attrs) <= {"exception.type", "exception.escaped"} for _, attrs in library.events)
    stage = next(s for s in spans if s.name == "extract_text")
    assert stage.attributes == {"agentjobs.pages": 3, "agentjobs.stage": "extract_text"}
    assert CANARY.encode() not in otlp.raw()
    assert spans[0].resource["service.name"] == "agentjobs-run_agent"
    assert otlp.headers[0]["x-token"] == "t"
    attributes, count = otlp.metric_points()["agentjobs.jobs"][-1]  # cumulative, exported on each flush
    assert count == 1 and attributes["agentjobs.error_code"] == "no_text_layer"


def test_one_trace_across_submit_run_agent_and_notify_in_otel_and_sentry(otlp: OtlpReceiver):
    otlp.bodies.clear()
    otlp.trace_requests.clear()
    with SentryReceiver() as sentry:
        t = telemetry.init("submit", config=_config(otlp, sentry_dsn=sentry.dsn))
        with t.delivery("submit", kind="server"):
            pubsub_attributes = t.inject({})
        with t.delivery("run_agent", carrier=pubsub_attributes, kind="consumer"), t.stage("enqueue_callback"):
            task_headers = t.inject({"content-type": "application/json"})
        with t.delivery("notify", carrier=task_headers, kind="server"):
            pass
        transactions = sentry.wait_for("transaction", 3)
    spans = {s.name: s for s in otlp.wait_for_spans(4)}
    assert len({s.trace_id for s in spans.values()}) == 1
    assert spans["run_agent"].parent_span_id == spans["submit"].span_id
    assert spans["enqueue_callback"].parent_span_id == spans["run_agent"].span_id
    assert spans["notify"].parent_span_id == spans["enqueue_callback"].span_id
    # Sentry sees the same ids, so both tools show one trace.
    by_name = {txn["transaction"]: txn["contexts"]["trace"] for txn in transactions}
    assert by_name["notify"]["trace_id"] == spans["notify"].trace_id
    assert by_name["notify"]["span_id"] == spans["notify"].span_id
    assert by_name["notify"]["parent_span_id"] == spans["enqueue_callback"].span_id


def test_model_call_span_follows_gen_ai_semconv_and_feeds_metrics():
    exporter, reader = InMemorySpanExporter(), InMemoryMetricReader()
    config = TelemetryConfig(service="run_agent")
    backend, metrics = build_providers(config, exporter, reader)
    t = Telemetry(config, otel=backend, metrics=metrics)
    call = ModelCall("openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", datetime.now(UTC), 1200, 300, 1000, 0, 120, 0.4)
    with t.delivery("run_agent") as delivery:
        with t.model_call(provider="openai", request_model="gpt-4o-mini") as span:
            span.record(call)
        delivery.set_attributes(
            {"agentjobs.cost.total_usd": 0.00042, "agentjobs.cost.price_source": "genai-prices==0.2.3"}
        )
        delivery.set_outcome("success")
        t.record_job(agent="criteria-evaluator", status="failed", error_code="model_output_invalid", duration_s=2.0)
    span_data = next(s for s in exporter.get_finished_spans() if s.name == "chat gpt-4o-mini")
    assert dict(span_data.attributes or {}) == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        "gen_ai.usage.input_tokens": 1200,
        "gen_ai.usage.output_tokens": 300,
        "gen_ai.usage.cache_read.input_tokens": 1000,
        "gen_ai.usage.cache_creation.input_tokens": 0,
        "gen_ai.usage.reasoning.output_tokens": 120,
        # gpt-4o-mini list prices: 200 uncached x $0.15/M + 1000 cached x $0.075/M; 300 x $0.60/M.
        "agentjobs.cost.input_usd": pytest.approx(0.000105),
        "agentjobs.cost.output_usd": pytest.approx(0.00018),
        "agentjobs.cost.total_usd": pytest.approx(0.000285),
        "agentjobs.cost.priced_calls": 1,
        "agentjobs.cost.unpriced_calls": 0,
        "agentjobs.cost.price_source": genai_prices_source(),
    }
    root = next(s for s in exporter.get_finished_spans() if s.name == "run_agent")
    assert dict(root.attributes or {})["agentjobs.cost.total_usd"] == 0.00042
    assert dict(root.attributes or {})["agentjobs.cost.price_source"] == "genai-prices==0.2.3"
    assert dict(root.attributes or {})["agentjobs.outcome"] == "success"
    data = reader.get_metrics_data()
    points = {
        m.name: list(m.data.data_points) for rm in data.resource_metrics for sm in rm.scope_metrics for m in sm.metrics
    }  # pyright: ignore[reportOptionalMemberAccess]
    tokens = {p.attributes["gen_ai.token.type"]: p.sum for p in points["gen_ai.client.token.usage"]}  # type: ignore[index]
    assert tokens == {"input": 1200, "output": 300}
    (jobs,) = points["agentjobs.jobs"]
    assert dict(jobs.attributes or {}) == {
        "agentjobs.function": "run_agent",
        "agentjobs.agent": "criteria-evaluator",
        "agentjobs.status": "failed",
        "agentjobs.error_code": "model_output_invalid",
    }
    backend.shutdown()


def test_metric_view_keeps_only_allow_listed_attributes():
    reader = InMemoryMetricReader()
    backend, metrics = build_providers(TelemetryConfig(service="x"), InMemorySpanExporter(), reader)
    assert metrics is not None
    metrics.job({"agentjobs.agent": "a", "agentjobs.job_id": "job_x", "patient": CANARY}, 1.0, None)
    data = reader.get_metrics_data()
    attributes = [
        dict(p.attributes or {})
        for rm in data.resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
        for p in m.data.data_points
    ]  # pyright: ignore[reportOptionalMemberAccess]
    assert attributes and all(a == {"agentjobs.agent": "a"} for a in attributes)
    backend.shutdown()


def test_an_unreachable_endpoint_never_fails_or_stalls_a_request():
    closed = OtlpReceiver()
    endpoint = closed.endpoint
    closed._server.server_close()  # nothing listens there any more  # pyright: ignore[reportPrivateUsage]
    destination = OtlpDestination(f"{endpoint}/v1/traces", f"{endpoint}/v1/metrics", {}, "otlp")
    out = io.StringIO()
    with redirect_stdout(out):
        t = telemetry.init(
            "status", config=TelemetryConfig(service="status", otlp=destination, export_timeout_seconds=1.0)
        )
        durations = []
        for _ in range(3):
            started = time.perf_counter()
            with t.delivery("status"):
                pass
            durations.append(time.perf_counter() - started)
        time.sleep(0.3)  # the start-up probe runs in the background
    events = [json.loads(line)["message"] for line in out.getvalue().splitlines()]
    assert events.count("telemetry.export_failed") == 1
    assert events.count("telemetry.otlp_unreachable") == 1
    assert max(durations[1:]) < 0.5  # paused after the first failure


def test_a_malformed_endpoint_disables_tracing_with_one_log_line():
    out = io.StringIO()
    with redirect_stdout(out):
        t = telemetry.init(
            "status", config=TelemetryConfig(service="status", otlp=OtlpDestination("not a url", "", {}, "otlp"))
        )
        with t.delivery("status"):
            pass
    assert not t.tracing
    assert [json.loads(line)["reason"] for line in out.getvalue().splitlines() if "otlp_disabled" in line] == [
        "malformed_endpoint"
    ]
