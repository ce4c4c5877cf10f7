"""The run_agent service over in-memory fakes: lifecycle, idempotency, error mapping, offloading."""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import BaseModel

from common.agents.base import AgentContext, AgentResult
from common.agents.registry import UnknownAgent
from common.config import Settings
from common.errors import PermanentError, TransientError
from common.jobs.ids import gcs_job_id
from common.jobs.models import JobStatus, Source
from common.messaging.deliveries import Ignored, JobQueued, JobRequest, ObjectFinalized, Rejected
from common.services.callbacks import CallbackScheduler
from common.services.runner import JobBusy, JobRunner
from common.tenants.models import Tenant
from tests.support.fakes import (
    FakeClock,
    FakeTaskQueue,
    InMemoryBlobStore,
    InMemoryBucket,
    InMemoryTenantDirectory,
    RecordingRejectionLog,
)

BUCKET = "bkt"


class EchoInput(BaseModel):
    file_uri: str | None = None
    generation: int | None = None
    behaviour: Literal["ok", "permanent", "transient", "crash", "big"] = "ok"


class EchoOutput(BaseModel):
    size: int
    payload: str = ""


class EchoAgent:
    name = "echo"
    input_model = EchoInput
    output_model = EchoOutput

    def __init__(self):
        self.runs = 0

    def input_from_file(self, file_uri, generation) -> dict[str, object] | None:
        return {"file_uri": file_uri, "generation": int(generation)}

    def run(self, payload, ctx: AgentContext) -> AgentResult:
        self.runs += 1
        assert isinstance(payload, EchoInput)
        data = ctx.read_document(payload.file_uri, generation=payload.generation) if payload.file_uri else b""
        ctx.record_stage("echo", 0.01)
        if data.startswith(b"permanent") or payload.behaviour == "permanent":
            raise PermanentError("bad document", code="invalid_document")
        if data.startswith(b"transient") or payload.behaviour == "transient":
            raise TransientError("later", code="backend_unavailable")
        if data.startswith(b"crash") or payload.behaviour == "crash":
            raise ZeroDivisionError("boom")
        big = data.startswith(b"big") or payload.behaviour == "big"
        return AgentResult(EchoOutput(size=len(data), payload="x" * 5000 if big else ""))


class NoFilesAgent(EchoAgent):
    def input_from_file(self, file_uri, generation) -> dict[str, object] | None:
        return None


@pytest.fixture
def world():
    class World:
        clock = FakeClock()
        tenants = InMemoryTenantDirectory()
        bucket = InMemoryBucket()
        rejections = RecordingRejectionLog()
        queue = FakeTaskQueue()
        echo = EchoAgent()
        agents = {"echo": echo, "nofiles": NoFilesAgent()}

        def agent(self, name):
            if name not in self.agents:
                raise UnknownAgent("unknown agent")
            return self.agents[name]

        def runner(self, **settings):
            return JobRunner(
                settings=Settings(
                    bucket=BUCKET, inline_result_bytes=1000, max_attempts=3, lease_seconds=60, **settings
                ),
                tenants=self.tenants,
                blobs_for=lambda t: InMemoryBlobStore(BUCKET, t, self.bucket),
                rejections=self.rejections,
                clock=self.clock,
                callbacks=CallbackScheduler(queue=self.queue, tenants=self.tenants),
                agents=self.agent,
            )

        def drop(self, tenant: str, agent: str, data: bytes, name: str = "doc.pdf") -> ObjectFinalized:
            object_name = f"tenants/{tenant}/inbox/{agent}/{name}"
            generation = self.bucket.put(object_name, data)
            return ObjectFinalized(BUCKET, object_name, str(generation), len(data), "application/pdf", "ev")

    w = World()
    w.tenants.create(Tenant("acme", "Acme", w.clock(), "whsec_x", webhook_url="https://hooks.example.com/x"), "h1")
    w.tenants.create(Tenant("other", "Other", w.clock(), "whsec_y"), "h2")
    return w


def test_drop_creates_a_job_runs_it_and_stores_the_result(world):
    event = world.drop("acme", "echo", b"hello")
    outcome = world.runner().handle(event)
    job_id = gcs_job_id(BUCKET, event.name, event.generation)
    assert (outcome.kind, outcome.job_id, outcome.status) == ("ran", job_id, "success")
    job = world.tenants.jobs("acme").get(job_id)
    assert job.status is JobStatus.SUCCESS and job.attempts == 1
    assert job.result == {"size": 5, "payload": ""}
    assert {"download", "echo", "run", "queued"} <= set(job.timings)
    assert job.started_at and job.finished_at


def test_redelivered_drop_runs_nothing_again(world):
    event = world.drop("acme", "echo", b"hello")
    runner = world.runner()
    runner.handle(event)
    again = runner.handle(event)
    assert again.kind == "already_finished"
    assert world.echo.runs == 1
    assert len(world.tenants.jobs("acme").list()) == 1


def test_permanent_error_fails_the_job_and_acks(world):
    event = world.drop("acme", "echo", b"permanent")
    outcome = world.runner().handle(event)
    assert (outcome.kind, outcome.status, outcome.code) == ("ran", "failed", "invalid_document")
    job = world.tenants.jobs("acme").get(outcome.job_id)
    assert job.error.code == "invalid_document"


def test_unexpected_agent_exception_fails_the_job_instead_of_looping(world):
    outcome = world.runner().handle(world.drop("acme", "echo", b"crash"))
    assert (outcome.status, outcome.code) == ("failed", "agent_error")


def test_transient_error_releases_the_job_and_asks_for_redelivery(world):
    event = world.drop("acme", "echo", b"transient")
    runner = world.runner()
    with pytest.raises(TransientError):
        runner.handle(event)
    job = world.tenants.jobs("acme").get(gcs_job_id(BUCKET, event.name, event.generation))
    assert job.status is JobStatus.PENDING and job.attempts == 1
    assert job.error.code == "backend_unavailable"


def test_storage_outage_is_transient_and_then_recovers(world):
    event = world.drop("acme", "echo", b"hello")
    world.bucket.unavailable = True
    runner = world.runner()
    with pytest.raises(TransientError):
        runner.handle(event)
    world.bucket.unavailable = False
    assert runner.handle(event).status == "success"
    assert world.tenants.jobs("acme").get(gcs_job_id(BUCKET, event.name, event.generation)).attempts == 2


def test_attempts_are_bounded(world):
    event = world.drop("acme", "echo", b"transient")
    runner = world.runner()
    for _ in range(3):
        with pytest.raises(TransientError):
            runner.handle(event)
    outcome = runner.handle(event)
    assert (outcome.status, outcome.code) == ("failed", "attempts_exhausted")
    assert runner.handle(event).kind == "already_finished"


def test_busy_job_is_redelivered_later_and_a_dead_workers_lease_is_taken_over(world):
    event = world.drop("acme", "echo", b"hello")
    job_id = gcs_job_id(BUCKET, event.name, event.generation)
    from common.jobs import lifecycle

    runner = world.runner()
    runner.handle(Ignored("x", "y"))
    store = world.tenants.jobs("acme")
    store.create(
        lifecycle.new_job(
            job_id=job_id,
            tenant_id="acme",
            agent="echo",
            input={"file_uri": f"gs://{BUCKET}/{event.name}", "generation": int(event.generation)},
            source=Source.GCS,
            now=world.clock(),
        )
    )
    store.update(
        job_id,
        lambda j: lifecycle.claim(j, token="dead", now=world.clock(), lease_seconds=60, max_attempts=3),
    )
    with pytest.raises(JobBusy) as info:
        runner.handle(event)
    assert info.value.http_status == 429
    world.clock.advance(61)
    assert runner.handle(event).status == "success"
    assert store.get(job_id).attempts == 2


def test_large_results_are_offloaded_to_the_tenant_prefix(world):
    outcome = world.runner().handle(world.drop("acme", "echo", b"big"))
    job = world.tenants.jobs("acme").get(outcome.job_id)
    assert job.result is None
    assert job.result_ref == f"gs://{BUCKET}/tenants/acme/results/{outcome.job_id}.json"
    assert f"tenants/acme/results/{outcome.job_id}.json" in world.bucket.objects


def test_objects_outside_inboxes_are_ignored(world):
    event = ObjectFinalized(BUCKET, "tenants/acme/results/job_x.json", "5", 10, "application/json", "ev")
    assert world.runner().handle(event).kind == "ignored"
    assert world.tenants.jobs("acme").list() == []


def test_unknown_tenant_is_recorded_without_a_job(world):
    outcome = world.runner().handle(world.drop("ghost", "echo", b"x"))
    assert (outcome.kind, outcome.code) == ("rejected", "unknown_tenant")
    assert world.rejections.records[0]["code"] == "unknown_tenant"


def test_unknown_agent_in_the_path_leaves_a_failed_job_the_tenant_can_see(world):
    outcome = world.runner().handle(world.drop("acme", "nope", b"x"))
    assert (outcome.kind, outcome.status, outcome.code) == ("rejected", "failed", "unknown_agent")
    [job] = world.tenants.jobs("acme").list()
    assert job.status is JobStatus.FAILED and job.agent == "nope"


def test_agent_that_takes_no_files(world):
    outcome = world.runner().handle(world.drop("acme", "nofiles", b"x"))
    assert outcome.code == "files_not_accepted"


def test_replaced_generation_fails_clearly(world):
    event = world.drop("acme", "echo", b"first")
    world.bucket.put(event.name, b"second")
    outcome = world.runner().handle(event)
    assert (outcome.status, outcome.code) == ("failed", "object_not_found")


def test_job_queued_for_a_missing_job_is_recorded(world):
    outcome = world.runner().handle(JobQueued("acme", "job_missing", "m1"))
    assert outcome.code == "job_not_found"


def test_rejected_deliveries_are_recorded(world):
    outcome = world.runner().handle(Rejected("m9", "malformed_message", "bad", "acme"))
    assert outcome.kind == "rejected"
    assert world.rejections.records == [
        {"message_id": "m9", "code": "malformed_message", "reason": "bad", "tenant_id": "acme"}
    ]


def test_finished_jobs_schedule_one_callback_to_the_tenant_default(world):
    event = world.drop("acme", "echo", b"hello")
    runner = world.runner()
    runner.handle(event)
    runner.handle(event)
    assert len(world.queue.tasks) == 1
    [payload] = world.queue.tasks.values()
    assert payload["event"] == "job.completed" and payload["tenant_id"] == "acme"


def test_no_callback_without_a_url(world):
    world.runner().handle(world.drop("other", "echo", b"hello"))
    assert world.queue.tasks == {}


def test_upstream_request_creates_the_job_idempotently(world):
    request = JobRequest(
        tenant_id="acme", agent="echo", input={"behaviour": "ok"}, message_id="m1", idempotency_key="k"
    )
    runner = world.runner()
    first = runner.handle(request)
    redelivered = runner.handle(
        JobRequest(tenant_id="acme", agent="echo", input={"behaviour": "ok"}, message_id="m2", idempotency_key="k")
    )
    assert first.status == "success" and redelivered.kind == "already_finished"
    assert first.job_id == redelivered.job_id
    assert world.echo.runs == 1


def test_upstream_request_without_key_is_keyed_on_the_message_id(world):
    runner = world.runner()
    a = runner.handle(JobRequest(tenant_id="acme", agent="echo", input={}, message_id="m1"))
    b = runner.handle(JobRequest(tenant_id="acme", agent="echo", input={}, message_id="m1"))
    c = runner.handle(JobRequest(tenant_id="acme", agent="echo", input={}, message_id="m2"))
    assert a.job_id == b.job_id != c.job_id


def test_upstream_request_with_invalid_input_is_recorded_as_a_failed_job(world):
    outcome = world.runner().handle(
        JobRequest(tenant_id="acme", agent="echo", input={"behaviour": "fly"}, message_id="m1")
    )
    assert (outcome.kind, outcome.code) == ("rejected", "invalid_input")
    job = world.tenants.jobs("acme").get(outcome.job_id)
    assert job.status is JobStatus.FAILED
    assert "fly" not in job.error.message  # input values may be patient data


def test_upstream_request_for_unknown_tenant_or_model_not_allowed(world):
    runner = world.runner()
    assert (
        runner.handle(JobRequest(tenant_id="ghost", agent="echo", input={}, message_id="m1")).code == "unknown_tenant"
    )
    outcome = runner.handle(JobRequest(tenant_id="acme", agent="echo", input={}, message_id="m2", model="openai/gpt-x"))
    assert outcome.code == "model_not_allowed"


def test_upstream_request_with_private_callback_is_refused(world):
    outcome = world.runner().handle(
        JobRequest(tenant_id="acme", agent="echo", input={}, message_id="m1", callback_url="http://169.254.169.254/")
    )
    assert outcome.code == "callback_url_refused"


def test_tenants_cannot_reach_each_others_files(world):
    world.bucket.put("tenants/other/inbox/echo/secret.pdf", b"secret")
    request = JobRequest(
        tenant_id="acme",
        agent="echo",
        input={"file_uri": f"gs://{BUCKET}/tenants/other/inbox/echo/secret.pdf"},
        message_id="m1",
    )
    outcome = world.runner().handle(request)
    assert (outcome.status, outcome.code) == ("failed", "outside_tenant_prefix")
