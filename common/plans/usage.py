"""What a tenant's plan has used this period: for ``agentjobs tenants plan show`` and ``/v1/usage``.

The report is the budget's view (reservations and settled actual costs from the plan ledger);
issue 6's daily usage counters (``GET /v1/usage``) count completed jobs' tokens and costs. The
two agree on settled spend: both price the same calls.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from common.plans.budget import from_micros, period_end, period_key, to_micros
from common.plans.ports import PlanLedger
from common.tenants.models import Tenant

__all__ = ["plan_report"]


def plan_report(tenant: Tenant, ledger: PlanLedger, *, now: datetime) -> dict[str, Any]:
    """``{"budget": {...}|None, "active_jobs": {agent: n}}``; amounts are USD decimal strings.

    ``budget`` holds ``period``, ``limit_usd``, ``soft_limit_usd``, ``spent_usd``, ``reserved_usd``,
    ``remaining_usd`` (limit - spent - reserved, never below 0), ``overrun_usd`` and ``resets_at``.

    Raises:
        TransientError: The ledger is unavailable.
    """
    plan = tenant.plan
    budget = plan.budget if plan is not None else None
    if budget is None:
        view = ledger.view(tenant.tenant_id, "")
        return {"budget": None, "active_jobs": view.active}
    key = period_key(budget.period, now)
    view = ledger.view(tenant.tenant_id, key)
    t = view.totals
    return {
        "budget": {
            "period": key,
            "limit_usd": str(budget.limit_usd),
            "soft_limit_usd": None if budget.soft_limit_usd is None else str(budget.soft_limit_usd),
            "spent_usd": str(from_micros(t.spent)),
            "reserved_usd": str(from_micros(t.reserved)),
            "remaining_usd": str(from_micros(max(0, to_micros(budget.limit_usd) - t.committed))),
            "overrun_usd": str(from_micros(t.overrun)),
            "resets_at": period_end(budget.period, now).isoformat(),
        },
        "active_jobs": view.active,
    }
