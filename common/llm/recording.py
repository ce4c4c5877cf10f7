"""Every model call of a job's run, recorded as it happens, so a failed run still reports its usage.

An agent returns its usage with its result; a run that fails (the model's output stays invalid,
a later call is refused, the agent crashes) returns nothing, yet its calls were made and billed.
The executor opens :func:`recording` around an agent's run; the model adapter passes each
finished call to :func:`record`. Pure: no SDK import.
"""

from __future__ import annotations

from collections.abc import Generator
from contextlib import contextmanager
from contextvars import ContextVar

from common.jobs.models import ModelCall

__all__ = ["record", "recording"]

_calls: ContextVar[list[ModelCall] | None] = ContextVar("agentjobs_model_calls", default=None)


def record(call: ModelCall) -> None:
    """Add ``call`` to the run recording in this context (nothing happens outside a recording)."""
    calls = _calls.get()
    if calls is not None:
        calls.append(call)


@contextmanager
def recording() -> Generator[list[ModelCall]]:
    """Run the block recording its model calls; yields the list they are appended to, oldest first."""
    calls: list[ModelCall] = []
    token = _calls.set(calls)
    try:
        yield calls
    finally:
        _calls.reset(token)
