"""A tenant's price overrides: parsed from an operator's input, bounded, and kept one per key. Pure.

An override is keyed by ``(provider, model, effective_from)`` (case-insensitive ids): setting
one with the key of another replaces it, so a tenant can record a price change by adding the new
price with its ``effective_from`` and keep the old one for earlier calls.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from common.costs.models import PriceOverride
from common.errors import UnprocessableEntity

__all__ = [
    "MAX_OVERRIDES",
    "MAX_USD_PER_MTOK",
    "InvalidPriceOverride",
    "parse_price_override",
    "parse_usd_per_mtok",
    "remove_overrides",
    "upsert_override",
]

MAX_OVERRIDES = 100
"""Overrides one tenant may hold (they live in the tenant's record)."""
MAX_USD_PER_MTOK = Decimal(100_000)
"""The highest price accepted (USD per million tokens): anything above is a typo."""

_ALWAYS = datetime.min.replace(tzinfo=UTC)
_PROVIDER = re.compile(r"^[a-z][a-z0-9-]{0,39}$")
_MODEL = re.compile(r"^(\*|[A-Za-z0-9._:/-]{1,128})$")


class InvalidPriceOverride(UnprocessableEntity):
    """The override is malformed or out of bounds (HTTP 422 semantics; the CLI exits 2)."""

    code = "invalid_price_override"


def parse_usd_per_mtok(raw: str | Decimal, what: str) -> Decimal:
    """A price in USD per million tokens: a finite decimal from 0 to 100000, at most 9 decimals.

    Raises:
        InvalidPriceOverride: Anything else (``what`` names the field in the message).
    """
    try:
        value = raw if isinstance(raw, Decimal) else Decimal(raw.strip())
    except InvalidOperation:
        raise InvalidPriceOverride(f"{what} must be a decimal number of USD per million tokens") from None
    if not value.is_finite() or value < 0 or value > MAX_USD_PER_MTOK:
        raise InvalidPriceOverride(f"{what} must be from 0 to {MAX_USD_PER_MTOK} USD per million tokens")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -9:
        raise InvalidPriceOverride(f"{what} has more than 9 decimals")
    return value


def parse_price_override(
    model_id: str,
    *,
    input_usd_per_mtok: str | Decimal,
    output_usd_per_mtok: str | Decimal,
    cache_read_usd_per_mtok: str | Decimal | None = None,
    cache_write_usd_per_mtok: str | Decimal | None = None,
    effective_from: datetime | None = None,
) -> PriceOverride:
    """An override from ``provider/model`` (or ``provider/*``, every model of a provider) and prices.

    ``provider`` is mirascope's id (``openai``, ``anthropic``, ``ollama``...); ``model`` the id
    without the provider prefix, as the job's calls ask for it (an OpenAI ``:completions`` or
    ``:responses`` suffix is not part of it).

    Raises:
        InvalidPriceOverride: A malformed id, a price out of bounds, or a naive ``effective_from``.
    """
    provider, slash, model = model_id.partition("/")
    if not slash or not _PROVIDER.fullmatch(provider) or not _MODEL.fullmatch(model):
        raise InvalidPriceOverride("the model must be provider/model or provider/* (e.g. openai/gpt-4o-mini)")
    if provider == "openai":
        model = model.removesuffix(":completions").removesuffix(":responses")
    if effective_from is not None and effective_from.utcoffset() is None:
        raise InvalidPriceOverride("effective_from must carry a time zone (UTC)")
    return PriceOverride(
        provider=provider,
        model=model,
        input_usd_per_mtok=parse_usd_per_mtok(input_usd_per_mtok, "input"),
        output_usd_per_mtok=parse_usd_per_mtok(output_usd_per_mtok, "output"),
        cache_read_usd_per_mtok=None
        if cache_read_usd_per_mtok is None
        else parse_usd_per_mtok(cache_read_usd_per_mtok, "cache_read"),
        cache_write_usd_per_mtok=None
        if cache_write_usd_per_mtok is None
        else parse_usd_per_mtok(cache_write_usd_per_mtok, "cache_write"),
        effective_from=effective_from,
    )


def _key(o: PriceOverride) -> tuple[str, str, datetime | None]:
    return (o.provider.lower(), o.model.lower(), o.effective_from)


def upsert_override(overrides: Sequence[PriceOverride], new: PriceOverride) -> tuple[PriceOverride, ...]:
    """``overrides`` with ``new`` added, replacing one with the same key; sorted for display.

    Raises:
        InvalidPriceOverride: The tenant would hold more than :data:`MAX_OVERRIDES`.
    """
    kept = [o for o in overrides if _key(o) != _key(new)]
    if len(kept) >= MAX_OVERRIDES:
        raise InvalidPriceOverride(f"a tenant holds at most {MAX_OVERRIDES} price overrides")
    return tuple(sorted([*kept, new], key=lambda o: (o.provider, o.model, o.effective_from or _ALWAYS)))


def remove_overrides(overrides: Sequence[PriceOverride], model_id: str | None) -> tuple[PriceOverride, ...]:
    """``overrides`` without those of ``provider/model`` (every effective date), or without any when ``None``."""
    if model_id is None:
        return ()
    provider, _, model = model_id.partition("/")
    if provider == "openai":
        model = model.removesuffix(":completions").removesuffix(":responses")
    return tuple(o for o in overrides if (o.provider.lower(), o.model.lower()) != (provider.lower(), model.lower()))
