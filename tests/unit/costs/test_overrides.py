"""Tenant price overrides: parsing and bounds, one per (provider, model, effective_from), used by pricing."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from common.costs import price_call
from common.costs.overrides import (
    MAX_OVERRIDES,
    InvalidPriceOverride,
    parse_price_override,
    remove_overrides,
    upsert_override,
)
from common.jobs.models import ModelCall
from common.services.tenants import TenantAdmin
from common.tenants.models import Tenant
from tests.support.fakes import InMemoryTenantDirectory

JAN = datetime(2027, 1, 1, tzinfo=UTC)


def test_a_parsed_override_prices_calls():
    override = parse_price_override(
        "openai/gpt-4o-mini:completions", input_usd_per_mtok="0.1", output_usd_per_mtok="0.4"
    )
    assert (override.provider, override.model, override.input_usd_per_mtok) == ("openai", "gpt-4o-mini", Decimal("0.1"))
    call = ModelCall("openai", "gpt-4o-mini", None, JAN, 1000, 1000)
    assert price_call(call, (override,)).total_usd == Decimal("0.0005")
    wildcard = parse_price_override("ollama/*", input_usd_per_mtok="0", output_usd_per_mtok="0")
    assert price_call(ModelCall("ollama", "llama3.1:8b", None, JAN, 10, 10), (wildcard,)).total_usd == 0


@pytest.mark.parametrize(
    ("model", "prices", "effective_from"),
    [
        ("gpt-4o-mini", ("1", "1"), None),
        ("OpenAI/gpt", ("1", "1"), None),
        ("openai/", ("1", "1"), None),
        ("openai/gpt 4", ("1", "1"), None),
        ("openai/gpt", ("-1", "1"), None),
        ("openai/gpt", ("1", "NaN"), None),
        ("openai/gpt", ("1", "Infinity"), None),
        ("openai/gpt", ("1", "100001"), None),
        ("openai/gpt", ("1", "0.0000000001"), None),
        ("openai/gpt", ("one", "1"), None),
        ("openai/gpt", ("1", "1"), datetime(2027, 1, 1)),  # naive: ambiguous
    ],
)
def test_malformed_or_out_of_bounds_overrides_are_refused(model, prices, effective_from):
    with pytest.raises(InvalidPriceOverride) as raised:
        parse_price_override(
            model, input_usd_per_mtok=prices[0], output_usd_per_mtok=prices[1], effective_from=effective_from
        )
    assert raised.value.error_code == "invalid_price_override" and raised.value.http_status == 422


def test_one_override_per_model_and_date_and_a_bounded_list():
    a = parse_price_override("openai/gpt", input_usd_per_mtok="1", output_usd_per_mtok="2")
    b = parse_price_override("openai/gpt", input_usd_per_mtok="3", output_usd_per_mtok="4")
    later = parse_price_override("openai/gpt", input_usd_per_mtok="5", output_usd_per_mtok="6", effective_from=JAN)
    held = upsert_override(upsert_override(upsert_override((), a), later), b)
    assert held == (b, later)
    assert remove_overrides(held, "openai/gpt:responses") == ()
    assert remove_overrides(held, "openai/other") == held and remove_overrides(held, None) == ()
    many = tuple(
        parse_price_override(f"openai/m{i}", input_usd_per_mtok="1", output_usd_per_mtok="1")
        for i in range(MAX_OVERRIDES)
    )
    with pytest.raises(InvalidPriceOverride, match="at most"):
        upsert_override(many, a)
    assert len(upsert_override(many, many[0])) == MAX_OVERRIDES  # replacing is always allowed


def test_the_admin_stores_and_clears_a_tenants_overrides():
    directory = InMemoryTenantDirectory()
    directory.create(Tenant("acme", "Acme", JAN), "h")

    def no_cipher():
        raise AssertionError("no cipher needed")

    admin = TenantAdmin(directory, clock=lambda: JAN, ciphers=no_cipher)
    override = parse_price_override("ollama/*", input_usd_per_mtok="0.02", output_usd_per_mtok="0.04")
    assert admin.set_price_override("acme", override).price_overrides == (override,)
    assert directory.get("acme").price_overrides == (override,)
    assert admin.clear_price_overrides("acme").price_overrides == ()
