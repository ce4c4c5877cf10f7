"""A real mirascope call to the scripted server yields a gen_ai span with usage and no content."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import BaseModel

import common.telemetry as telemetry
from common.costs.pricing import genai_prices_source, price_call
from common.llm.mirascope_adapter import MirascopeModel
from common.telemetry import TelemetryConfig
from common.telemetry.facade import Telemetry
from common.telemetry.otel_backend import build_providers
from tests.support.scripted_llm import Garbage, Json, ScriptedLLM, estimate_tokens, sequence

CANARY = "CANARY_51f0aa"


class Answered(BaseModel):
    answer: int
    reason: str


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    config = TelemetryConfig(service="run_agent")
    backend, _ = build_providers(config, exporter)
    telemetry.install(Telemetry(config, otel=backend))
    yield exporter
    telemetry.shutdown()


@pytest.mark.parametrize(
    ("model_id", "request_model"),
    [("openai/gpt-4o-mini", "gpt-4o-mini"), ("openai/gpt-4o-mini:completions", "gpt-4o-mini")],
)
def test_each_call_records_usage_in_a_gen_ai_span_without_content(
    spans: InMemorySpanExporter, model_id: str, request_model: str
):
    script = sequence(Garbage(f"not json {CANARY}"), Json({"answer": 42, "reason": f"because {CANARY}"}))
    with ScriptedLLM(script, cached_tokens=8, reasoning_tokens=5, response_model="gpt-4o-mini-2024-07-18") as server:
        model = MirascopeModel(base_url=server.base_url, api_key="sk-test", timeout_seconds=5)
        with telemetry.get().delivery("run_agent"):
            generation = model.generate(
                model=model_id, system=f"System {CANARY}", prompt=f"Patient {CANARY}?", output=Answered
            )
    assert generation.calls == 2 and len(generation.model_calls) == 2
    first, second = generation.model_calls
    assert (first.provider, first.request_model, first.response_model) == (
        "openai",
        request_model,
        "gpt-4o-mini-2024-07-18",
    )
    assert (first.cache_read_tokens, first.reasoning_tokens) == (8, 5)
    assert first.output_tokens == estimate_tokens(f"not json {CANARY}") + 5  # reasoning is part of output
    assert first.requested_at <= second.requested_at
    usage = generation.usage()
    assert usage.model_calls == generation.model_calls
    assert usage.input_tokens == first.input_tokens + second.input_tokens and usage.cache_read_tokens == 16

    telemetry.get().flush()
    gen_ai = [s for s in spans.get_finished_spans() if s.name == f"chat {request_model}"]
    assert len(gen_ai) == 2
    for span, call in zip(gen_ai, generation.model_calls, strict=True):
        attributes = dict(span.attributes or {})
        cost = price_call(call)
        assert cost.input_usd is not None and cost.output_usd is not None
        assert {k: v for k, v in attributes.items() if k.startswith("agentjobs.cost.")} == {
            "agentjobs.cost.input_usd": float(cost.input_usd),
            "agentjobs.cost.output_usd": float(cost.output_usd),
            "agentjobs.cost.total_usd": float(cost.input_usd + cost.output_usd),
            "agentjobs.cost.priced_calls": 1,
            "agentjobs.cost.unpriced_calls": 0,
            "agentjobs.cost.price_source": genai_prices_source(),
        }
        assert {k: v for k, v in attributes.items() if not k.startswith("agentjobs.cost.")} == {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": request_model,
            "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
            "gen_ai.usage.input_tokens": call.input_tokens,
            "gen_ai.usage.output_tokens": call.output_tokens,
            "gen_ai.usage.cache_read.input_tokens": 8,
            "gen_ai.usage.cache_creation.input_tokens": 0,
            "gen_ai.usage.reasoning.output_tokens": 5,
        }
    root = next(s for s in spans.get_finished_spans() if s.name == "run_agent")
    assert all(s.parent is not None and s.parent.span_id == root.context.span_id for s in gen_ai)
    assert CANARY not in repr([(s.name, s.attributes, s.events) for s in spans.get_finished_spans()])


def test_a_failed_call_marks_its_span_with_the_error_code(spans: InMemorySpanExporter):
    from tests.support.scripted_llm import HttpError

    with ScriptedLLM(lambda _: HttpError(429, f"slow down {CANARY}")) as server:
        model = MirascopeModel(base_url=server.base_url, api_key="sk-test", timeout_seconds=5)
        with pytest.raises(Exception, match="rate limiting"):
            model.generate(model="ollama/llama3.1:8b", system="s", prompt="p", output=Answered)
    telemetry.get().flush()
    (span,) = [s for s in spans.get_finished_spans() if s.name == "chat llama3.1:8b"]
    assert dict(span.attributes or {})["error.type"] == "model_rate_limited"
    assert dict(span.attributes or {})["gen_ai.provider.name"] == "ollama"
    assert CANARY not in repr(span.attributes)
