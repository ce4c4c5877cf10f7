"""Usage plans per tenant: model permissions, RPM/TPM limits, concurrency and dollar budgets.

Pure domain (:mod:`~common.plans.models`, :mod:`~common.plans.budget`,
:mod:`~common.plans.windows`, :mod:`~common.plans.estimate`), services over small ports
(:mod:`~common.plans.admission` at submit and intake, :mod:`~common.plans.limiter` and
:mod:`~common.plans.runtime` in ``run_agent``), Firestore adapters in
:mod:`common.adapters.firestore_plans`. Importing this package imports no SDK.
"""

from common.plans.models import DEFAULT_MAX_OUTPUT_TOKENS, Budget, BudgetPeriod, Limits, UsagePlan

__all__ = ["DEFAULT_MAX_OUTPUT_TOKENS", "Budget", "BudgetPeriod", "Limits", "UsagePlan"]
