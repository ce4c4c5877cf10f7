"""job_updates: one snapshot per change, retries what may pass, stops at the end or the timeout."""

from __future__ import annotations

from typing import Any

import pytest

from common.mcp.api import ApiError
from common.mcp.follow import job_updates

JOB = "job_" + "a" * 26


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class ScriptedApi:
    """Answers get_job from a script: a job dict, or an ApiError to raise."""

    def __init__(self, script: list[dict[str, Any] | ApiError]) -> None:
        self.script = script
        self.calls = 0

    def get_job(self, job_id: str) -> dict[str, Any]:
        step = self.script[min(self.calls, len(self.script) - 1)]
        self.calls += 1
        if isinstance(step, ApiError):
            raise step
        return step


def job(status: str, attempts: int = 1) -> dict[str, Any]:
    return {"job_id": JOB, "status": status, "attempts": attempts}


def follow(script: list[dict[str, Any] | ApiError], timeout_s: float = 60) -> tuple[list[dict[str, Any]], ScriptedApi]:
    api, clock = ScriptedApi(script), Clock()
    seen = list(job_updates(api, JOB, timeout_s=timeout_s, interval_s=1, clock=clock, sleep=clock.sleep))  # type: ignore[arg-type]
    return seen, api


def test_one_snapshot_per_status_or_attempt_change_ending_with_the_terminal_one():
    seen, api = follow(
        [
            job("pending"),
            job("pending"),
            job("running"),
            job("running"),
            job("pending", 1),
            job("running", 2),
            job("success", 2),
        ]
    )
    assert [(s["status"], s["attempts"]) for s in seen] == [
        ("pending", 1),
        ("running", 1),
        ("pending", 1),
        ("running", 2),
        ("success", 2),
    ]
    assert api.calls == 7


def test_not_found_is_retried_during_the_grace_then_raised():
    seen, _ = follow([ApiError(404, "job_not_found", "no such job"), job("success")])
    assert [s["status"] for s in seen] == ["success"]
    with pytest.raises(ApiError) as raised:
        follow([ApiError(404, "job_not_found", "no such job")])
    assert raised.value.code == "job_not_found"


def test_unavailable_and_rate_limited_answers_are_retried_but_a_refusal_is_not():
    seen, _ = follow([ApiError(503, "unavailable", "x"), ApiError(429, "rate_limited", "x"), job("failed")])
    assert [s["status"] for s in seen] == ["failed"]
    with pytest.raises(ApiError) as raised:
        follow([job("running"), ApiError(401, "invalid_api_key", "x")])
    assert raised.value.code == "invalid_api_key"


def test_the_timeout_ends_the_iteration_after_the_last_change():
    seen, api = follow([job("running")], timeout_s=5)
    assert [s["status"] for s in seen] == ["running"]
    assert 5 <= api.calls <= 7
    with pytest.raises(ApiError) as raised:  # never seen at all: the last failure explains why
        follow([ApiError(503, "unavailable", "x")], timeout_s=3)
    assert raised.value.code == "unavailable"


def _event(seq: int, kind: str):
    from common.cli.api_client import JobEventMessage

    return JobEventMessage(seq, kind, {"job_id": JOB, "seq": seq, "type": kind})


def test_with_an_event_stream_it_asks_for_the_job_only_after_state_events():
    api = ScriptedApi([job("pending"), job("running"), job("success")])
    stream = [
        _event(1, "created"),
        _event(2, "running"),
        _event(3, "stage_started"),
        _event(4, "stage_finished"),
        _event(5, "model_call"),
        _event(6, "succeeded"),
    ]
    clock = Clock()
    snapshots = list(
        job_updates(api, JOB, timeout_s=60, clock=clock, sleep=clock.sleep, events=lambda _j, _t: iter(stream))  # type: ignore[arg-type]
    )
    assert [s["status"] for s in snapshots] == ["pending", "running", "success"]
    assert api.calls == 3  # no poll for stage or model-call events
    assert clock.now == 0  # nothing slept: updates come from the stream


def test_a_deployment_without_the_stream_is_polled():
    from common.cli.api_client import EventStreamUnsupported

    def unsupported(_job: str, _timeout: float):
        raise EventStreamUnsupported(405, {"error": {"code": "method_not_allowed", "message": "x"}})
        yield

    api = ScriptedApi([job("running"), job("success")])
    clock = Clock()
    snapshots = list(job_updates(api, JOB, timeout_s=60, clock=clock, sleep=clock.sleep, events=unsupported))  # type: ignore[arg-type]
    assert [s["status"] for s in snapshots] == ["running", "success"]
