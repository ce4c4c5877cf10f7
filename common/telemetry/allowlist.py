"""What may leave the process as telemetry: an allow-list of keys and a grammar for values. Pure.

Both exporters (OpenTelemetry spans and metrics, Sentry events) pass every attribute, tag and
span name through this module. A key that is not listed is dropped; a listed key whose value
does not look like an id, code, count or timing is dropped too, so prose cannot ride on an
allowed key. A deny-list would have to know every key a library might add
(``gen_ai.input.messages``, ``http.url``, ``db.statement``...); an allow-list does not.

Key names follow the OpenTelemetry semantic conventions where one exists (GenAI: ``gen_ai.*``,
semconv 1.3x as shipped in ``opentelemetry-semantic-conventions`` 0.66b; errors: ``error.type``;
resources: ``service.*``, ``cloud.*``, ``faas.*``) and ``agentjobs.*`` otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

__all__ = [
    "ALLOWED_EVENT_NAMES",
    "ALLOWED_RESOURCE_KEYS",
    "ALLOWED_SPAN_KEYS",
    "FORBIDDEN_EXAMPLES",
    "JOB_TAG_KEYS",
    "METRIC_KEYS",
    "REDACTED_SPAN_NAME",
    "AttributeValue",
    "allowed_attributes",
    "exported_span_name",
    "is_safe_text",
    "register_span_name",
    "safe_value",
]

type AttributeValue = str | bool | int | float | Sequence[str] | Sequence[bool] | Sequence[int] | Sequence[float]

# Ids, codes, model ids, enum values, routes: no spaces, no quotes, bounded. Prose, file names with
# spaces and JSON do not match. ``{}`` admit route templates such as ``/v1/jobs/{job_id}``.
_SAFE_TEXT = re.compile(r"[A-Za-z0-9_.:/@+\-{}=]{0,160}")
_MAX_SEQUENCE = 16

JOB_TAG_KEYS: tuple[str, ...] = ("tenant_id", "job_id", "agent", "attempt", "source", "model")
"""The job tags every event, transaction and delivery span carries (Sentry tag names)."""

GEN_AI_KEYS: frozenset[str] = frozenset(
    {
        "gen_ai.operation.name",
        "gen_ai.provider.name",
        "gen_ai.system",  # the older name of gen_ai.provider.name, still emitted by some libraries
        "gen_ai.request.model",
        "gen_ai.response.model",
        "gen_ai.response.id",
        "gen_ai.response.finish_reasons",
        "gen_ai.output.type",
        "gen_ai.token.type",
        "gen_ai.request.max_tokens",
        "gen_ai.request.temperature",
        "gen_ai.request.top_p",
        "gen_ai.request.seed",
        "gen_ai.request.choice.count",
        "gen_ai.usage.input_tokens",
        "gen_ai.usage.output_tokens",
        "gen_ai.usage.cache_read.input_tokens",
        "gen_ai.usage.cache_creation.input_tokens",
        "gen_ai.usage.reasoning.output_tokens",
    }
)
"""GenAI semconv keys that carry models, providers, counts and enums, never content. Left out on
purpose: ``gen_ai.input.messages``, ``gen_ai.output.messages``, ``gen_ai.system_instructions``,
``gen_ai.prompt``, ``gen_ai.completion``, ``gen_ai.tool.*`` arguments and results."""

AGENTJOBS_KEYS: frozenset[str] = frozenset(
    {
        "agentjobs.function",
        "agentjobs.tenant_id",
        "agentjobs.job_id",
        "agentjobs.agent",
        "agentjobs.attempt",
        "agentjobs.source",
        "agentjobs.model",
        "agentjobs.stage",
        "agentjobs.status",
        "agentjobs.outcome",
        "agentjobs.error_code",
        "agentjobs.final_attempt",
        "agentjobs.queue_delay_s",
        "agentjobs.duration_s",
        "agentjobs.calls",
        "agentjobs.document_tokens",
        "agentjobs.cost.total_usd",
        "agentjobs.cost.input_usd",
        "agentjobs.cost.output_usd",
        "agentjobs.cost.priced_calls",
        "agentjobs.cost.unpriced_calls",
        "agentjobs.cost.price_source",
        "agentjobs.http_status",
        "agentjobs.bytes",
        "agentjobs.pages",
    }
)

ALLOWED_SPAN_KEYS: frozenset[str] = (
    GEN_AI_KEYS
    | AGENTJOBS_KEYS
    | frozenset(
        {
            "error.type",
            "http.request.method",
            "http.response.status_code",
            "http.route",
            "messaging.system",
            "messaging.operation.type",
            "messaging.operation.name",
            "messaging.message.id",
            "messaging.destination.name",
            "exception.type",
            "exception.escaped",
        }
    )
)
"""Span (and span event, link) attribute keys that may be exported."""

ALLOWED_EVENT_NAMES: frozenset[str] = frozenset({"exception"})
"""Span events that may be exported (with their attributes filtered like a span's)."""

ALLOWED_RESOURCE_KEYS: frozenset[str] = frozenset(
    {
        "service.name",
        "service.namespace",
        "service.version",
        "service.instance.id",
        "deployment.environment.name",
        "telemetry.sdk.name",
        "telemetry.sdk.language",
        "telemetry.sdk.version",
        "cloud.provider",
        "cloud.platform",
        "cloud.region",
        "cloud.account.id",
        "faas.name",
        "faas.version",
        "faas.instance",
    }
)

METRIC_KEYS: frozenset[str] = frozenset(
    {
        "agentjobs.function",
        "agentjobs.agent",
        "agentjobs.status",
        "agentjobs.error_code",
        "agentjobs.source",
        "agentjobs.judge",
        "agentjobs.outcome",
        "agentjobs.quality",
        "gen_ai.operation.name",
        "gen_ai.provider.name",
        "gen_ai.request.model",
        "gen_ai.response.model",
        "gen_ai.token.type",
        "error.type",
    }
)
"""Metric attribute keys. No tenant or job ids: they would make every series unique (and the
usage endpoint, not metrics, answers per-tenant questions)."""

FORBIDDEN_EXAMPLES: tuple[str, ...] = (
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.prompt",
    "gen_ai.completion",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
    "http.url",
    "url.full",
    "url.query",
    "db.statement",
    "exception.message",
    "exception.stacktrace",
    "code.filepath",
    "file.name",
)
"""Keys libraries are known to emit with content; tests prove each is dropped."""


def is_safe_text(value: str) -> bool:
    """Whether ``value`` looks like an id, code, model id or enum (no spaces, at most 160 chars)."""
    return _SAFE_TEXT.fullmatch(value) is not None


def safe_value(value: object) -> AttributeValue | None:
    """``value`` if it is a number, a bool, safe text, or a short sequence of those; else ``None``."""
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return value if is_safe_text(value) else None
    if isinstance(value, list | tuple):
        items: list[object] = list(value)  # pyright: ignore[reportUnknownArgumentType]
        if len(items) > _MAX_SEQUENCE:
            return None
        if all(isinstance(i, str) and is_safe_text(i) for i in items):
            return tuple(str(i) for i in items)
        if all(isinstance(i, bool | int | float) for i in items):
            return tuple(items)  # pyright: ignore[reportReturnType]
    return None


def allowed_attributes(attributes: Mapping[str, object] | None, keys: Iterable[str]) -> dict[str, AttributeValue]:
    """The attributes whose key is in ``keys`` and whose value passes :func:`safe_value`.

    Args:
        attributes: Attributes as a library set them; ``None`` is treated as empty.
        keys: The allow-list, e.g. :data:`ALLOWED_SPAN_KEYS`.

    Returns:
        A new dict; nothing else survives.
    """
    if not attributes:
        return {}
    allowed = keys if isinstance(keys, frozenset | set) else frozenset(keys)
    out: dict[str, AttributeValue] = {}
    for key, value in attributes.items():
        if key in allowed:
            clean = safe_value(value)
            if clean is not None:
                out[key] = clean
    return out


_span_names: set[str] = set()
_SPAN_NAME = re.compile(r"[a-z][a-z0-9_.]{0,63}( [A-Za-z0-9_.:/@+\-]{1,120})?")
REDACTED_SPAN_NAME = "span"


def register_span_name(name: str) -> str:
    """Allow ``name`` as an exported span name (the facade registers each name it creates).

    Returns:
        ``name`` when it has the form ``operation`` or ``operation target`` (e.g. ``chat
        gpt-4o-mini``), else :data:`REDACTED_SPAN_NAME`.
    """
    if _SPAN_NAME.fullmatch(name) is None:
        return REDACTED_SPAN_NAME
    _span_names.add(name)
    return name


def exported_span_name(name: str) -> str:
    """``name`` if the facade created it, else :data:`REDACTED_SPAN_NAME`.

    A library's span name (an HTTP client's ``GET /bucket/patient-file.pdf``) never leaves.
    """
    return name if name in _span_names else REDACTED_SPAN_NAME
