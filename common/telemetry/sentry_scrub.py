"""Sentry's ``before_send`` / ``before_send_transaction`` / ``before_breadcrumb``: an allow-list. Pure.

An event is rebuilt from the parts that carry ids, codes, counts and timings; everything else is
dropped, whatever an SDK or integration put there: request bodies, headers, query strings,
cookies, users, ``extra``, local variables, source lines, breadcrumb messages, and exception
messages (a ``ValidationError`` quotes the input it rejects). An exception keeps its type, its
stack frames (file, function, line) and, for our own errors, the machine ``code`` in place of the
message. Sources: Sentry event payload docs (``exception``, ``contexts.trace``, ``breadcrumbs``,
``spans``) and sentry-python's ``before_send`` hook contract (return ``None`` to drop).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from common.errors import AgentJobsError
from common.telemetry.allowlist import (
    ALLOWED_SPAN_KEYS,
    JOB_TAG_KEYS,
    allowed_attributes,
    exported_span_name,
    is_safe_text,
    safe_value,
)

__all__ = ["EVENT_TAG_KEYS", "scrub_breadcrumb", "scrub_event"]

EVENT_TAG_KEYS: frozenset[str] = frozenset(
    {*JOB_TAG_KEYS, "outcome", "error_code", "function", "stage", "status", "judge", "quality", "reason_code"}
)
"""Tag keys an event or transaction may carry."""

_TOP_LEVEL = (
    "event_id",
    "timestamp",
    "start_timestamp",
    "level",
    "platform",
    "environment",
    "release",
    "dist",
    "type",
    "server_name",
)
_FRAME_KEYS = ("filename", "function", "module", "lineno", "colno", "in_app")
_TRACE_CONTEXT_KEYS = ("trace_id", "span_id", "parent_span_id", "op", "status", "origin", "same_process_as_parent")
_SPAN_KEYS = (
    "trace_id",
    "span_id",
    "parent_span_id",
    "op",
    "status",
    "origin",
    "start_timestamp",
    "timestamp",
    "same_process_as_parent",
)
_BREADCRUMB_DATA_KEYS = frozenset({"code", "attempt", "outcome", "stage", "seconds", "final_attempt"})


def _safe_str(value: object) -> str | None:
    return value if isinstance(value, str) and is_safe_text(value) else None


def _mappings(value: object) -> list[Mapping[str, Any]]:
    """The mapping items of ``value`` if it is a list, else ``[]``."""
    if not isinstance(value, list):
        return []
    return [cast(Mapping[str, Any], v) for v in cast(list[object], value) if isinstance(v, Mapping)]


def _pick(source: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in keys:
        value = source.get(key)
        if value is None:
            continue
        if isinstance(value, str) and not is_safe_text(value):
            continue
        out[key] = value
    return out


def _tags(tags: object) -> dict[str, str]:
    if not isinstance(tags, Mapping):
        return {}
    out: dict[str, str] = {}
    for key, value in cast(Mapping[str, object], tags).items():
        text = value if isinstance(value, str) else str(value) if isinstance(value, int | float) else None
        if key in EVENT_TAG_KEYS and text is not None and is_safe_text(text):
            out[key] = text
    return out


def _frames(stacktrace: object) -> dict[str, Any] | None:
    if not isinstance(stacktrace, Mapping):
        return None
    frames = _mappings(cast(Mapping[str, Any], stacktrace).get("frames"))
    return {"frames": [_pick(f, _FRAME_KEYS) for f in frames]}


def _exceptions(exception: object, error: BaseException | None) -> dict[str, Any] | None:
    if not isinstance(exception, Mapping):
        return None
    values = _mappings(cast(Mapping[str, Any], exception).get("values"))
    out: list[dict[str, Any]] = []
    for index, raw in enumerate(values):
        item = _pick(raw, ("type", "module"))
        mechanism = raw.get("mechanism")
        if isinstance(mechanism, Mapping):
            item["mechanism"] = _pick(
                cast(Mapping[str, Any], mechanism), ("type", "handled", "exception_id", "parent_id")
            )
        frames = _frames(raw.get("stacktrace"))
        if frames is not None:
            item["stacktrace"] = frames
        # Sentry lists the outermost exception last; only it is `error` itself.
        is_outermost = index == len(values) - 1
        if is_outermost and isinstance(error, AgentJobsError) and is_safe_text(error.error_code):
            item["value"] = error.error_code
        out.append(item)
    return {"values": out}


def _contexts(contexts: object) -> dict[str, Any]:
    if not isinstance(contexts, Mapping):
        return {}
    source = cast(Mapping[str, Any], contexts)
    out: dict[str, Any] = {}
    trace = source.get("trace")
    if isinstance(trace, Mapping):
        trace_map = cast(Mapping[str, Any], trace)
        clean = _pick(trace_map, _TRACE_CONTEXT_KEYS)
        data = allowed_attributes(trace_map.get("data"), ALLOWED_SPAN_KEYS)
        if data:
            clean["data"] = data
        out["trace"] = clean
    runtime = source.get("runtime")
    if isinstance(runtime, Mapping):
        out["runtime"] = _pick(cast(Mapping[str, Any], runtime), ("name", "version"))
    return out


def _span(span: Mapping[str, Any]) -> dict[str, Any]:
    out = _pick(span, _SPAN_KEYS)
    description = span.get("description")
    if isinstance(description, str):
        out["description"] = exported_span_name(description)
    tags = _tags(span.get("tags"))
    if tags:
        out["tags"] = tags
    data = allowed_attributes(span.get("data"), ALLOWED_SPAN_KEYS)
    if data:
        out["data"] = data
    return out


def _message(event: Mapping[str, Any]) -> str | None:
    logentry = event.get("logentry")
    if isinstance(logentry, Mapping):
        return _safe_str(cast(Mapping[str, Any], logentry).get("message"))
    return _safe_str(event.get("message"))


def scrub_event(event: Mapping[str, Any], hint: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The allow-listed copy of a Sentry error or transaction event.

    Args:
        event: The event as sentry-python built it.
        hint: sentry-python's hint; its ``exc_info`` supplies our errors' codes.

    Returns:
        A new event holding only ids, codes, counts, timings and stack locations.
    """
    exc_info: object = (hint or {}).get("exc_info")
    error: object = None
    if isinstance(exc_info, tuple):
        parts = cast(tuple[object, ...], exc_info)
        error = parts[1] if len(parts) == 3 else None
    out = _pick(event, _TOP_LEVEL)
    out["tags"] = _tags(event.get("tags"))
    contexts = _contexts(event.get("contexts"))
    if contexts:
        out["contexts"] = contexts
    for key in ("sdk",):
        sdk = event.get(key)
        if isinstance(sdk, Mapping):
            out[key] = _pick(cast(Mapping[str, Any], sdk), ("name", "version"))
    exceptions = _exceptions(event.get("exception"), error if isinstance(error, BaseException) else None)
    if exceptions is not None:
        out["exception"] = exceptions
    message = _message(event)
    if message is not None:
        out["logentry"] = {"message": message}
    fingerprint = event.get("fingerprint")
    if isinstance(fingerprint, list):
        out["fingerprint"] = [f for f in cast(list[object], fingerprint) if isinstance(f, str) and is_safe_text(f)]
    breadcrumbs = event.get("breadcrumbs")
    if isinstance(breadcrumbs, Mapping):
        values = _mappings(cast(Mapping[str, Any], breadcrumbs).get("values"))
        out["breadcrumbs"] = {"values": [scrub_breadcrumb(b) for b in values]}
    if event.get("type") == "transaction":
        name = event.get("transaction")
        out["transaction"] = exported_span_name(name) if isinstance(name, str) else "transaction"
        out["transaction_info"] = {"source": "custom"}
        out["spans"] = [_span(s) for s in _mappings(event.get("spans"))]
        measurements = event.get("measurements")
        if isinstance(measurements, Mapping):
            out["measurements"] = {
                k: v
                for k, v in cast(Mapping[str, Any], measurements).items()
                if is_safe_text(k) and isinstance(v, Mapping)
            }
    elif isinstance(event.get("transaction"), str):
        out["transaction"] = exported_span_name(cast(str, event["transaction"]))
    return out


def scrub_breadcrumb(crumb: Mapping[str, Any], hint: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A breadcrumb without its message: type, category, level, time and allow-listed data."""
    out = _pick(crumb, ("type", "category", "level", "timestamp"))
    data = crumb.get("data")
    if isinstance(data, Mapping):
        kept = {
            k: v
            for k, v in cast(Mapping[str, Any], data).items()
            if k in _BREADCRUMB_DATA_KEYS and safe_value(v) is not None
        }
        if kept:
            out["data"] = kept
    return out
