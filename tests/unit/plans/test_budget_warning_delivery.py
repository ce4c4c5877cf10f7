"""``tenant.budget_warning`` through notify: signed per Standard Webhooks, retried, malformed tasks recorded."""

from __future__ import annotations

import json

import pytest
from standardwebhooks import Webhook

from common.plans.warnings import BUDGET_WARNING_EVENT, BudgetWarning
from common.services.notify import CallbackFailed
from common.webhooks.http_post import PostResult
from tests.unit.services.test_notify import setup

WARNING = BudgetWarning("acme", "month-2026-12", "8", "10", "8.000120")


def test_the_warning_goes_to_the_tenant_webhook_signed():
    _, secret, poster, notifier = setup([PostResult(204)])
    outcome = notifier.handle(WARNING.task_payload(), retry_count="0")
    assert outcome.kind == "delivered"
    url, body, headers = poster.calls[0]
    assert url == "https://hooks.example.com/x"
    payload = Webhook(secret).verify(body, headers)
    assert payload == json.loads(WARNING.body())
    assert payload["type"] == BUDGET_WARNING_EVENT and payload["spent_usd"] == "8.000120"
    assert headers["webhook-id"] == WARNING.message_id()


def test_a_failed_attempt_is_retried_and_the_last_one_abandoned():
    _, _, _, notifier = setup([PostResult(503), PostResult(503)])
    with pytest.raises(CallbackFailed):
        notifier.handle(WARNING.task_payload(), retry_count="0")
    assert notifier.handle(WARNING.task_payload(), retry_count="15").kind == "abandoned"


def test_a_malformed_warning_task_is_recorded():
    _, _, poster, notifier = setup([])
    bad = WARNING.task_payload() | {"period": "../../x"}
    assert notifier.handle(bad).kind == "rejected" and poster.calls == []


def test_one_task_per_tenant_and_period():
    assert WARNING.task_id() == BudgetWarning("acme", "month-2026-12", "1", "2", "3").task_id()
    assert WARNING.task_id() != BudgetWarning("acme", "month-2027-01", "8", "10", "9").task_id()
