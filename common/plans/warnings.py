"""The ``tenant.budget_warning`` webhook event: spend crossed the plan's soft limit (once per period).

Sent through the callbacks path: a Cloud Task for ``notify`` whose payload carries the figures
(amounts and the period, never content), signed with the tenant's Standard Webhooks secrets and
POSTed to the tenant's default webhook URL. Its ``webhook-id`` is stable per tenant and period,
so receivers can dedupe retries.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, cast

from common.boundary.ids import IdKind, is_valid_id
from common.errors import InvalidRequest, TransientError
from common.ports import TaskQueue
from common.telemetry.log import log

__all__ = ["BUDGET_WARNING_EVENT", "BudgetWarning", "TaskBudgetWarnings", "parse_budget_warning"]

BUDGET_WARNING_EVENT = "tenant.budget_warning"
_PERIOD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")
_AMOUNT_CHARS = frozenset("0123456789.")


@dataclass(frozen=True, slots=True)
class BudgetWarning:
    """One soft-limit crossing.

    Attributes:
        tenant_id: The tenant.
        period: Ledger key of the period, e.g. ``month-2026-12``.
        soft_limit_usd: The soft limit crossed (USD, decimal string).
        limit_usd: The hard limit (USD, decimal string).
        spent_usd: Spend after the crossing job (USD, decimal string).
    """

    tenant_id: str
    period: str
    soft_limit_usd: str
    limit_usd: str
    spent_usd: str

    def task_payload(self) -> dict[str, Any]:
        """The Cloud Task payload for ``notify``."""
        return {
            "tenant_id": self.tenant_id,
            "event": BUDGET_WARNING_EVENT,
            "period": self.period,
            "soft_limit_usd": self.soft_limit_usd,
            "limit_usd": self.limit_usd,
            "spent_usd": self.spent_usd,
        }

    def task_id(self) -> str:
        """Deterministic task id: one warning per tenant and period, even if enqueued twice."""
        digest = hashlib.sha256(f"{self.tenant_id}\x1f{self.period}".encode()).hexdigest()[:16]
        return f"{self.tenant_id}-budget-warning-{self.period}-{digest}"

    def message_id(self) -> str:
        """The ``webhook-id`` header: stable across retries."""
        return (
            "msg_"
            + hashlib.sha256(f"{self.tenant_id}\x1f{BUDGET_WARNING_EVENT}\x1f{self.period}".encode()).hexdigest()[:32]
        )

    def body(self) -> str:
        """The exact JSON text POSTed."""
        return json.dumps(
            {
                "type": BUDGET_WARNING_EVENT,
                "tenant_id": self.tenant_id,
                "period": self.period,
                "soft_limit_usd": self.soft_limit_usd,
                "limit_usd": self.limit_usd,
                "spent_usd": self.spent_usd,
            },
            separators=(",", ":"),
        )


def parse_budget_warning(payload: object) -> BudgetWarning | None:
    """The warning in a ``notify`` task payload; ``None`` when the payload is another event.

    Raises:
        InvalidRequest: ``malformed_task`` when it names this event but a field is malformed.
    """
    if not isinstance(payload, dict):
        return None
    fields = cast(dict[str, Any], payload)
    if fields.get("event") != BUDGET_WARNING_EVENT:
        return None
    tenant_id, period = fields.get("tenant_id"), fields.get("period")
    amounts = [fields.get(k) for k in ("soft_limit_usd", "limit_usd", "spent_usd")]
    if (
        not is_valid_id(IdKind.TENANT, tenant_id)
        or not isinstance(period, str)
        or not 0 < len(period) <= 20
        or not set(period) <= _PERIOD_CHARS
        or not all(isinstance(a, str) and 0 < len(a) <= 24 and set(a) <= _AMOUNT_CHARS for a in amounts)
    ):
        raise InvalidRequest("malformed budget warning task", code="malformed_task")
    soft, limit, spent = cast(list[str], amounts)
    return BudgetWarning(str(tenant_id), period, soft, limit, spent)


class TaskBudgetWarnings:
    """Enqueues warnings as Cloud Tasks for ``notify``.

    Args:
        queue: The callbacks queue.
    """

    def __init__(self, queue: TaskQueue):
        self._queue = queue

    def send(self, warning: BudgetWarning) -> bool:
        """Enqueue; ``False`` when it was enqueued before or the queue is unavailable (logged)."""
        try:
            return self._queue.enqueue_callback(warning.task_id(), warning.task_payload())
        except TransientError as e:
            log("plan.warning_enqueue_failed", severity="WARNING", tenant_id=warning.tenant_id, code=e.error_code)
            return False
