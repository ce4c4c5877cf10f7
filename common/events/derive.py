"""Which events a write appends: pure functions of the job before and after, and of a run's stages.

The store derives the lifecycle events (``created``, ``running``, the outcome) from each
transition it writes (:func:`transition_events`), so every writer (submit, run_agent, the
sweeper, a cancellation) appends them without knowing about events. The executor adds what only
it sees: stages, model calls and the judges' verdict (:func:`stage_events`, :func:`model_call_event`,
:func:`judged_event`), written with the next write it makes anyway.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from common.events.models import EventType, JobEvent
from common.jobs.models import Job, JobStatus

if TYPE_CHECKING:
    from common.judges.models import Judgement, Quality

__all__ = [
    "callback_delivered_event",
    "judged_event",
    "model_call_event",
    "stage_events",
    "terminal_event",
    "transition_events",
]

_OUTCOMES = {
    JobStatus.SUCCESS: EventType.SUCCEEDED,
    JobStatus.FAILED: EventType.FAILED,
    JobStatus.CANCELLED: EventType.CANCELLED,
}


def terminal_event(job: Job) -> JobEvent | None:
    """The outcome event of a finished job (unnumbered), or ``None`` when it has not finished.

    A ``deleted`` tombstone has none: erasure is not an outcome of the job's work.
    """
    kind = _OUTCOMES.get(job.status)
    if kind is None:
        return None
    at = job.finished_at or job.updated_at
    code = job.error.code if kind is EventType.FAILED and job.error is not None else None
    return JobEvent(0, kind, at, code=code)


def transition_events(before: Job | None, after: Job) -> list[JobEvent]:
    """The lifecycle events of writing ``after`` over ``before`` (``None``: the job is being created).

    * creation: ``created`` (and the outcome when the job is created already failed);
    * a claim, or a takeover after an expired lease: ``running`` with the attempt number;
    * reaching ``success``, ``failed`` or ``cancelled``: ``succeeded``, ``failed`` or ``cancelled``.

    A heartbeat, a release to ``pending``, a requested cancellation and a client's retry append
    nothing: the next claim or outcome tells.

    Returns:
        Unnumbered events, oldest first.
    """
    events: list[JobEvent] = []
    if before is None:
        events.append(JobEvent(0, EventType.CREATED, after.created_at))
    elif after.status is JobStatus.RUNNING and (
        before.status is not JobStatus.RUNNING or after.attempts != before.attempts
    ):
        events.append(JobEvent(0, EventType.RUNNING, after.started_at or after.updated_at, attempt=after.attempts))
    if after.status in _OUTCOMES and (before is None or before.status is not after.status):
        outcome = terminal_event(after)
        if outcome is not None:
            events.append(outcome)
    return events


def stage_events(name: str, seconds: float, *, ended_at: datetime) -> list[JobEvent]:
    """``stage_started`` and ``stage_finished`` of a stage reported when it ended (unnumbered).

    Agents report a stage once it has ended (``ctx.record_stage``); its start is ``ended_at``
    minus its duration.
    """
    duration = round(max(0.0, seconds), 6)
    started_at = ended_at - timedelta(seconds=duration)
    return [
        JobEvent(0, EventType.STAGE_STARTED, started_at, name=name),
        JobEvent(0, EventType.STAGE_FINISHED, ended_at, name=name, duration_s=duration),
    ]


def model_call_event(
    *, model: str, at: datetime, input_tokens: int, output_tokens: int, cost_usd: float | None
) -> JobEvent:
    """A ``model_call`` event: the model and what the call used (tokens, USD), never its content."""
    return JobEvent(
        0,
        EventType.MODEL_CALL,
        at,
        model=model,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost_usd=cost_usd,
    )


def judged_event(judgements: Sequence[Judgement], quality: Quality | None, *, at: datetime) -> JobEvent | None:
    """A ``judged`` event (quality, and how many judges failed the output), or ``None`` when no judge ran."""
    if quality is None and not judgements:
        return None
    flagged = sum(1 for j in judgements if j.passed is False)
    return JobEvent(0, EventType.JUDGED, at, quality=quality.value if quality is not None else None, flagged=flagged)


def callback_delivered_event(at: datetime) -> JobEvent:
    """A ``callback_delivered`` event (unnumbered): the receiver answered 2xx."""
    return JobEvent(0, EventType.CALLBACK_DELIVERED, at)
