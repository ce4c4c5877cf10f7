"""The executor prices a finished job's calls, with the tenant's overrides, and the store counts it once."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel

from common.agents.base import AgentContext, AgentResult
from common.costs import PriceOverride
from common.jobs.models import ModelCall, Usage
from common.messaging.deliveries import JobRequest
from common.services.execution import JobExecutor
from common.services.intake import DeliveryIntake
from tests.support.fakes import InMemoryBlobStore
from tests.unit.services.conftest import BUCKET


class Input(BaseModel):
    model: str = "openai/gpt-4o-mini"


class Output(BaseModel):
    ok: bool = True


class CallingAgent:
    """Reports one model call of the model its input names (as a real agent's usage would)."""

    name = "calling"
    input_model = Input
    output_model = Output

    def __init__(self, clock):
        self.clock = clock

    def input_from_file(self, file_uri, generation):
        return None

    def run(self, payload, ctx: AgentContext) -> AgentResult:
        provider, _, model = payload.model.partition("/")
        call = ModelCall(provider, model, f"{model}-2024-07-18", self.clock(), 1000, 500, cache_read_tokens=400)
        return AgentResult(Output(), model=payload.model, usage=Usage.of_calls((call,)))


def runner(world, prices_for):
    agent = CallingAgent(world.clock)
    executor = JobExecutor(
        settings=world.settings(),
        blobs_for=lambda t: InMemoryBlobStore(BUCKET, t, world.bucket),
        clock=world.clock,
        agents=lambda name: agent,
        prices_for=prices_for,
    )
    return DeliveryIntake(
        settings=world.settings(),
        tenants=world.tenants,
        executor=executor,
        rejections=world.rejections,
        clock=world.clock,
        agents=lambda name: agent,
    )


def request(model: str, message_id: str = "m1") -> JobRequest:
    return JobRequest("acme", "calling", {"model": model}, message_id)


def test_a_finished_job_is_priced_with_list_prices_and_counted_once_under_redelivery(world):
    run = runner(world, prices_for=lambda tenant_id: ())
    first = run.handle(request("openai/gpt-4o-mini"))
    again = run.handle(request("openai/gpt-4o-mini"))
    assert (first.status, again.kind) == ("success", "already_finished")
    job = world.tenants.jobs("acme").get(first.job_id)
    # 600 uncached x $0.15 + 400 cached x $0.075 + 500 output x $0.60, per MTok.
    assert job.cost.total_usd == Decimal("0.00042") and job.cost.price_source.startswith("genai-prices==")
    [day] = world.tenants.usage_by_tenant["acme"].values()
    assert (day.total.jobs, day.total.calls, day.total.cost_nano_usd) == (1, 1, 420_000)
    assert day.models == {"openai/gpt-4o-mini": day.total} and day.agents == {"calling": day.total}


def test_the_tenants_overrides_apply_and_a_failing_lookup_leaves_the_job_unpriced_not_free(world):
    asked = []

    def prices_for(tenant_id):
        asked.append(tenant_id)
        return (PriceOverride("ollama", "*", Decimal(1), Decimal(2)),)

    job_id = runner(world, prices_for).handle(request("ollama/llama3.1:8b")).job_id
    job = world.tenants.jobs("acme").get(job_id)
    assert asked == ["acme"]
    assert job.cost.price_source == "tenant-override" and job.cost.total_usd == Decimal("0.002")

    def broken(tenant_id):
        raise RuntimeError("tenant store bug")

    unpriced_id = runner(world, broken).handle(request("ollama/llama3.1:8b", "m2")).job_id
    unpriced = world.tenants.jobs("acme").get(unpriced_id)
    assert unpriced.status.value == "success" and unpriced.cost is None and unpriced.usage.calls == 1
    [day] = world.tenants.usage_by_tenant["acme"].values()
    assert (day.total.jobs, day.total.priced_calls, day.total.unpriced_calls) == (2, 1, 1)
    assert day.total.cost_nano_usd == 2_000_000
