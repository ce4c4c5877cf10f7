"""Firestore operations per successful job with a usage plan, counted at the client like test_firestore_cost.

Without a plan a job costs 2 reads and 9 writes (test_firestore_cost.py: the job's writes, one
events page in each of its four commits, and its daily usage counter), and a tenant without a
plan still does (that test runs with plans wired in). A plan with a budget and a concurrency limit adds:

* submit: the job, its reservation and the ledger increment in one commit (2 more document writes);
* run_agent: read, the reservation (to settle it once); write, the settled reservation and the
  ledger increment in one commit (2 document writes);
* per model call with an RPM/TPM limit: 1 write (the minute's window, increment-and-read).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from common.costs.models import PriceOverride
from common.plans.models import Budget, BudgetPeriod, Limits, UsagePlan
from common.webhooks.receiver import WebhookReceiver
from tests.integration.test_firestore_cost import counted, job_message, submit_job  # noqa: F401 - fixture
from tests.support.scripted_llm import Json, ScriptedLLM

ANSWER = {"assessments": [{"criterion_index": 0, "explanation": "He is 40.", "evidence": [0], "status": "met"}]}
INPUT = {"criteria": [{"type": "inclusion", "text": "Age 18 or over"}], "patient_profile": ["A 40 year old man."]}
MODEL = "openai/gpt-4o-mini:completions"


def plan_tenant(directory, plan: UsagePlan) -> None:
    tenant = directory.get("acme")
    price = (PriceOverride("openai", "*", Decimal(1), Decimal(1)),)
    directory.save(tenant.replace(plan=plan, price_overrides=price))


def test_a_job_under_a_budget_and_concurrency_limit(counted, directory, tenant, blobs):  # noqa: F811
    plan_tenant(
        directory,
        UsagePlan(budget=Budget(BudgetPeriod.MONTH, Decimal(10)), default_limits=Limits(max_concurrent_jobs=5)),
    )
    make, ops = counted
    submit, run_agent, notify = make("submit"), make("run_agent", AGENTJOBS_CALLBACKS_QUEUE=""), make("notify")
    with WebhookReceiver(secret=tenant.webhook_secret) as receiver:
        warm = submit_job(submit, tenant, blobs, "warm.pdf", receiver.url)
        run_agent.post("/", json=job_message("acme", warm, "w1"))
        notify.post("/", json={"tenant_id": "acme", "job_id": warm, "event": "job.completed"})
        ops.clear()
        job_id = submit_job(submit, tenant, blobs, "p.pdf", receiver.url)
        ran = run_agent.post("/", json=job_message("acme", job_id, "m1"))
        assert ran.get_json()["status"] == "success", ran.get_json()
        task = {"tenant_id": "acme", "job_id": job_id, "event": "job.completed"}
        assert notify.post("/", json=task).get_json()["outcome"] == "delivered"

    job_doc, reservation, ledger = (
        f"tenants/acme/jobs/{job_id}",
        f"tenants/acme/plan_reservations/{job_id}",
        "tenants/acme/plan_ledger/ledger",
    )
    reads = ops.of("read")
    # The usage counter and the events pages: as without a plan (one page per job commit).
    writes = [(f, d) for f, d in ops.of("write") if "/usage/" not in d and "/events/" not in d]
    pages = [f for f, d in ops.of("write") if "/events/" in d]
    assert pages == ["submit", "run_agent", "run_agent", "notify"], ops.seen
    assert len(ops.of("write")) - len(writes) - len(pages) == 1
    print(f"\nwith a budget and a concurrency limit: {len(reads)} reads, {len(ops.of('write'))} writes: {ops.seen}")
    assert ops.of("transaction") == []
    assert sorted(reads) == sorted([("run_agent", job_doc), ("run_agent", reservation), ("notify", job_doc)])
    assert sorted(writes) == sorted(
        [
            ("submit", reservation),
            ("submit", ledger),
            ("submit", job_doc),
            ("run_agent", job_doc),
            ("run_agent", job_doc),
            ("run_agent", reservation),
            ("run_agent", ledger),
            ("notify", job_doc),
        ]
    )


@pytest.fixture
def server():
    with ScriptedLLM(lambda _: Json(ANSWER)) as s:
        yield s


def test_a_model_call_under_an_rpm_limit_costs_one_window_write(counted, directory, tenant, server):  # noqa: F811
    plan_tenant(directory, UsagePlan(default_limits=Limits(rpm=100, tpm=1_000_000)))
    make, ops = counted
    env = {"AGENTJOBS_MODEL": MODEL, "AGENTJOBS_MODEL_BASE_URL": server.base_url, "AGENTJOBS_CALLBACKS_QUEUE": ""}
    submit, run_agent = make("submit", **env), make("run_agent", **env)
    from tests.integration.conftest import bearer

    def one(message_id: str) -> str:
        job_id = submit.post("/v1/agents/criteria-evaluator/jobs", json=INPUT, headers=bearer(tenant)).get_json()[
            "job_id"
        ]
        ran = run_agent.post("/", json=job_message("acme", job_id, message_id))
        assert ran.get_json()["status"] == "success", ran.get_json()
        return job_id

    one("w1")
    ops.clear()
    job_id = one("m1")
    job_doc = f"tenants/acme/jobs/{job_id}"
    windows = [(f, d) for f, d in ops.of("write") if "/rate_windows/" in d]
    print(f"\nwith RPM/TPM limits: {len(ops.of('read'))} reads, {len(ops.of('write'))} writes: {ops.seen}")
    assert ops.of("read") == [("run_agent", job_doc)]
    writes = [(f, d) for f, d in ops.of("write") if "/usage/" not in d and "/events/" not in d]
    pages = [d for _, d in ops.of("write") if "/events/" in d]
    assert len(windows) == 1 and len(writes) == 4  # submit 1, claim 1, window 1, result 1 (+ usage counter)
    assert len(pages) == 3  # an events page in each job commit: submit, claim, result
