"""A per-job gate before each model call (rate limits). Pure: no SDK import.

The executor opens :func:`gated` around an agent's run with the job's gate (the usage plan's rate
limiter, :mod:`common.plans.runtime`); the model adapter asks :func:`current_gate` before each
call and reports provider 429s to it. Agents stay unaware of tenants' limits.
"""

from __future__ import annotations

from collections.abc import Generator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol

__all__ = ["CallGate", "current_gate", "gated"]


class CallGate(Protocol):
    """Decides whether the job's next model call may go."""

    def before_call(self, *, model: str, input_tokens: int) -> None:
        """Wait until the call may go (a short wait), or raise.

        Args:
            model: ``provider/model``.
            input_tokens: Estimated input tokens of the call (tokens).

        Raises:
            TransientError: ``rate_limited``: the wait would be long; release the job.
        """
        ...

    def provider_throttled(self, *, model: str, retry_after_seconds: float | None) -> None:
        """Record that the provider answered 429, with its ``retry-after`` (s) when it gave one."""
        ...


_gate: ContextVar[CallGate | None] = ContextVar("agentjobs_call_gate", default=None)


def current_gate() -> CallGate | None:
    """The gate of the job running in this context, or ``None``."""
    return _gate.get()


@contextmanager
def gated(gate: CallGate | None) -> Generator[None]:
    """Run the block with ``gate`` as :func:`current_gate`."""
    token = _gate.set(gate)
    try:
        yield
    finally:
        _gate.reset(token)
