"""Usage plans to and from plain dictionaries: the Firestore field ``plan`` and the CLI's JSON.

USD amounts are decimal strings (``"12.50"``), exact where floats drift; a number is accepted on
input. Unknown keys are refused on input (a typo must not silently lift a limit).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, cast

from common.errors import UnprocessableEntity
from common.plans.models import Budget, BudgetPeriod, Limits, UsagePlan

__all__ = ["plan_from_doc", "plan_to_doc"]

_LIMIT_KEYS = ("rpm", "tpm", "max_concurrent_jobs", "max_output_tokens")
_PLAN_KEYS = frozenset({"active", "model_permissions", "default_limits", "model_limits", "budget"})
_BUDGET_KEYS = frozenset({"period", "limit_usd", "soft_limit_usd"})


def _limits_to_doc(limits: Limits) -> dict[str, int]:
    return {k: v for k in _LIMIT_KEYS if (v := getattr(limits, k)) is not None}


def plan_to_doc(plan: UsagePlan) -> dict[str, Any]:
    """The plan as a JSON-compatible dictionary (unset limits left out)."""
    doc: dict[str, Any] = {
        "active": plan.active,
        "model_permissions": list(plan.model_permissions),
        "default_limits": _limits_to_doc(plan.default_limits),
        "model_limits": {m: _limits_to_doc(lim) for m, lim in sorted(plan.model_limits.items())},
        "budget": None,
    }
    if plan.budget is not None:
        doc["budget"] = {
            "period": plan.budget.period.value,
            "limit_usd": str(plan.budget.limit_usd),
            "soft_limit_usd": None if plan.budget.soft_limit_usd is None else str(plan.budget.soft_limit_usd),
        }
    return doc


def _invalid(message: str) -> UnprocessableEntity:
    return UnprocessableEntity(message, code="invalid_plan")


def _usd(value: object, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise _invalid(f"{name} must be a USD amount")
    try:
        amount = Decimal(str(value))
    except InvalidOperation as e:
        raise _invalid(f"{name} must be a USD amount") from e
    if not amount.is_finite() or amount < 0:
        raise _invalid(f"{name} must be a finite amount >= 0")
    return amount


def _limits_from_doc(doc: object, where: str) -> Limits:
    if doc is None:
        return Limits()
    if not isinstance(doc, dict):
        raise _invalid(f"{where} must be an object of limits")
    fields = cast(dict[str, Any], doc)
    unknown = set(fields) - set(_LIMIT_KEYS)
    if unknown:
        raise _invalid(f"{where} has unknown keys: {', '.join(sorted(unknown))[:200]}")
    try:
        return Limits(**{k: fields.get(k) for k in _LIMIT_KEYS})
    except ValueError as e:
        raise _invalid(f"{where}: {e}") from e


def plan_from_doc(doc: object) -> UsagePlan:
    """Parse a plan dictionary (stored, or given to the CLI).

    Raises:
        UnprocessableEntity: ``invalid_plan`` with the offending key (never its value).
    """
    if not isinstance(doc, dict):
        raise _invalid("a plan is a JSON object")
    fields = cast(dict[str, Any], doc)
    unknown = set(fields) - _PLAN_KEYS
    if unknown:
        raise _invalid(f"unknown plan keys: {', '.join(sorted(unknown))[:200]}")
    active = fields.get("active", True)
    if not isinstance(active, bool):
        raise _invalid("active must be true or false")
    permissions: object = fields.get("model_permissions") or []
    if not isinstance(permissions, list) or not all(isinstance(m, str) and m for m in cast(list[Any], permissions)):
        raise _invalid("model_permissions must be a list of provider/model ids")
    model_limits_doc: object = fields.get("model_limits") or {}
    if not isinstance(model_limits_doc, dict):
        raise _invalid("model_limits must map provider/model ids to limits")
    model_limits = {
        str(m): _limits_from_doc(v, f"model_limits[{m}]"[:120])
        for m, v in cast(dict[str, Any], model_limits_doc).items()
    }
    budget: Budget | None = None
    budget_doc = fields.get("budget")
    if budget_doc is not None:
        if not isinstance(budget_doc, dict):
            raise _invalid("budget must be an object {period, limit_usd, soft_limit_usd}")
        b = cast(dict[str, Any], budget_doc)
        if set(b) - _BUDGET_KEYS:
            raise _invalid(f"budget has unknown keys: {', '.join(sorted(set(b) - _BUDGET_KEYS))[:200]}")
        try:
            period = BudgetPeriod(b.get("period", "month"))
        except ValueError as e:
            raise _invalid("budget.period must be day or month") from e
        if "limit_usd" not in b:
            raise _invalid("budget.limit_usd is required")
        soft = b.get("soft_limit_usd")
        try:
            budget = Budget(
                period, _usd(b["limit_usd"], "limit_usd"), None if soft is None else _usd(soft, "soft_limit_usd")
            )
        except ValueError as e:
            raise _invalid(str(e)) from e
    return UsagePlan(
        active=active,
        model_permissions=tuple(cast(list[str], permissions)),
        default_limits=_limits_from_doc(fields.get("default_limits"), "default_limits"),
        model_limits=model_limits,
        budget=budget,
    )
