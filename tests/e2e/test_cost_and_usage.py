"""Done-means of cost and usage on the local stack: a criteria-evaluator job against the scripted
model server ends with a priced cost, and the day's usage shows in ``agentjobs usage``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import httpx
from typer.testing import CliRunner

from common.cli.app import app


def test_a_criteria_job_on_the_stack_is_priced_and_shows_in_the_days_usage(stack):
    tenant = stack.tenant("cost")
    body = {"criteria": [{"type": "inclusion", "text": "Adults"}], "patient_profile": ["A 54-year-old man."]}
    headers = {"Authorization": f"Bearer {tenant.api_key}"}
    response = httpx.post(stack.url("submit", "/v1/agents/criteria-evaluator/jobs"), json=body, headers=headers)
    assert response.status_code == 202, response.text
    job = stack.wait_job(tenant.api_key, response.json()["job_id"])
    assert job["status"] == "success", job.get("error")

    cost = job["cost"]
    assert cost["priced_calls"] == 1 and cost["unpriced_calls"] == 0 and Decimal(cost["total_usd"]) > 0
    assert cost["price_source"].startswith("genai-prices==")
    [call] = job["usage"]["model_calls"]
    assert (call["provider"], call["request_model"]) == ("openai", "gpt-4o-mini")

    key = ["--api-url", stack.url("status", ""), "--api-key", tenant.api_key]
    cli = CliRunner()
    status = cli.invoke(app, ["status", job["job_id"], *key], catch_exceptions=False)
    assert status.exit_code == 0 and f"cost: ${cost['total_usd']}" in status.output
    table = cli.invoke(app, ["usage", *key], catch_exceptions=False)
    today = datetime.now(UTC).date().isoformat()
    assert table.exit_code == 0 and today in table.output and f"${cost['total_usd']}" in table.output
    report = json.loads(cli.invoke(app, ["usage", "--json", "--group-by", "model", *key]).output)
    assert report["rows"][0]["key"] == "openai/gpt-4o-mini:completions"
    assert (report["total"]["jobs"], report["total"]["cost_usd"]) == (1, cost["total_usd"])
