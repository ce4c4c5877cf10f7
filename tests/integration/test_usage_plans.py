"""Usage plans on the emulators: budget race, RPM burst, no double reservation, provider 429s, upstream refusals."""

from __future__ import annotations

import base64
import concurrent.futures as cf
import json
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from common.adapters.clients import firestore_client
from common.adapters.firestore_plans import FirestorePlanLedger, FirestoreWindowCounter
from common.costs.models import PriceOverride
from common.jobs import lifecycle
from common.jobs.models import JobStatus, ModelCall, Usage
from common.plans.admission import Admission
from common.plans.budget import period_key
from common.plans.errors import RateLimited
from common.plans.limiter import RateLimiter
from common.plans.models import Budget, BudgetPeriod, Limits, UsagePlan
from common.plans.ports import Reservation
from common.plans.runtime import PlanRuntime
from common.plans.windows import WINDOW_SECONDS, window_start
from tests.integration.conftest import bearer
from tests.support.plan_fakes import MemoryLedger
from tests.support.scripted_llm import HttpError, Json, ScriptedLLM, sequence

AGENT = "criteria-evaluator"
MODEL = "openai/gpt-4o-mini:completions"
INPUT = {"criteria": [{"type": "inclusion", "text": "Age 18 or over"}], "patient_profile": ["A 40 year old man."]}
ANSWER = {"assessments": [{"criterion_index": 0, "explanation": "He is 40.", "evidence": [0], "status": "met"}]}
# $1 per million tokens in and out makes costs easy to reason about (micro-USD == tokens).
PRICE = (PriceOverride("openai", "*", Decimal(1), Decimal(1)),)


@pytest.fixture
def ledger(emulators) -> FirestorePlanLedger:
    return FirestorePlanLedger(firestore_client(emulators.project))


def set_plan(directory, plan: UsagePlan) -> None:
    tenant = directory.get("acme")
    directory.save(tenant.replace(plan=plan, price_overrides=PRICE))


def estimate(directory) -> int:
    """The worst-case estimate of one INPUT job (micro-USD), computed as admission does."""
    probe = Admission(ledger=MemoryLedger(), clock=lambda: datetime.now(UTC))
    t = directory.get("acme").replace(plan=UsagePlan(budget=Budget(BudgetPeriod.MONTH, Decimal(1))))
    r = probe.admit(t, job_id="probe", agent=AGENT, model=MODEL, job_input=INPUT)
    assert r is not None
    return r.estimate_micros


def test_budget_race_50_concurrent_submits(make_app, directory, tenant, ledger):
    set_plan(directory, UsagePlan())
    e = estimate(directory)
    budget_micros = 50 * e // 3  # the 50 jobs' worst case is 3x the budget
    limit = Decimal(budget_micros) / 1_000_000
    set_plan(directory, UsagePlan(budget=Budget(BudgetPeriod.MONTH, limit)))
    app = make_app("submit", AGENTJOBS_MODEL=MODEL).application

    def submit(i: int) -> tuple[int, dict[str, Any]]:
        response = app.test_client().post(f"/v1/agents/{AGENT}/jobs", json=INPUT, headers=bearer(tenant))
        return response.status_code, response.get_json()

    started = time.perf_counter()
    with cf.ThreadPoolExecutor(50) as pool:
        answers = list(pool.map(submit, range(50)))
    seconds = time.perf_counter() - started
    accepted = [body["job_id"] for status, body in answers if status == 202]
    refused = [body for status, body in answers if status != 202]
    assert {b["error"]["code"] for b in refused} <= {"budget_exceeded"}, [
        b["error"]["message"] for b in refused if b["error"]["code"] != "budget_exceeded"
    ]
    assert len(accepted) + len(refused) == 50 and accepted, answers[:3]
    period = period_key(BudgetPeriod.MONTH, datetime.now(UTC))
    totals = ledger.view("acme", period).totals
    # The sum of reservations never exceeds the budget.
    assert totals.reserved == len(accepted) * e <= budget_micros
    assert len(directory.jobs("acme").list(limit=100)) == len(accepted)  # refused jobs were never stored
    print(
        f"\nbudget race: {len(accepted)} admitted, {len(refused)} refused, of {budget_micros // e} that fit; {seconds:.2f} s"
    )

    # Settle: every job costs less than its estimate, except one that overruns it by 10 %.
    runtime = PlanRuntime(
        ledger=ledger,
        limiter=RateLimiter(FirestoreWindowCounter(firestore_client(directory._client.project))),
        tenant=directory.get,
        jobs_for=directory.jobs,
        clock=lambda: datetime.now(UTC),
    )
    store = directory.jobs("acme")
    for i, job_id in enumerate(accepted):
        tokens = e + e // 10 if i == 0 else e * 9 // 10
        now = datetime.now(UTC)
        call = ModelCall("openai", "gpt-4o-mini", None, now, input_tokens=0, output_tokens=tokens)
        job = store.get(job_id)
        assert job is not None
        claimed = lifecycle.claim(job, token="t", now=now, lease_seconds=60, max_attempts=3)
        done = lifecycle.complete(claimed, token="t", now=now, result={}, usage=Usage.of_calls((call,)))
        store.update(job_id, lambda _, done=done: done)
        runtime.settle(done)
        runtime.settle(done)  # a second settlement changes nothing
    after = ledger.view("acme", period).totals
    assert after.reserved == 0 and after.overrun == e // 10
    assert after.spent <= budget_micros + e // 10  # spend <= budget + one job's estimation error


def test_rpm_burst_of_100_admits_20_per_window_on_firestore(emulators):
    counter = FirestoreWindowCounter(firestore_client(emulators.project))
    frozen = window_start(time.time()) + 15.0  # every call in one window, 45 s before it ends
    limiter = RateLimiter(counter, now=lambda: frozen, sleep=lambda _: None, max_wait_seconds=0)

    def call(_: int) -> float | None:
        try:
            limiter.acquire("acme", MODEL, tokens=100, limits=Limits(rpm=20))
        except RateLimited as e:
            return e.details["retry_after_seconds"]
        return None

    with cf.ThreadPoolExecutor(25) as pool:
        outcomes = list(pool.map(call, range(100)))
    assert outcomes.count(None) == 20
    assert {o for o in outcomes if o is not None} == {float(WINDOW_SECONDS - 15)}
    counts = counter.add("acme", MODEL, window_start(frozen), requests=0, tokens=0)
    assert (counts.requests, counts.tokens) == (20, 2000)  # the 80 denied were taken back


def test_redelivery_never_reserves_twice(make_app, directory, tenant, ledger):
    set_plan(directory, UsagePlan())
    e = estimate(directory)
    set_plan(
        directory, UsagePlan(budget=Budget(BudgetPeriod.DAY, Decimal(10)), default_limits=Limits(max_concurrent_jobs=3))
    )
    r = Reservation("acme", "job-1", AGENT, MODEL, "day-x", 1234, datetime.now(UTC))
    assert ledger.reserve(r) is not None
    assert ledger.reserve(r) is None
    assert ledger.view("acme", "day-x").totals.reserved == 1234
    # Through submit: an Idempotency-Key replay finds the job and does not admit again.
    submit = make_app("submit", AGENTJOBS_MODEL=MODEL)
    headers = {**bearer(tenant), "Idempotency-Key": "k1"}
    first = submit.post(f"/v1/agents/{AGENT}/jobs", json=INPUT, headers=headers)
    again = submit.post(f"/v1/agents/{AGENT}/jobs", json=INPUT, headers=headers)
    assert (first.status_code, again.status_code) == (202, 200)
    period = period_key(BudgetPeriod.DAY, datetime.now(UTC))
    assert ledger.view("acme", period).totals.reserved == e
    assert ledger.view("acme", period).active == {AGENT: 2}  # job-1 above, and this one


def request_message(message_id: str, **body: Any) -> dict[str, Any]:
    data = base64.b64encode(json.dumps({"agent": AGENT, "input": INPUT, **body}).encode()).decode()
    return {
        "message": {"data": data, "attributes": {"tenant_id": "acme"}, "messageId": message_id},
        "subscription": "s",
    }


def test_upstream_requests_over_a_limit_are_not_lost(make_app, directory, tenant, ledger):
    set_plan(directory, UsagePlan(budget=Budget(BudgetPeriod.DAY, Decimal("0.000001"))))
    run_agent = make_app("run_agent", AGENTJOBS_MODEL=MODEL, AGENTJOBS_CALLBACKS_QUEUE="")
    over_budget = run_agent.post("/", json=request_message("m1"))
    assert over_budget.status_code == 200 and over_budget.get_json()["code"] == "budget_exceeded"
    (job,) = directory.jobs("acme").list()
    assert job.status is JobStatus.FAILED and job.error is not None and job.error.code == "budget_exceeded"

    set_plan(directory, UsagePlan(default_limits=Limits(max_concurrent_jobs=1)))
    ledger.reserve(Reservation("acme", "busy", AGENT, MODEL, "", 0, datetime.now(UTC)))
    run_agent = make_app("run_agent", AGENTJOBS_MODEL=MODEL, AGENTJOBS_CALLBACKS_QUEUE="")
    busy = run_agent.post("/", json=request_message("m2"))
    assert busy.status_code == 429 and busy.headers["Retry-After"] == "30"
    assert busy.get_json()["error"]["code"] == "concurrency_limited"
    assert len(directory.jobs("acme").list()) == 1  # nothing created: the redelivery will

    set_plan(directory, UsagePlan(active=False))
    run_agent = make_app("run_agent", AGENTJOBS_MODEL=MODEL, AGENTJOBS_CALLBACKS_QUEUE="")
    inactive = run_agent.post("/", json=request_message("m3"))
    assert inactive.get_json()["code"] == "plan_inactive"


def test_https_refusals_carry_code_limit_and_retry_after(make_app, directory, tenant, ledger):
    set_plan(directory, UsagePlan(budget=Budget(BudgetPeriod.DAY, Decimal("0.000001"))))
    submit = make_app("submit", AGENTJOBS_MODEL=MODEL)
    refused = submit.post(f"/v1/agents/{AGENT}/jobs", json=INPUT, headers=bearer(tenant))
    body = refused.get_json()["error"]
    assert refused.status_code == 402 and body["code"] == "budget_exceeded" and body["limit_usd"] == "0.000001"
    assert int(refused.headers["Retry-After"]) == body["retry_after_seconds"] > 0


def test_provider_429s_delay_jobs_and_all_finish(make_app, directory, tenant, monkeypatch):
    set_plan(directory, UsagePlan(default_limits=Limits(rpm=100)))
    with ScriptedLLM(sequence(HttpError(429, retry_after=1), Json(ANSWER))) as server:
        env = {"AGENTJOBS_MODEL": MODEL, "AGENTJOBS_MODEL_BASE_URL": server.base_url, "AGENTJOBS_CALLBACKS_QUEUE": ""}
        submit = make_app("submit", **env)
        run_agent = make_app("run_agent", **env)
        first = submit.post(f"/v1/agents/{AGENT}/jobs", json=INPUT, headers=bearer(tenant)).get_json()["job_id"]
        # A short retry-after is waited out inside the attempt.
        ran = run_agent.post("/", json=job_message(first, "a1"))
        assert ran.get_json()["status"] == "success", ran.get_json()
        assert directory.jobs("acme").get(first).attempts == 1

        # A long one releases the job (no attempt spent) with 429 and Retry-After, then it finishes.
        server.script = sequence(HttpError(429, retry_after=11), Json(ANSWER))
        second = submit.post(f"/v1/agents/{AGENT}/jobs", json=INPUT, headers=bearer(tenant)).get_json()["job_id"]
        released = run_agent.post("/", json=job_message(second, "b1"))
        assert released.status_code == 429 and 10 <= int(released.headers["Retry-After"]) <= 11
        job = directory.jobs("acme").get(second)
        assert job.status is JobStatus.PENDING and job.attempts == 0 and job.error is not None
        time.sleep(int(released.headers["Retry-After"]))
        again = run_agent.post("/", json=job_message(second, "b2"))
        assert again.get_json()["status"] == "success", again.get_json()


def job_message(job_id: str, message_id: str) -> dict[str, Any]:
    data = base64.b64encode(json.dumps({"tenant_id": "acme", "job_id": job_id}).encode()).decode()
    return {
        "message": {"data": data, "attributes": {"kind": "job.queued"}, "messageId": message_id},
        "subscription": "s",
    }


def test_cli_sets_and_shows_a_plan_carrying_the_allow_list_over(admin, directory, tenant, ledger):
    from typer.testing import CliRunner

    from common.cli.app import app as cli

    admin.set_allowed_models("acme", ["openai/gpt-4o"])
    plan = {"budget": {"period": "month", "limit_usd": "5", "soft_limit_usd": "4"}, "default_limits": {"rpm": 30}}
    done = CliRunner().invoke(cli, ["tenants", "plan", "set", "acme", "--plan", json.dumps(plan)])
    assert done.exit_code == 0, done.output
    stored = directory.get("acme").plan
    assert stored is not None and stored.model_permissions == ("openai/gpt-4o",)  # migrated from allowed_models
    assert stored.default_limits == Limits(rpm=30) and stored.budget == Budget(
        BudgetPeriod.MONTH, Decimal(5), Decimal(4)
    )
    period = period_key(BudgetPeriod.MONTH, datetime.now(UTC))
    ledger.reserve(Reservation("acme", "j1", AGENT, MODEL, period, 1_500_000, datetime.now(UTC)))
    shown = CliRunner().invoke(cli, ["tenants", "plan", "show", "acme", "--json"])
    assert shown.exit_code == 0, shown.output
    report = json.loads(shown.stdout)
    assert report["budget"]["reserved_usd"] == "1.500000" and report["budget"]["remaining_usd"] == "3.500000"
    assert report["budget"]["spent_usd"] == "0.000000" and report["active_jobs"] == {AGENT: 1}
    bad = CliRunner().invoke(cli, ["tenants", "plan", "set", "acme", "--plan", '{"default_limits": {"rpm": 0}}'])
    assert bad.exit_code == 1 and "invalid_plan" in bad.output


def test_usage_shows_the_budget_used_reserved_and_remaining(make_app, directory, tenant, ledger):
    set_plan(directory, UsagePlan(budget=Budget(BudgetPeriod.MONTH, Decimal(2))))
    period = period_key(BudgetPeriod.MONTH, datetime.now(UTC))
    ledger.reserve(Reservation("acme", "j1", AGENT, MODEL, period, 500_000, datetime.now(UTC)))
    ledger.settle("acme", "j1", 300_000, now=datetime.now(UTC))
    ledger.reserve(Reservation("acme", "j2", AGENT, MODEL, period, 250_000, datetime.now(UTC)))
    body = make_app("status").get("/v1/usage", headers=bearer(tenant)).get_json()
    budget = body["plan"]["budget"]
    assert (budget["limit_usd"], budget["spent_usd"], budget["reserved_usd"], budget["remaining_usd"]) == (
        "2",
        "0.300000",
        "0.250000",
        "1.450000",
    )
    assert body["plan"]["active_jobs"] == {AGENT: 1} and "total" in body


def test_cancelling_a_pending_job_settles_its_reservation_at_once(make_app, directory, tenant, ledger):
    set_plan(
        directory, UsagePlan(budget=Budget(BudgetPeriod.DAY, Decimal(10)), default_limits=Limits(max_concurrent_jobs=3))
    )
    submitted = make_app("submit", AGENTJOBS_MODEL=MODEL).post(
        f"/v1/agents/{AGENT}/jobs", json=INPUT, headers=bearer(tenant)
    )
    assert submitted.status_code == 202
    period = period_key(BudgetPeriod.DAY, datetime.now(UTC))
    assert ledger.view("acme", period).totals.reserved > 0 and ledger.view("acme", period).active == {AGENT: 1}
    cancelled = make_app("status").post(f"/v1/jobs/{submitted.get_json()['job_id']}:cancel", headers=bearer(tenant))
    assert (cancelled.status_code, cancelled.get_json()["status"]) == (200, "cancelled")
    view = ledger.view("acme", period)  # settled at cost 0 (it never ran), not at the next sweep
    assert (view.totals.reserved, view.totals.spent, view.active.get(AGENT, 0)) == (0, 0, 0)
