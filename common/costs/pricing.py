"""Price model calls and jobs with ``genai-prices``' bundled data, and tenant overrides.

``genai-prices`` (pydantic's price database) is pinned in ``pyproject.toml`` and used only
through its bundled snapshot (``genai_prices.data.providers``): this module never calls
``UpdatePrices`` (the package's only network path: a background thread fetching a JSON file
from GitHub, started only when asked) and never reads ``genai_prices.data_snapshot.get_snapshot()``,
which another library could have switched to fetched data with ``set_custom_snapshot``. So the
price of a call depends on the installed package version and the call's request time only, and
``price_source`` names that version.

Each call is priced at its own request time (``ModelCall.requested_at``), so a price change
between two calls of one job is honoured (genai-prices' ``ConditionalPrice`` start dates).

Importing ``genai_prices`` loads its whole price table (~0.3-0.8 s); it happens on the first
priced call of a process, never at import of this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

from common.costs.model_ids import price_provider
from common.costs.models import PRICE_SOURCE_OVERRIDE, CallCost, Cost, PriceOverride
from common.jobs.models import ModelCall

if TYPE_CHECKING:
    from genai_prices.data_snapshot import DataSnapshot

__all__ = ["genai_prices_source", "price_call", "price_job"]

_MTOK = Decimal(1_000_000)


@cache
def genai_prices_source() -> str:
    """``genai-prices==<installed version>``, the provenance of list prices (id-like, so spans may carry it)."""
    from importlib.metadata import version

    return f"genai-prices=={version('genai-prices')}"


@cache
def _bundled() -> DataSnapshot:
    from genai_prices import data
    from genai_prices.data_snapshot import DataSnapshot

    return DataSnapshot(providers=data.providers, from_auto_update=False)


def _override_for(call: ModelCall, overrides: Sequence[PriceOverride]) -> PriceOverride | None:
    # Exact model beats '*'; among equals, the latest effective_from in force wins.
    candidates = [o for o in overrides if o.matches(call.provider, call.request_model, call.requested_at)]
    if not candidates:
        return None
    oldest = datetime.min.replace(tzinfo=UTC)
    return max(candidates, key=lambda o: (o.model != "*", o.effective_from or oldest))


def _priced_by_override(call: ModelCall, o: PriceOverride) -> CallCost:
    cache_read = o.cache_read_usd_per_mtok if o.cache_read_usd_per_mtok is not None else o.input_usd_per_mtok
    cache_write = o.cache_write_usd_per_mtok if o.cache_write_usd_per_mtok is not None else o.input_usd_per_mtok
    uncached = max(0, call.input_tokens - call.cache_read_tokens - call.cache_write_tokens)
    input_usd = (
        uncached * o.input_usd_per_mtok + call.cache_read_tokens * cache_read + call.cache_write_tokens * cache_write
    ) / _MTOK
    output_usd = call.output_tokens * o.output_usd_per_mtok / _MTOK
    return CallCost(input_usd, output_usd, PRICE_SOURCE_OVERRIDE, priced_model=o.model)


def _usage(call: ModelCall) -> Any:
    from genai_prices.types import Usage

    values = {
        "input_tokens": call.input_tokens,
        "output_tokens": call.output_tokens,
        "cache_read_tokens": call.cache_read_tokens,
        "cache_write_tokens": call.cache_write_tokens,
        "output_reasoning_tokens": call.reasoning_tokens,
    }
    return Usage(**{k: v for k, v in values.items() if v})


def price_call(call: ModelCall, overrides: Sequence[PriceOverride] = ()) -> CallCost:
    """The price of one call: a matching tenant override, else genai-prices' price at ``call.requested_at``.

    Looks the model up by the id the provider answered with (``gpt-4o-mini-2024-07-18``), then
    by the id asked for. Token semantics as :class:`~common.jobs.models.ModelCall` (input
    includes cache reads/writes, output includes reasoning), which is also genai-prices'.

    Returns:
        A priced :class:`~common.costs.models.CallCost`, or an unpriced one with a reason. Never
        raises for an unknown provider or model.
    """
    override = _override_for(call, overrides)
    if override is not None:
        return _priced_by_override(call, override)
    provider_id = price_provider(call.provider)
    if provider_id is None:
        return CallCost(None, None, None, unpriced_reason="unknown_provider")
    snapshot = _bundled()
    refs = [m for m in (call.response_model, call.request_model) if m]
    for ref in refs:
        try:
            provider, model = snapshot.find_provider_model(ref, None, provider_id, None)
        except LookupError:
            continue
        try:
            price = model.calc_price(_usage(call), provider, genai_request_timestamp=call.requested_at)
        except ValueError:  # usage genai-prices cannot decompose (e.g. cache > input)
            return CallCost(None, None, None, unpriced_reason="invalid_usage")
        return CallCost(price.input_price, price.output_price, genai_prices_source(), priced_model=model.id)
    return CallCost(None, None, None, unpriced_reason="unknown_model")


def price_job(
    calls: Sequence[ModelCall], overrides: Sequence[PriceOverride] = (), *, now: datetime | None = None
) -> Cost | None:
    """A job's :class:`~common.costs.models.Cost` over ``calls``; ``None`` for a job without model calls.

    Args:
        calls: The job's calls (``Usage.model_calls``).
        overrides: The tenant's price overrides.
        now: ``priced_at`` (default: the current UTC time).
    """
    if not calls:
        return None
    costs = [price_call(c, overrides) for c in calls]
    priced = [c for c in costs if c.priced]
    sources = sorted({c.price_source for c in priced if c.price_source}, key=lambda s: s == PRICE_SOURCE_OVERRIDE)
    input_usd = sum((c.input_usd for c in priced if c.input_usd is not None), Decimal(0)) if priced else None
    output_usd = sum((c.output_usd for c in priced if c.output_usd is not None), Decimal(0)) if priced else None
    total = None if input_usd is None or output_usd is None else input_usd + output_usd
    return Cost(
        total_usd=total,
        input_usd=input_usd,
        output_usd=output_usd,
        priced_calls=len(priced),
        unpriced_calls=len(costs) - len(priced),
        price_source="+".join(sources),
        priced_at=now or datetime.now(UTC),
    )
