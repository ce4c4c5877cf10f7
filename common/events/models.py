"""The job event: one state change or stage of a job, numbered by a monotonic per-job ``seq``.

Pure: no SDK import, no pydantic (the ``status`` function streams events and its cold start is
measured). An event carries ids, names we chose, counts, durations and codes only; never a
prompt, a document, a file name or a result. Each type has an allow-list of fields
(:data:`FIELDS`): :meth:`JobEvent.to_json` emits nothing else.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

__all__ = [
    "FIELDS",
    "MAX_NAME_CHARS",
    "EventType",
    "JobEvent",
    "numbered",
]

MAX_NAME_CHARS = 200
"""Longest stage or model name an event keeps (characters); longer ones are cut."""


class EventType(StrEnum):
    """What happened to the job."""

    CREATED = "created"
    RUNNING = "running"
    STAGE_STARTED = "stage_started"
    STAGE_FINISHED = "stage_finished"
    MODEL_CALL = "model_call"
    JUDGED = "judged"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    CALLBACK_DELIVERED = "callback_delivered"

    @property
    def terminal(self) -> bool:
        """True for ``succeeded``, ``failed`` and ``cancelled``: the job's outcome."""
        return self in (EventType.SUCCEEDED, EventType.FAILED, EventType.CANCELLED)


FIELDS: Mapping[EventType, tuple[str, ...]] = {
    EventType.CREATED: (),
    EventType.RUNNING: ("attempt",),
    EventType.STAGE_STARTED: ("name",),
    EventType.STAGE_FINISHED: ("name", "duration_s"),
    EventType.MODEL_CALL: ("model", "input_tokens", "output_tokens", "cost_usd"),
    EventType.JUDGED: ("quality", "flagged"),
    EventType.SUCCEEDED: (),
    EventType.FAILED: ("code",),
    EventType.CANCELLED: (),
    EventType.CALLBACK_DELIVERED: (),
}
"""The fields each event type may carry besides ``seq``, ``type`` and ``at``."""


@dataclass(frozen=True, slots=True)
class JobEvent:
    """One event of a job.

    Attributes:
        seq: Position in the job's log, from 1, without gaps; ``0`` until the store numbers it.
        type: What happened.
        at: When it happened (UTC).
        attempt: ``running``: the attempt number (1 for the first claim).
        name: ``stage_*``: the stage, e.g. ``extract_text``.
        duration_s: ``stage_finished``: how long the stage took (s).
        model: ``model_call``: ``provider/model`` as requested.
        input_tokens: ``model_call``: input tokens (tokens).
        output_tokens: ``model_call``: output tokens (tokens).
        cost_usd: ``model_call``: the call's cost (USD); ``None`` when unpriced.
        quality: ``judged``: ``passed``, ``flagged`` or ``not_judged``.
        flagged: ``judged``: how many judges failed the output.
        code: ``failed``: the error code, e.g. ``no_text_layer`` (never the message).
    """

    seq: int
    type: EventType
    at: datetime
    attempt: int | None = None
    name: str | None = None
    duration_s: float | None = None
    model: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None
    quality: str | None = None
    flagged: int | None = None
    code: str | None = None

    def __post_init__(self) -> None:
        for name in ("name", "model"):
            value = getattr(self, name)
            if isinstance(value, str) and len(value) > MAX_NAME_CHARS:
                object.__setattr__(self, name, value[:MAX_NAME_CHARS])

    def fields(self) -> dict[str, Any]:
        """The type's allow-listed fields that are set (see :data:`FIELDS`)."""
        return {k: v for k in FIELDS[self.type] if (v := getattr(self, k)) is not None}

    def to_doc(self) -> dict[str, Any]:
        """The stored form (Firestore): ``at`` stays a datetime."""
        return {"seq": self.seq, "type": self.type.value, "at": self.at, **self.fields()}

    def to_json(self, job_id: str) -> dict[str, Any]:
        """The wire form (SSE ``data:``, Pub/Sub message body): ``at`` as RFC 3339."""
        return {"job_id": job_id, "seq": self.seq, "type": self.type.value, "at": self.at.isoformat(), **self.fields()}

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> JobEvent:
        """An event from :meth:`to_doc`'s form; unknown keys are ignored.

        Raises:
            ValueError: An unknown ``type``.
        """
        kind = EventType(str(doc["type"]))
        extra = {k: doc[k] for k in FIELDS[kind] if doc.get(k) is not None}
        return cls(seq=int(doc["seq"]), type=kind, at=doc["at"], **extra)


def numbered(events: Sequence[JobEvent], *, after: int) -> list[JobEvent]:
    """``events`` numbered ``after + 1``, ``after + 2``, ... in order."""
    return [dataclasses.replace(e, seq=after + i) for i, e in enumerate(events, start=1)]
