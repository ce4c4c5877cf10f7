"""Structured JSON logging that cannot carry document or patient text.

One JSON object per line on stdout, which Cloud Logging parses (``severity``, ``message``).
Fields are restricted to scalars, and any string longer than :data:`MAX_FIELD_CHARS` is replaced
by a redaction marker: ids, codes, counts and timings fit, prose does not. This is a guard rail,
not a licence: callers still pass only ids, counts and timings.

Inside a span opened by :mod:`common.telemetry` (a delivery, stage or model call), each line also
carries ``logging.googleapis.com/trace`` (``projects/{project}/traces/{trace_id}``),
``logging.googleapis.com/spanId`` and ``logging.googleapis.com/trace_sampled``, the fields Cloud
Logging correlates with traces.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Literal, TextIO

from common.telemetry.context import log_fields

__all__ = ["MAX_FIELD_CHARS", "Severity", "log", "where"]

MAX_FIELD_CHARS = 200
Severity = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
Scalar = str | int | float | bool | None


def _safe(value: Scalar) -> Scalar:
    if isinstance(value, str) and len(value) > MAX_FIELD_CHARS:
        return f"<redacted {len(value)} chars>"
    if isinstance(value, float):
        return round(value, 6)
    return value


def log(event: str, /, *, severity: Severity = "INFO", stream: TextIO | None = None, **fields: Scalar) -> None:
    """Write one structured log line.

    Args:
        event: A short constant event name, e.g. ``job.completed``.
        severity: Cloud Logging severity.
        stream: Where to write; defaults to ``sys.stdout``.
        **fields: Ids, codes, counts and timings (seconds). Long strings are redacted.
    """
    record: dict[str, Scalar] = {"severity": severity, "message": event, "time": round(time.time(), 3)}
    record.update(log_fields())
    for key, value in fields.items():
        if isinstance(value, (str, int, float, bool)) or value is None:
            record[key] = _safe(value)
        else:
            record[key] = f"<dropped {type(value).__name__}>"
    out = stream or sys.stdout
    out.write(json.dumps(record, ensure_ascii=False) + "\n")
    out.flush()


def where(error: BaseException) -> str:
    """``module.py:function:line`` of the innermost frame of ``error``'s traceback.

    Logged instead of the exception message, which may quote input (e.g. a validation error
    echoing a field value).
    """
    tb = error.__traceback__
    if tb is None:
        return "unknown"
    while tb.tb_next is not None:
        tb = tb.tb_next
    code = tb.tb_frame.f_code
    return f"{code.co_filename.rsplit('/', 1)[-1]}:{code.co_name}:{tb.tb_lineno}"
