"""A small world of in-memory fakes for the run_agent services: intake, execution, sweeper."""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import BaseModel

from common.agents.base import AgentContext, AgentResult
from common.agents.registry import UnknownAgent
from common.config import Settings
from common.errors import PermanentError, TransientError
from common.messaging.deliveries import ObjectFinalized
from common.services.callbacks import CallbackScheduler
from common.services.execution import JobExecutor
from common.services.intake import DeliveryIntake
from common.services.sweeper import Sweeper
from common.tenants.models import Tenant
from tests.support.fakes import (
    FakeClock,
    FakePublisher,
    FakeTaskQueue,
    InMemoryBlobStore,
    InMemoryBucket,
    InMemoryJobSweep,
    InMemoryTenantDirectory,
    RecordingRejectionLog,
)

BUCKET = "bkt"


class EchoInput(BaseModel):
    file_uri: str | None = None
    generation: int | None = None
    behaviour: Literal["ok", "permanent", "billed", "transient", "crash", "big", "surrogate", "slow", "hook"] = "ok"


class EchoOutput(BaseModel):
    size: int
    payload: str = ""


class EchoAgent:
    name = "echo"
    input_model = EchoInput
    output_model = EchoOutput

    def __init__(self):
        self.runs = 0
        self.during_run = None  # a callable run inside the agent, to stage races

    def input_from_file(self, file_uri, generation) -> dict[str, object] | None:
        return {"file_uri": file_uri, "generation": int(generation)}

    def run(self, payload, ctx: AgentContext) -> AgentResult:
        self.runs += 1
        assert isinstance(payload, EchoInput)
        data = ctx.read_document(payload.file_uri, generation=payload.generation) if payload.file_uri else b""
        behaviour = payload.behaviour if payload.behaviour != "ok" else data.split(b":")[0].decode() or "ok"
        if behaviour == "hook" and self.during_run is not None:
            self.during_run()
        ctx.record_stage("echo", 0.01)
        if behaviour == "permanent":
            raise PermanentError("bad document", code="invalid_document")
        if behaviour == "billed":  # two model calls made, then the output never validated
            from datetime import UTC, datetime

            from common.jobs.models import ModelCall
            from common.llm.recording import record

            for _ in range(2):
                record(ModelCall("openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", datetime.now(UTC), 1000, 100))
            raise PermanentError("invalid twice", code="model_output_invalid")
        if behaviour == "transient":
            raise TransientError("later", code="backend_unavailable")
        if behaviour == "crash":
            raise ZeroDivisionError("boom")
        if behaviour == "surrogate":
            return AgentResult(EchoOutput(size=len(data), payload="a\ud800b"))
        return AgentResult(EchoOutput(size=len(data), payload="x" * 5000 if behaviour == "big" else ""))


class NoFilesAgent(EchoAgent):
    def input_from_file(self, file_uri, generation) -> dict[str, object] | None:
        return None


class World:
    def __init__(self):
        self.clock = FakeClock()
        self.tenants = InMemoryTenantDirectory()
        self.bucket = InMemoryBucket()
        self.rejections = RecordingRejectionLog()
        self.queue = FakeTaskQueue()
        self.publisher = FakePublisher()
        self.echo = EchoAgent()
        self.agents = {"echo": self.echo, "nofiles": NoFilesAgent()}
        self.tenants.create(Tenant("acme", "Acme", self.clock(), webhook_url="https://hooks.example.com/x"), "h1")
        self.tenants.create(Tenant("other", "Other", self.clock()), "h2")

    def agent(self, name):
        if name not in self.agents:
            raise UnknownAgent("unknown agent")
        return self.agents[name]

    def settings(self, **overrides) -> Settings:
        values = {
            "bucket": BUCKET,
            "inline_result_bytes": 1000,
            "max_attempts": 3,
            "lease_seconds": 30,
            "heartbeat_seconds": 3600,
        }
        return Settings(**(values | overrides))

    def callbacks(self) -> CallbackScheduler:
        return CallbackScheduler(queue=self.queue)

    def executor(self, **settings) -> JobExecutor:
        return JobExecutor(
            settings=self.settings(**settings),
            blobs_for=lambda t: InMemoryBlobStore(BUCKET, t, self.bucket),
            clock=self.clock,
            callbacks=self.callbacks(),
            agents=self.agent,
        )

    def sweeper(self, **settings) -> Sweeper:
        return Sweeper(
            settings=self.settings(**settings),
            sweep=InMemoryJobSweep(self.tenants),
            publisher=self.publisher,
            callbacks=self.callbacks(),
            clock=self.clock,
        )

    def runner(self, **settings) -> DeliveryIntake:
        return DeliveryIntake(
            settings=self.settings(**settings),
            tenants=self.tenants,
            executor=self.executor(**settings),
            rejections=self.rejections,
            clock=self.clock,
            callbacks=self.callbacks(),
            sweeper=lambda: self.sweeper(**settings),
            agents=self.agent,
        )

    def drop(self, tenant: str, agent: str, data: bytes, name: str = "doc.pdf", bucket: str = BUCKET):
        object_name = f"tenants/{tenant}/inbox/{agent}/{name}"
        generation = self.bucket.put(object_name, data)
        return ObjectFinalized(bucket, object_name, generation, len(data), "application/pdf", "ev")


@pytest.fixture
def world() -> World:
    return World()
