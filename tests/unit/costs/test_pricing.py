"""Pricing with genai-prices' bundled data (pinned), tenant overrides, and job aggregates."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from decimal import Decimal
from importlib.metadata import version

import pytest

from common.costs import PriceOverride, price_call, price_job, split_model_id
from common.jobs.models import ModelCall

WHEN = datetime(2026, 6, 1, tzinfo=UTC)


def call(provider: str, model: str, response: str | None = None, at: datetime = WHEN, **tokens: int) -> ModelCall:
    counts = {"input_tokens": 1000, "output_tokens": 500} | tokens
    return ModelCall(provider, model, response, at, **counts)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("pricing must never touch the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.parametrize(
    ("model_id", "expected"),
    [
        ("openai/gpt-4o-mini", ("openai", "gpt-4o-mini")),
        ("openai/gpt-4o-mini:completions", ("openai", "gpt-4o-mini")),
        ("openai/gpt-4o-mini:responses", ("openai", "gpt-4o-mini")),
        ("ollama/llama3.1:8b", ("ollama", "llama3.1:8b")),
        ("ollama/hf.co/org/model:Q4", ("ollama", "hf.co/org/model:Q4")),
        ("anthropic/claude-sonnet-4-5", ("anthropic", "claude-sonnet-4-5")),
    ],
)
def test_split_model_id(model_id: str, expected: tuple[str, str]):
    assert split_model_id(model_id) == expected


def test_split_model_id_needs_a_provider():
    with pytest.raises(ValueError, match="provider/model"):
        split_model_id("gpt-4o-mini")


def test_known_model_priced_by_the_id_the_provider_answered_with():
    cost = price_call(call("openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18"))
    # gpt-4o-mini: $0.15 / MTok input, $0.60 / MTok output.
    assert (cost.input_usd, cost.output_usd, cost.total_usd) == (
        Decimal("0.00015"),
        Decimal("0.0003"),
        Decimal("0.00045"),
    )
    assert cost.priced_model == "gpt-4o-mini"
    assert cost.price_source == f"genai-prices=={version('genai-prices')}"


def test_cached_tokens_are_priced_at_the_cache_read_rate():
    cost = price_call(call("openai", "gpt-4o-mini", cache_read_tokens=400))
    # 600 uncached x $0.15 + 400 cached x $0.075 per MTok.
    assert cost.input_usd == Decimal("0.00012")
    anthropic = price_call(call("anthropic", "claude-sonnet-4-5", cache_read_tokens=200, cache_write_tokens=100))
    # 700 x $3 + 200 x $0.30 + 100 x $3.75 per MTok.
    assert anthropic.input_usd == Decimal("0.002535")


def test_reasoning_tokens_are_output_tokens():
    plain = price_call(call("openai", "o3-mini"))
    reasoning = price_call(call("openai", "o3-mini", reasoning_tokens=300))
    assert plain.total_usd == reasoning.total_usd and plain.priced


def test_unknown_models_are_unpriced_never_zero():
    unknown = price_call(call("openai", "gpt-nonexistent-9"))
    assert not unknown.priced and unknown.total_usd is None and unknown.unpriced_reason == "unknown_model"
    self_hosted = price_call(call("ollama", "llama3.1:8b"))
    assert not self_hosted.priced and self_hosted.unpriced_reason == "unknown_provider"


def test_the_price_in_force_at_request_time_applies():
    # Mistral raised ministral-8b-latest on 2025-12-02: input $0.10 -> $0.15, output $0.10 -> $0.15 per MTok.
    before = price_call(call("mistral", "ministral-8b-latest", at=datetime(2025, 11, 30, tzinfo=UTC)))
    after = price_call(call("mistral", "ministral-8b-latest", at=datetime(2025, 12, 3, tzinfo=UTC)))
    assert before.total_usd == Decimal("0.00015")
    assert after.total_usd == Decimal("0.000225")


def test_tenant_overrides_price_self_hosted_and_negotiated_models():
    overrides = (
        PriceOverride("ollama", "*", Decimal("0.02"), Decimal("0.04")),
        PriceOverride("openai", "gpt-4o-mini", Decimal("0.10"), Decimal("0.40"), cache_read_usd_per_mtok=Decimal("0")),
        PriceOverride(
            "openai", "gpt-4o-mini", Decimal("0.05"), Decimal("0.20"), effective_from=datetime(2027, 1, 1, tzinfo=UTC)
        ),
    )
    hosted = price_call(call("ollama", "llama3.1:8b"), overrides)
    assert hosted.total_usd == Decimal("0.00004") and hosted.price_source == "tenant-override"
    negotiated = price_call(call("openai", "gpt-4o-mini", cache_read_tokens=500), overrides)
    assert negotiated.input_usd == Decimal("0.00005") and negotiated.output_usd == Decimal("0.0002")
    later = price_call(call("openai", "gpt-4o-mini", at=datetime(2027, 2, 1, tzinfo=UTC)), overrides)
    assert later.total_usd == Decimal("0.00015")


def test_negative_override_prices_are_rejected():
    with pytest.raises(ValueError, match="negative"):
        PriceOverride("openai", "*", Decimal("-1"), Decimal("1"))


def test_job_cost_sums_priced_calls_and_counts_unpriced_ones():
    now = datetime(2026, 6, 2, tzinfo=UTC)
    cost = price_job([call("openai", "gpt-4o-mini"), call("openai", "gpt-4o-mini"), call("ollama", "x")], now=now)
    assert cost is not None
    assert (cost.total_usd, cost.input_usd, cost.output_usd) == (
        Decimal("0.0009"),
        Decimal("0.0003"),
        Decimal("0.0006"),
    )
    assert (cost.priced_calls, cost.unpriced_calls, cost.priced_at) == (2, 1, now)
    assert cost.price_source.startswith("genai-prices==")
    only_unknown = price_job([call("ollama", "x")])
    assert only_unknown is not None and only_unknown.total_usd is None and only_unknown.price_source == ""
    assert price_job([]) is None
    mixed = price_job(
        [call("openai", "gpt-4o-mini"), call("ollama", "x")], (PriceOverride("ollama", "x", Decimal(1), Decimal(1)),)
    )
    assert mixed is not None and mixed.price_source.endswith("+tenant-override") and mixed.unpriced_calls == 0


def test_a_fetched_snapshot_installed_by_another_library_is_ignored():
    from genai_prices import data_snapshot

    data_snapshot.set_custom_snapshot(data_snapshot.DataSnapshot(providers=[], from_auto_update=True))
    try:
        assert price_call(call("openai", "gpt-4o-mini")).priced
    finally:
        data_snapshot.set_custom_snapshot(None)
