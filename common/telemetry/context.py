"""The trace a log line belongs to, W3C ``traceparent`` parsing, and Cloud Logging's trace fields. Pure.

The facade sets :data:`current_span` whenever it enters a delivery, stage or model call, so
:func:`common.telemetry.log.log` can add the fields Cloud Logging correlates on without importing
any SDK. Sources: W3C Trace Context Level 1, section 3.2 (``traceparent``); Cloud Logging
``LogEntry`` special fields ``logging.googleapis.com/trace``, ``.../spanId``, ``.../trace_sampled``.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass

__all__ = [
    "TRACEPARENT",
    "TRACESTATE",
    "SpanRef",
    "current_span",
    "format_traceparent",
    "log_fields",
    "new_span_id",
    "new_trace_id",
    "parse_traceparent",
    "set_log_project",
    "traceparent_of",
]

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"
_TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
_ZERO_TRACE = "0" * 32
_ZERO_SPAN = "0" * 16


@dataclass(frozen=True, slots=True)
class SpanRef:
    """A span's identity, as W3C trace context carries it.

    Attributes:
        trace_id: 32 lowercase hex digits.
        span_id: 16 lowercase hex digits.
        sampled: The W3C ``sampled`` flag.
    """

    trace_id: str
    span_id: str
    sampled: bool = True


current_span: ContextVar[SpanRef | None] = ContextVar("agentjobs_current_span", default=None)
"""The innermost span the facade opened in this context, or ``None``."""

_log_project: list[str] = [""]


def parse_traceparent(value: str | None) -> SpanRef | None:
    """The parent span named by a W3C ``traceparent`` value, or ``None`` when it is absent or invalid.

    Only version ``00`` is accepted; all-zero ids are invalid (W3C Trace Context, 3.2.2).
    """
    if not value:
        return None
    match = _TRACEPARENT.fullmatch(value.strip().lower())
    if match is None:
        return None
    trace_id, span_id, flags = match.groups()
    if trace_id == _ZERO_TRACE or span_id == _ZERO_SPAN:
        return None
    return SpanRef(trace_id=trace_id, span_id=span_id, sampled=bool(int(flags, 16) & 1))


def format_traceparent(span: SpanRef) -> str:
    """``00-{trace_id}-{span_id}-{01|00}``."""
    return f"00-{span.trace_id}-{span.span_id}-{'01' if span.sampled else '00'}"


def traceparent_of(carrier: Mapping[str, str] | None) -> SpanRef | None:
    """The parent in ``carrier`` (Pub/Sub attributes or HTTP headers; name matched case-insensitively)."""
    if not carrier:
        return None
    value = carrier.get(TRACEPARENT)
    if value is None:
        value = next((v for k, v in carrier.items() if k.lower() == TRACEPARENT), None)
    return parse_traceparent(value)


def new_trace_id() -> str:
    """A random 128-bit trace id in hex."""
    return secrets.token_hex(16)


def new_span_id() -> str:
    """A random 64-bit span id in hex."""
    return secrets.token_hex(8)


def set_log_project(project: str) -> None:
    """The Google Cloud project whose trace names log lines carry (``projects/{project}/traces/...``)."""
    _log_project[0] = project


def log_fields() -> dict[str, str | bool]:
    """Cloud Logging's trace fields for the current span, or ``{}`` outside any span."""
    span = current_span.get()
    if span is None:
        return {}
    project = _log_project[0]
    trace = f"projects/{project}/traces/{span.trace_id}" if project else span.trace_id
    return {
        "logging.googleapis.com/trace": trace,
        "logging.googleapis.com/spanId": span.span_id,
        "logging.googleapis.com/trace_sampled": span.sampled,
    }
