"""Job events: derivation from transitions, the allow-list, SSE framing and the event stream."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from common.events.derive import judged_event, stage_events, transition_events
from common.events.models import FIELDS, EventType, JobEvent, numbered
from common.events.sse import KEEP_ALIVE, event_frame
from common.jobs import lifecycle
from common.jobs.models import JobError, JobStatus, Source
from common.services.event_stream import EventStreamService, InvalidLastEventId, parse_last_event_id
from common.services.status import JobNotFound
from common.tenants.models import Tenant
from tests.support.fakes import InMemoryTenantDirectory

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def new(job_id: str = "job_aaaaaaaaaaaaaaaaaaaaaaaaaa"):
    return lifecycle.new_job(job_id=job_id, tenant_id="acme", agent="echo", input={}, source=Source.HTTPS, now=NOW)


def test_the_lifecycle_implies_created_running_and_the_outcome_and_nothing_else():
    job = new()
    assert [e.type for e in transition_events(None, job)] == [EventType.CREATED]
    running = lifecycle.claim(job, token="t", now=NOW, lease_seconds=30, max_attempts=3)
    [claimed] = transition_events(job, running)
    assert (claimed.type, claimed.attempt) == (EventType.RUNNING, 1)
    renewed = lifecycle.renew(running, token="t", now=NOW, lease_seconds=30)
    assert transition_events(running, renewed) == []
    failed = lifecycle.fail(running, token="t", now=NOW, error=JobError("no_text_layer", "secret words"))
    [outcome] = transition_events(running, failed)
    assert outcome.type is EventType.FAILED and outcome.fields() == {"code": "no_text_layer"}
    assert "secret" not in str(outcome.to_json(job.job_id))
    retried = lifecycle.retry(failed, now=NOW, max_attempts=3)
    assert transition_events(failed, retried) == []
    assert transition_events(running, lifecycle.cancel(running, now=NOW)) == []  # requested: the attempt ends it


def test_a_takeover_is_a_new_running_event_and_seqs_follow_on():
    job = lifecycle.claim(new(), token="a", now=NOW, lease_seconds=30, max_attempts=3)
    later = NOW + timedelta(minutes=5)
    taken = lifecycle.claim(job, token="b", now=later, lease_seconds=30, max_attempts=3)
    [event] = numbered(transition_events(job, taken), after=7)
    assert (event.seq, event.type, event.attempt) == (8, EventType.RUNNING, 2)


def test_each_type_carries_only_its_allow_listed_fields():
    event = JobEvent(3, EventType.STAGE_FINISHED, NOW, name="extract_text", duration_s=0.5, model="x", code="y")
    assert event.to_json("j") == {
        "job_id": "j", "seq": 3, "type": "stage_finished", "at": NOW.isoformat(), "name": "extract_text",
        "duration_s": 0.5,
    }  # fmt: skip
    assert JobEvent.from_doc(event.to_doc()) == JobEvent(
        3, EventType.STAGE_FINISHED, NOW, name="extract_text", duration_s=0.5
    )
    assert set(FIELDS) == set(EventType)
    started, finished = stage_events("download", 2.0, ended_at=NOW)
    assert started.at == NOW - timedelta(seconds=2) and finished.duration_s == 2.0
    assert judged_event((), None, at=NOW) is None


def test_an_sse_frame_is_id_event_and_one_line_of_json():
    frame = event_frame("j", JobEvent(4, EventType.SUCCEEDED, NOW))
    assert (
        frame
        == f'id: 4\nevent: succeeded\ndata: {{"job_id":"j","seq":4,"type":"succeeded","at":"{NOW.isoformat()}"}}\n\n'
    )
    assert KEEP_ALIVE.startswith(":")


@pytest.mark.parametrize(
    ("header", "query", "expected"), [(None, None, 0), ("5", None, 5), ("", "7", 7), ("3", "9", 3)]
)
def test_last_event_id_comes_from_the_header_else_the_query(header, query, expected):
    assert parse_last_event_id(header, query) == expected


@pytest.mark.parametrize("bad", ["-1", "x", "1.5", "²", "99999999999", " "])
def test_a_malformed_last_event_id_is_a_400(bad):
    with pytest.raises(InvalidLastEventId):
        parse_last_event_id(bad, None)


class Ticks:
    """A clock that advances by each sleep."""

    def __init__(self):
        self.now = 0.0
        self.on_sleep: list = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        if self.on_sleep:
            self.on_sleep.pop(0)()


def world():
    directory = InMemoryTenantDirectory()
    directory.create(Tenant("acme", "Acme", NOW), "h")
    directory.create(Tenant("other", "Other", NOW), "h2")
    return directory, directory.jobs("acme")


def test_the_stream_sends_events_as_they_come_keeps_alive_and_closes_after_the_outcome():
    directory, store = world()
    job, _ = store.create(new())
    ticks = Ticks()
    running = store.update(
        job.job_id, lambda j: lifecycle.claim(j, token="t", now=NOW, lease_seconds=30, max_attempts=3)
    )
    finish = lambda: store.update(  # noqa: E731
        job.job_id,
        lambda j: lifecycle.complete(j, token="t", now=NOW, result={}),
        events=stage_events("x", 1, ended_at=NOW),
    )
    ticks.on_sleep = [lambda: None] * 3 + [finish]
    service = EventStreamService(
        directory, poll_seconds=1, keepalive_seconds=2, max_seconds=60, monotonic=ticks, sleep=ticks.sleep
    )
    frames = list(service.open("acme", job.job_id, after=0))
    ids = [int(f.split("\n")[0][4:]) for f in frames if f.startswith("id: ")]
    assert ids == [1, 2, 3, 4, 5] and frames[-1].startswith("id: 5\nevent: succeeded")
    assert KEEP_ALIVE in frames and running.event_seq == 2


def test_the_stream_resumes_exactly_after_last_event_id_and_ends_with_retry_at_its_maximum():
    directory, store = world()
    job, _ = store.create(new())
    store.update(job.job_id, lambda j: lifecycle.claim(j, token="t", now=NOW, lease_seconds=30, max_attempts=3))
    ticks = Ticks()
    service = EventStreamService(
        directory, poll_seconds=1, keepalive_seconds=100, max_seconds=5, monotonic=ticks, sleep=ticks.sleep
    )
    frames = list(service.open("acme", job.job_id, after=1))
    assert [f.split("\n")[0] for f in frames if f.startswith("id: ")] == ["id: 2"]
    assert frames[-1].startswith("retry: ") and ticks.now >= 5


def test_a_finished_job_resumed_after_its_last_event_ends_at_once_and_a_foreign_job_is_404():
    directory, store = world()
    job, _ = store.create(new())
    done = store.update(job.job_id, lambda j: lifecycle.cancel(j, now=NOW))
    assert done.status is JobStatus.CANCELLED
    service = EventStreamService(directory, sleep=lambda s: pytest.fail("must not wait"))
    assert [f for f in service.open("acme", job.job_id, after=done.event_seq) if f.startswith("id:")] == []
    with pytest.raises(JobNotFound):
        service.open("other", job.job_id, after=0)
    with pytest.raises(JobNotFound):
        service.open("acme", "../x", after=0)


def test_every_last_event_id_the_openapi_document_allows_is_accepted():
    # Found by schemathesis: the document allowed 10 digits while the server refused values over 10^9.
    import re

    from common.api.openapi import openapi_document

    parameters = openapi_document("http://localhost")["paths"]["/v1/jobs/{job_id}/events"]["get"]["parameters"]
    patterns = {p["name"]: p["schema"]["pattern"] for p in parameters if p["name"] != "job_id"}
    assert set(patterns) == {"Last-Event-ID", "last_event_id"}
    for pattern in patterns.values():
        assert re.fullmatch(pattern.strip("^$"), "999999999")
        assert parse_last_event_id("999999999", None) == 999_999_999
        assert not re.fullmatch(pattern.strip("^$"), "1000000000")
    with pytest.raises(InvalidLastEventId):
        parse_last_event_id("1000000000", None)
