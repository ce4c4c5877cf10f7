"""Cost of model calls and jobs, in USD, with where the prices came from. Pure: no SDK import.

Money is :class:`~decimal.Decimal` (prices are per million tokens with up to six decimals; floats
would drift when summed). A call whose model has no known price is **unpriced**, never $0: it is
counted in ``unpriced_calls`` and left out of the sums, and a job with no priced call has
``total_usd=None``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

__all__ = ["PRICE_SOURCE_OVERRIDE", "CallCost", "Cost", "PriceOverride", "UnpricedReason"]

PRICE_SOURCE_OVERRIDE = "tenant-override"

type UnpricedReason = str
"""Why a call is unpriced: ``unknown_provider`` (no price list for it, e.g. self-hosted
``ollama/``), ``unknown_model`` (the provider's list lacks the model), ``invalid_usage``."""


@dataclass(frozen=True, slots=True)
class PriceOverride:
    """A tenant's own price for a model: a negotiated rate, or a self-hosted model's cost.

    Attributes:
        provider: mirascope provider id, e.g. ``openai`` or ``ollama``.
        model: Model id without the provider prefix (case-insensitive exact match), or ``*``
            for every model of ``provider``.
        input_usd_per_mtok: USD per million uncached input tokens.
        output_usd_per_mtok: USD per million output tokens (reasoning included).
        cache_read_usd_per_mtok: USD per million cache-read input tokens; ``None`` = the input price.
        cache_write_usd_per_mtok: USD per million cache-write input tokens; ``None`` = the input price.
        effective_from: Applies to calls requested at or after this time (UTC); ``None`` = always.

    Raises:
        ValueError: A price is negative, or ``provider``/``model`` is empty.
    """

    provider: str
    model: str
    input_usd_per_mtok: Decimal
    output_usd_per_mtok: Decimal
    cache_read_usd_per_mtok: Decimal | None = None
    cache_write_usd_per_mtok: Decimal | None = None
    effective_from: datetime | None = None

    def __post_init__(self) -> None:
        if not self.provider or not self.model:
            raise ValueError("a price override names a provider and a model (or '*')")
        prices = (
            self.input_usd_per_mtok,
            self.output_usd_per_mtok,
            self.cache_read_usd_per_mtok,
            self.cache_write_usd_per_mtok,
        )
        if any(p is not None and p < 0 for p in prices):
            raise ValueError("prices must not be negative")

    def matches(self, provider: str, model: str, at: datetime) -> bool:
        """Whether this override prices ``provider``/``model`` for a call requested ``at``."""
        if self.provider.lower() != provider.lower():
            return False
        if self.model != "*" and self.model.lower() != model.lower():
            return False
        return self.effective_from is None or at >= self.effective_from


@dataclass(frozen=True, slots=True)
class CallCost:
    """The price of one model call.

    Attributes:
        input_usd: Input cost (uncached + cache read + cache write), or ``None`` when unpriced.
        output_usd: Output cost (reasoning included), or ``None`` when unpriced.
        price_source: ``genai-prices==<version>`` or :data:`PRICE_SOURCE_OVERRIDE`; ``None`` when unpriced.
        priced_model: The price list's model id that matched (e.g. ``gpt-4o-mini``), or the
            override's model.
        unpriced_reason: See :data:`UnpricedReason`; ``None`` when priced.
    """

    input_usd: Decimal | None
    output_usd: Decimal | None
    price_source: str | None
    priced_model: str | None = None
    unpriced_reason: UnpricedReason | None = None

    @property
    def priced(self) -> bool:
        """Whether a price was found."""
        return self.input_usd is not None and self.output_usd is not None

    @property
    def total_usd(self) -> Decimal | None:
        """``input_usd + output_usd``, or ``None`` when unpriced."""
        if self.input_usd is None or self.output_usd is None:
            return None
        return self.input_usd + self.output_usd


@dataclass(frozen=True, slots=True)
class Cost:
    """A job's model cost, summed over its calls, with provenance.

    Attributes:
        total_usd: Sum over priced calls, or ``None`` when no call was priced (never a made-up $0).
        input_usd: Input part of ``total_usd``.
        output_usd: Output part of ``total_usd``.
        priced_calls: Calls with a price.
        unpriced_calls: Calls without one; when > 0 the sums are a lower bound.
        price_source: The price lists used, e.g. ``genai-prices==0.2.3`` or
            ``genai-prices==0.2.3+tenant-override``; ``""`` when nothing was priced.
        priced_at: When the cost was computed (UTC). Each call is priced at its own request time.
    """

    total_usd: Decimal | None
    input_usd: Decimal | None
    output_usd: Decimal | None
    priced_calls: int
    unpriced_calls: int
    price_source: str
    priced_at: datetime
