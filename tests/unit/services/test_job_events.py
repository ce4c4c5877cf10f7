"""Job events written by a run, and their fan-out to the job events topic."""

from __future__ import annotations

import time
from collections.abc import Sequence

from common.errors import TransientError
from common.events.models import EventType, JobEvent
from common.jobs import lifecycle
from common.jobs.models import Job, Source
from common.services.job_events import JobEventFanout
from common.tenants.models import Tenant
from tests.unit.services.test_intake_and_execution import job_of


class RecordingPublisher:
    def __init__(self, fail: bool = False):
        self.sent: list[tuple[str, int, str]] = []
        self.fail = fail

    def publish_event(self, job: Job, event: JobEvent) -> str:
        if self.fail:
            raise TransientError("down", code="backend_unavailable")
        self.sent.append((job.job_id, event.seq, event.type.value))
        return str(len(self.sent))


def test_a_run_stores_created_running_its_stages_and_the_outcome_with_the_outcome_write(world):
    event = world.drop("acme", "echo", b"ok")
    world.runner().handle(event)
    job = job_of(world, event)
    store = world.tenants.jobs("acme")
    types = [e.type.value for e in store.events(job.job_id)]
    assert types == [
        "created",
        "running",
        "stage_started",
        "stage_finished",
        "stage_started",
        "stage_finished",
        "judged",
        "succeeded",
    ]  # fmt: skip  (download, then echo)
    assert job.event_seq == len(types)


def test_a_heartbeat_carries_the_stages_that_ended_since_the_last_write(world):
    event = world.drop("acme", "echo", b"hook")
    store = world.tenants.jobs("acme")
    seen: list[list[str]] = []

    def wait_for_a_heartbeat():
        job_id = next(iter(store._jobs))
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and len(store.events(job_id)) < 4:
            time.sleep(0.01)
        seen.append([e.type.value for e in store.events(job_id)])

    world.echo.during_run = wait_for_a_heartbeat
    world.runner(heartbeat_seconds=0.02).handle(event)
    assert seen == [["created", "running", "stage_started", "stage_finished"]], "the download stage, by heartbeat"
    job = job_of(world, event)
    assert [e.seq for e in store.events(job.job_id)] == list(range(1, job.event_seq + 1))


def fanout(tenant: Tenant | None, publisher: RecordingPublisher) -> JobEventFanout:
    return JobEventFanout(publisher=lambda: publisher, tenant=lambda _: tenant)


def events(*types: EventType) -> Sequence[JobEvent]:
    from datetime import UTC, datetime

    return [JobEvent(i, t, datetime.now(UTC)) for i, t in enumerate(types, start=1)]


def test_outcomes_always_go_out_and_the_rest_only_for_tenants_that_opted_in(world):
    job = lifecycle.new_job(
        job_id="job_x", tenant_id="acme", agent="echo", input={}, source=Source.HTTPS, now=world.clock()
    )
    all_types = events(EventType.CREATED, EventType.RUNNING, EventType.SUCCEEDED)
    quiet = RecordingPublisher()
    fanout(Tenant("acme", "Acme", world.clock()), quiet).committed(job, all_types)
    assert quiet.sent == [("job_x", 3, "succeeded")]
    loud = RecordingPublisher()
    fanout(Tenant("acme", "Acme", world.clock(), publish_stage_events=True), loud).committed(job, all_types)
    assert [s[1] for s in loud.sent] == [1, 2, 3]


def test_a_failed_publish_never_fails_the_write_it_follows(world):
    store = world.tenants.jobs("acme")
    down = RecordingPublisher(fail=True)
    store.sink = fanout(None, down).committed
    event = world.drop("acme", "echo", b"ok")
    world.runner().handle(event)
    assert job_of(world, event).status.value == "success"
