"""Budget arithmetic, plan parsing and the worst-case estimate."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from common.costs.models import PriceOverride
from common.errors import UnprocessableEntity
from common.jobs.codec import tenant_from_doc, tenant_to_doc
from common.plans.budget import (
    LedgerTotals,
    admitted,
    crossed,
    from_micros,
    period_end,
    period_key,
    settlement,
    to_micros,
)
from common.plans.codec import plan_from_doc, plan_to_doc
from common.plans.estimate import TokenEstimate, estimate_tokens, worst_case_usd
from common.plans.models import Budget, BudgetPeriod, Limits, UsagePlan
from common.tenants.models import Tenant

NOW = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)


def test_periods_are_utc_days_and_months():
    assert period_key(BudgetPeriod.DAY, NOW) == "day-2026-12-31"
    assert period_key(BudgetPeriod.MONTH, NOW) == "month-2026-12"
    assert period_end(BudgetPeriod.DAY, NOW) == datetime(2027, 1, 1, tzinfo=UTC)
    assert period_end(BudgetPeriod.MONTH, datetime(2026, 2, 3, tzinfo=UTC)) == datetime(2026, 3, 1, tzinfo=UTC)


def test_micros_round_estimates_up():
    assert to_micros(Decimal("0.0000001"), round_up=True) == 1 and to_micros(Decimal("0.0000001")) == 0
    assert from_micros(1_234_567) == Decimal("1.234567")


def test_admission_compares_reserved_plus_spent_with_the_limit():
    budget = Budget(BudgetPeriod.MONTH, Decimal("1"))
    assert admitted(LedgerTotals(reserved=600_000, spent=400_000), budget)
    assert not admitted(LedgerTotals(reserved=600_001, spent=400_000), budget)


def test_settlement_releases_the_unspent_part_and_records_an_overrun():
    assert settlement(100, 30) == settlement(100, 30)
    s = settlement(100, 30)
    assert (s.reserved_delta, s.spent_delta, s.overrun, s.released) == (-100, 30, 0, 70)
    s = settlement(100, 130)
    assert (s.overrun, s.released) == (30, 0)
    assert crossed(9, 10, 10) and not crossed(10, 12, 10) and not crossed(3, 9, 10)


def test_plan_round_trips_through_the_tenant_document():
    plan = UsagePlan(
        model_permissions=("openai/gpt-4o",),
        default_limits=Limits(rpm=60, max_concurrent_jobs=4),
        model_limits={"openai/gpt-4o": Limits(tpm=100_000, max_output_tokens=4096)},
        budget=Budget(BudgetPeriod.DAY, Decimal("12.50"), Decimal("10")),
    )
    tenant = Tenant("acme", "Acme", NOW, allowed_models=("old/model",), plan=plan)
    again = tenant_from_doc(tenant_to_doc(tenant))
    assert again.plan == plan and again.model_permissions == ("openai/gpt-4o",)
    assert plan.limits_for("openai/gpt-4o") == Limits(
        rpm=60, tpm=100_000, max_concurrent_jobs=4, max_output_tokens=4096
    )
    assert plan_from_doc(plan_to_doc(plan)) == plan


def test_a_tenant_without_a_plan_keeps_its_allow_list():
    tenant = tenant_from_doc(tenant_to_doc(Tenant("acme", "Acme", NOW, allowed_models=("a/b",))))
    assert tenant.plan is None and tenant.model_permissions == ("a/b",)


@pytest.mark.parametrize(
    "doc",
    [
        {"budgett": {}},
        {"default_limits": {"rpm": 0}},
        {"default_limits": {"rmp": 5}},
        {"budget": {"period": "week", "limit_usd": "1"}},
        {"budget": {"period": "day", "limit_usd": "-1"}},
        {"budget": {"period": "day", "limit_usd": "1", "soft_limit_usd": "2"}},
        {"budget": {"period": "day"}},
        {"active": "yes"},
        [],
    ],
)
def test_invalid_plans_are_refused(doc):
    with pytest.raises(UnprocessableEntity) as info:
        plan_from_doc(doc)
    assert info.value.error_code == "invalid_plan"


def test_protocol_processor_estimate_is_bounded_by_its_page_selection():
    from common.agents.protocol_processor.page_selection import DEFAULT_MAX_TOKENS

    tokens = estimate_tokens("protocol-processor", {"file_uri": "gs://b/tenants/acme/p.pdf"}, Limits())
    assert tokens is not None and DEFAULT_MAX_TOKENS < tokens.input_tokens < DEFAULT_MAX_TOKENS * 1.2
    assert tokens.output_tokens == 16_384


def test_criteria_evaluator_estimate_grows_with_its_criteria():
    one = {"criteria": [{"type": "inclusion", "text": "Age 18 or over"}], "patient_profile": ["A 40 year old."]}
    many = one | {"criteria": one["criteria"] * 10}
    a = estimate_tokens("criteria-evaluator", one, Limits())
    b = estimate_tokens("criteria-evaluator", many, Limits())
    assert a is not None and b is not None
    assert b.output_tokens - a.output_tokens == 9 * 256 and b.input_tokens > a.input_tokens
    capped = estimate_tokens("criteria-evaluator", many, Limits(max_output_tokens=500))
    assert capped is not None and capped.output_tokens == 500
    assert estimate_tokens("echo", {}, Limits()) is None


def test_worst_case_counts_the_correction_call_and_uses_overrides():
    tokens = TokenEstimate(1000, 500)
    assert tokens.worst_case() == (1000 + 1000 + 500 + 64, 1000)
    override = PriceOverride("ollama", "*", Decimal("1"), Decimal("2"))
    usd = worst_case_usd(tokens, "ollama/llama3", now=NOW, overrides=(override,))
    assert usd == Decimal(2564) / 1_000_000 + Decimal(2000) / 1_000_000
    assert worst_case_usd(tokens, "ollama/llama3", now=NOW) is None  # unpriced, never $0
    listed = worst_case_usd(tokens, "openai/gpt-4o-mini", now=NOW)
    assert listed is not None and listed > 0
