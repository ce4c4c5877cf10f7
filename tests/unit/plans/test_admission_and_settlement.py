"""Admission and settlement over the in-memory ledger: refusals, no double reservation, soft limit once."""

from __future__ import annotations

import concurrent.futures as cf
from datetime import timedelta
from decimal import Decimal

import pytest

from common.costs.models import PriceOverride
from common.errors import TransientError
from common.jobs.models import JobStatus, ModelCall, Usage
from common.plans.admission import CONCURRENCY_RETRY_SECONDS, Admission
from common.plans.errors import BudgetExceeded, ConcurrencyLimited, ModelUnpriced, PlanInactive
from common.plans.limiter import RateLimiter
from common.plans.models import Budget, BudgetPeriod, Limits, UsagePlan
from common.plans.runtime import PlanRuntime
from common.plans.warnings import BUDGET_WARNING_EVENT, TaskBudgetWarnings
from common.tenants.models import Tenant
from tests.support.fakes import FakeClock, FakeTaskQueue, InMemoryTenantDirectory
from tests.support.plan_fakes import MemoryLedger, MemoryWindowCounter

AGENT = "criteria-evaluator"
MODEL = "ollama/llama3"
INPUT = {"criteria": [{"type": "inclusion", "text": "Age 18 or over"}], "patient_profile": ["A 40 year old."]}
# $1 per million tokens in and out: an INPUT job's worst case is a few thousand micro-dollars.
PRICE = (PriceOverride("ollama", "*", Decimal(1), Decimal(1)),)


def tenant(plan: UsagePlan | None) -> Tenant:
    return Tenant("acme", "Acme", FakeClock()(), price_overrides=PRICE, plan=plan)


@pytest.fixture
def ledger() -> MemoryLedger:
    return MemoryLedger()


@pytest.fixture
def admission(ledger: MemoryLedger) -> Admission:
    return Admission(ledger=ledger, clock=FakeClock())


def admit(admission: Admission, t: Tenant, job_id: str = "j1", model: str = MODEL):
    return admission.admit(t, job_id=job_id, agent=AGENT, model=model, job_input=INPUT)


def estimate_of(admission: Admission, t: Tenant) -> int:
    probe = MemoryLedger()
    r = Admission(ledger=probe, clock=FakeClock()).admit(t, job_id="probe", agent=AGENT, model=MODEL, job_input=INPUT)
    assert r is not None
    return r.estimate_micros


def test_no_plan_or_no_limits_writes_nothing(admission, ledger):
    assert admit(admission, tenant(None)) is None
    assert admit(admission, tenant(UsagePlan(default_limits=Limits(rpm=5)))) is None
    assert ledger.reservations == {}


def test_inactive_plan_is_403(admission):
    with pytest.raises(PlanInactive) as info:
        admit(admission, tenant(UsagePlan(active=False)))
    assert info.value.http_status == 403 and info.value.error_code == "plan_inactive"


def test_concurrency_limit_is_429_with_retry_after_and_frees_on_settlement(admission, ledger):
    t = tenant(UsagePlan(default_limits=Limits(max_concurrent_jobs=2)))
    admit(admission, t, "j1")
    admit(admission, t, "j2")
    with pytest.raises(ConcurrencyLimited) as info:
        admit(admission, t, "j3")
    assert info.value.http_status == 429 and isinstance(info.value, TransientError)
    assert info.value.details == {"limit": 2, "retry_after_seconds": CONCURRENCY_RETRY_SECONDS}
    assert ledger.view("acme", "").active == {AGENT: 2}  # the refused one was taken back
    ledger.settle("acme", "j1", 0, now=FakeClock()())
    admit(admission, t, "j3")


def test_budget_is_402_with_the_figures_and_when_it_resets(admission):
    t0 = tenant(UsagePlan(budget=Budget(BudgetPeriod.MONTH, Decimal(1))))
    estimate = estimate_of(admission, t0)
    limit = Decimal(estimate * 2 + estimate // 2) / 1_000_000  # room for two jobs, not three
    t = tenant(UsagePlan(budget=Budget(BudgetPeriod.MONTH, limit)))
    admit(admission, t, "j1")
    admit(admission, t, "j2")
    with pytest.raises(BudgetExceeded) as info:
        admit(admission, t, "j3")
    e = info.value
    assert e.http_status == 402 and e.error_code == "budget_exceeded"
    assert e.details["limit_usd"] == str(limit) and e.details["period"] == "month"
    assert Decimal(e.details["used_usd"]) * 1_000_000 == 2 * estimate
    assert e.details["resets_at"] == "2026-02-01T00:00:00+00:00"
    assert e.details["retry_after_seconds"] == 31 * 24 * 3600


def test_a_redelivered_job_never_reserves_twice(admission, ledger):
    t = tenant(UsagePlan(budget=Budget(BudgetPeriod.DAY, Decimal(100)), default_limits=Limits(max_concurrent_jobs=5)))
    first = admit(admission, t, "j1")
    again = admit(admission, t, "j1")
    assert first is not None and again is not None
    view = ledger.view("acme", first.period)
    assert view.totals.reserved == first.estimate_micros and view.active == {AGENT: 1}


def test_a_budget_with_an_unpriced_model_is_refused(admission):
    t = Tenant("acme", "Acme", FakeClock()(), plan=UsagePlan(budget=Budget(BudgetPeriod.DAY, Decimal(100))))
    with pytest.raises(ModelUnpriced):
        admit(admission, t)


def test_concurrent_admissions_never_reserve_past_the_budget(ledger):
    admission = Admission(ledger=ledger, clock=FakeClock())
    estimate = estimate_of(admission, tenant(UsagePlan(budget=Budget(BudgetPeriod.DAY, Decimal(1)))))
    limit_micros = 50 * estimate // 3
    t = tenant(UsagePlan(budget=Budget(BudgetPeriod.DAY, Decimal(limit_micros) / 1_000_000)))

    def one(i: int) -> bool:
        try:
            admit(admission, t, f"j{i}")
        except BudgetExceeded:
            return False
        return True

    with cf.ThreadPoolExecutor(16) as pool:
        admitted = sum(pool.map(one, range(50)))
    totals = ledger.view("acme", "day-2026-01-01").totals
    assert totals.reserved == admitted * estimate <= limit_micros
    assert admitted == limit_micros // estimate  # no false refusals without contention on a real store


class TestRuntime:
    @pytest.fixture
    def world(self, ledger):
        clock = FakeClock()
        directory = InMemoryTenantDirectory()
        queue = FakeTaskQueue()
        runtime = PlanRuntime(
            ledger=ledger,
            limiter=RateLimiter(MemoryWindowCounter()),
            tenant=directory.get,
            jobs_for=directory.jobs,
            clock=clock,
            warnings=TaskBudgetWarnings(queue),
        )
        return clock, directory, queue, runtime

    def job(self, directory, job_id: str, status: JobStatus, output_tokens: int):
        from common.jobs import lifecycle
        from common.jobs.models import Source

        job = lifecycle.new_job(
            job_id=job_id, tenant_id="acme", agent=AGENT, input=INPUT, source=Source.HTTPS, now=FakeClock()()
        )
        call = ModelCall("ollama", "llama3", None, FakeClock()(), input_tokens=0, output_tokens=output_tokens)
        job = job.replace(status=status, usage=Usage.of_calls((call,)))
        directory.jobs("acme").create(job)
        return job

    def test_settles_at_actual_cost_once_and_warns_once_per_period(self, world, ledger):
        clock, directory, queue, runtime = world
        admission = Admission(ledger=ledger, clock=clock)
        plan = UsagePlan(budget=Budget(BudgetPeriod.DAY, Decimal("1"), soft_limit_usd=Decimal("0.0025")))
        directory.create(tenant(plan), "h")
        t = directory.get("acme")
        r1 = admit(admission, t, "j1")
        r2 = admit(admission, t, "j2")
        assert r1 is not None and r2 is not None
        runtime.settle(self.job(directory, "j1", JobStatus.SUCCESS, output_tokens=2000))  # $0.002
        runtime.settle(self.job(directory, "j1b", JobStatus.SUCCESS, output_tokens=5))  # no reservation: no-op
        assert queue.tasks == {}
        job2 = self.job(directory, "j2", JobStatus.FAILED, output_tokens=1000)
        runtime.settle(job2)
        runtime.settle(job2)  # settled once
        totals = ledger.view("acme", r1.period).totals
        assert totals.spent == 3000 and totals.reserved == 0
        (payload,) = queue.tasks.values()
        assert payload["event"] == BUDGET_WARNING_EVENT and payload["spent_usd"] == "0.003000"

    def test_overrun_is_recorded(self, world, ledger):
        clock, directory, _, runtime = world
        directory.create(tenant(UsagePlan(budget=Budget(BudgetPeriod.DAY, Decimal(1)))), "h")
        r = admit(Admission(ledger=ledger, clock=clock), directory.get("acme"), "j1")
        assert r is not None
        runtime.settle(self.job(directory, "j1", JobStatus.SUCCESS, output_tokens=r.estimate_micros + 500))
        totals = ledger.view("acme", r.period).totals
        assert totals.overrun == 500 and totals.spent == r.estimate_micros + 500

    def test_a_retried_run_reserves_again_and_settles_its_own_round(self, world, ledger):
        # POST :retry runs the job again: a second run is a second spend, so it reserves and settles anew.
        from common.jobs import lifecycle

        clock, directory, _, runtime = world
        directory.create(tenant(UsagePlan(budget=Budget(BudgetPeriod.DAY, Decimal(1)))), "h")
        admission = Admission(ledger=ledger, clock=clock)
        t = directory.get("acme")
        first = admit(admission, t, "j1")
        assert first is not None
        failed = self.job(directory, "j1", JobStatus.FAILED, output_tokens=100)
        runtime.settle(failed)
        retried = lifecycle.retry(failed, now=clock(), max_attempts=5)
        again = admission.admit(t, job_id="j1", agent=AGENT, model=MODEL, job_input=INPUT, round_=retried.retries)
        assert again is not None and again.key == "j1.retry1"
        assert admission.admit(t, job_id="j1", agent=AGENT, model=MODEL, job_input=INPUT, round_=1) is not None
        assert ledger.view("acme", first.period).totals.reserved == again.estimate_micros  # once, not twice
        call = ModelCall("ollama", "llama3", None, clock(), input_tokens=0, output_tokens=40)
        runtime.settle(retried.replace(status=JobStatus.SUCCESS, usage=Usage.of_calls((call,))))
        totals = ledger.view("acme", first.period).totals
        assert (totals.reserved, totals.spent) == (0, 140)

    def test_sweep_settles_a_retry_round_that_never_ran_at_0_and_a_lost_round_at_its_estimate(self, world, ledger):
        clock, directory, _, runtime = world
        directory.create(tenant(UsagePlan(budget=Budget(BudgetPeriod.DAY, Decimal(1)))), "h")
        admission = Admission(ledger=ledger, clock=clock)
        t = directory.get("acme")
        never = admission.admit(t, job_id="j1", agent=AGENT, model=MODEL, job_input=INPUT, round_=1)
        lost = admit(admission, t, "j2")
        assert never is not None and lost is not None
        self.job(directory, "j1", JobStatus.FAILED, output_tokens=0)  # the retry's write never landed
        j2 = self.job(directory, "j2", JobStatus.RUNNING, output_tokens=0)
        directory.jobs("acme").update("j2", lambda j: j.replace(retries=1))
        assert j2.retries == 0
        clock.advance(600)
        assert runtime.sweep(older_than=clock() - timedelta(seconds=120)) == 2
        totals = ledger.view("acme", never.period).totals
        assert (totals.reserved, totals.spent) == (0, lost.estimate_micros)

    def test_sweep_settles_what_a_dead_worker_left_open(self, world, ledger):
        clock, directory, _, runtime = world
        directory.create(tenant(UsagePlan(budget=Budget(BudgetPeriod.DAY, Decimal(1)))), "h")
        admission = Admission(ledger=ledger, clock=clock)
        t = directory.get("acme")
        r_gone = admit(admission, t, "never-created")
        admit(admission, t, "ended")
        admit(admission, t, "still-running")
        assert r_gone is not None
        self.job(directory, "ended", JobStatus.SUCCESS, output_tokens=10)
        self.job(directory, "still-running", JobStatus.RUNNING, output_tokens=0)
        clock.advance(600)
        assert runtime.sweep(older_than=clock() - timedelta(seconds=120)) == 2
        totals = ledger.view("acme", r_gone.period).totals
        assert totals.reserved == r_gone.estimate_micros and totals.spent == 10
