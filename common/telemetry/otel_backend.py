"""The OpenTelemetry backend: spans and metrics over OTLP/HTTP, through an allow-list.

Why the OpenTelemetry SDK and not the ``logfire`` SDK, for Logfire too: Logfire ingests plain
OTLP/HTTP with its write token in the ``Authorization`` header (what its own SDK sends), and the
plain SDK costs far less at cold start. Two runs of ``benchmarks/telemetry_sdks.py`` (11
interleaved samples each, medians, each variant on top of its interpreter's
functions_framework + Firestore floor; the machine is shared, hence the spread): the
OpenTelemetry SDK + OTLP/HTTP exporter + a configured TracerProvider add 0.09-0.28 s (83
modules, mostly protobuf classes shared with Google's clients); ``import logfire;
logfire.configure(...)`` adds 0.79-1.53 s (306 modules). Logfire also installs a pydantic plugin
that loads on the first model definition: +0.70-1.75 s (281 modules) in the same runs, gone with
``PYDANTIC_DISABLE_PLUGINS=__all__``; not installing ``logfire`` keeps it out for good. And
Logfire's scrubber treats ``gen_ai.input.messages`` as safe, so we would need our allow-list on
top anyway.

Pipeline: ``TracerProvider`` → ``BatchSpanProcessor`` → :class:`AllowListSpanExporter` → OTLP
exporter. The allow-list sits at the exporter, the last point before the wire, so every span
is filtered whoever created it. The global tracer provider is left alone: only the facade's
spans are created here, and third-party instrumentation stays off. Metrics use a
``MeterProvider`` whose one wildcard ``View`` keeps only :data:`~common.telemetry.allowlist.METRIC_KEYS`.

Exports happen on :meth:`OtelBackend.flush` (end of each delivery, as Cloud Run throttles CPU
after the response) with a bounded timeout. After a failed export the exporter pauses for
:data:`PAUSE_AFTER_FAILURE_S` so an unreachable endpoint costs a request at most one timeout;
the first failure is logged once (``telemetry.export_failed``), and a start-up probe logs an
unreachable endpoint once (``telemetry.otlp_unreachable``) without delaying the cold start.
"""

from __future__ import annotations

import logging
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import trace as trace_api
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import Link, NonRecordingSpan, SpanContext, SpanKind, Status, StatusCode, TraceFlags

from common.telemetry.allowlist import (
    ALLOWED_EVENT_NAMES,
    ALLOWED_RESOURCE_KEYS,
    ALLOWED_SPAN_KEYS,
    METRIC_KEYS,
    AttributeValue,
    allowed_attributes,
    exported_span_name,
)
from common.telemetry.config import TelemetryConfig
from common.telemetry.context import SpanRef
from common.telemetry.log import log
from common.telemetry.policy import Reaction
from common.telemetry.probe import probe_in_background

if TYPE_CHECKING:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import MetricReader

    from common.jobs.models import ModelCall
    from common.telemetry.facade import SpanKindName

__all__ = [
    "PAUSE_AFTER_FAILURE_S",
    "AllowListSpanExporter",
    "OtelBackend",
    "OtelMetrics",
    "build_providers",
    "filter_span",
    "start_otel",
]

PAUSE_AFTER_FAILURE_S = 60.0
_KINDS: dict[str, SpanKind] = {
    "server": SpanKind.SERVER,
    "consumer": SpanKind.CONSUMER,
    "client": SpanKind.CLIENT,
    "producer": SpanKind.PRODUCER,
    "internal": SpanKind.INTERNAL,
}


def filter_span(span: ReadableSpan) -> ReadableSpan:
    """A copy of ``span`` holding only allow-listed names, attributes, events and resource keys.

    Kept: ids, kind, times, status code (not its description, which may quote an exception),
    attributes on :data:`~common.telemetry.allowlist.ALLOWED_SPAN_KEYS` with safe values, events
    named on :data:`~common.telemetry.allowlist.ALLOWED_EVENT_NAMES` (so an exception event keeps
    ``exception.type`` but loses ``exception.message`` and ``exception.stacktrace``), links'
    contexts. The name is kept only if the facade created it.
    """
    events = [
        Event(e.name, allowed_attributes(e.attributes, ALLOWED_SPAN_KEYS), e.timestamp)
        for e in span.events
        if e.name in ALLOWED_EVENT_NAMES
    ]
    links = [Link(link.context, allowed_attributes(link.attributes, ALLOWED_SPAN_KEYS)) for link in span.links]
    resource = Resource(allowed_attributes(span.resource.attributes, ALLOWED_RESOURCE_KEYS))
    status = Status(span.status.status_code)
    return ReadableSpan(
        name=exported_span_name(span.name),
        context=span.context,
        parent=span.parent,
        resource=resource,
        attributes=allowed_attributes(span.attributes, ALLOWED_SPAN_KEYS),
        events=events,
        links=links,
        kind=span.kind,
        status=status,
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


class AllowListSpanExporter(SpanExporter):
    """Wraps a span exporter so only :func:`filter_span` copies reach it.

    Also the failure policy: the first failed export is logged once; after any failure,
    exports are skipped (spans dropped and counted) for ``pause_s`` seconds.

    Args:
        inner: The real exporter (OTLP, or an in-memory one in tests).
        pause_s: Pause after a failed export (s).
        clock: Monotonic clock (s), for tests.
    """

    def __init__(
        self,
        inner: SpanExporter,
        *,
        pause_s: float = PAUSE_AFTER_FAILURE_S,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._inner = inner
        self._pause_s = pause_s
        self._clock = clock
        self._paused_until = 0.0
        self._failed_once = False
        self.dropped = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Filter, then export unless paused after a failure."""
        if self._clock() < self._paused_until:
            self.dropped += len(spans)
            return SpanExportResult.FAILURE
        try:
            result = self._inner.export([filter_span(s) for s in spans])
        except Exception as e:
            result = SpanExportResult.FAILURE
            reason = type(e).__name__
        else:
            reason = "export_failed"
        if result is SpanExportResult.FAILURE:
            self._paused_until = self._clock() + self._pause_s
            self.dropped += len(spans)
            if not self._failed_once:
                self._failed_once = True
                log("telemetry.export_failed", severity="WARNING", reason=reason, spans=len(spans))
        return result

    def shutdown(self) -> None:
        """Shut the inner exporter down."""
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Flush the inner exporter."""
        return self._inner.force_flush(timeout_millis)


class _OtelHandle:
    def __init__(self, span: trace_api.Span, token: object | None):
        self._span = span
        self._token = token

    def set_attributes(self, attributes: Mapping[str, AttributeValue]) -> None:
        self._span.set_attributes(dict(attributes))

    def set_tags(self, tags: Mapping[str, str]) -> None:
        pass  # tags reach spans as agentjobs.* attributes (see Telemetry.tag)

    def set_status(self, status: str, reaction: Reaction | None) -> None:
        pass

    def end(self, error: BaseException | None = None, end_ns: int | None = None) -> None:
        try:
            if error is not None:
                code = getattr(error, "error_code", None) or type(error).__name__
                self._span.set_status(Status(StatusCode.ERROR))
                self._span.set_attribute("error.type", str(code))
                # Type only: exception.message and the stacktrace may quote input.
                self._span.add_event("exception", {"exception.type": type(error).__name__})
            self._span.end(end_time=end_ns)
        finally:
            if self._token is not None:
                otel_context.detach(self._token)  # pyright: ignore[reportArgumentType]


class OtelBackend:
    """Spans for the facade on a private ``TracerProvider``.

    Args:
        provider: The provider (with its processors) to create spans on.
        metrics: The metrics to flush with it, if any.
    """

    def __init__(self, provider: TracerProvider, metrics: OtelMetrics | None = None):
        self._provider = provider
        self._metrics = metrics
        self._tracer = provider.get_tracer("agentjobs")

    def start(
        self,
        name: str,
        *,
        kind: SpanKindName,
        op: str,
        root: bool,
        parent: SpanRef | None,
        ref: SpanRef | None,
        attributes: Mapping[str, AttributeValue],
        start_ns: int | None,
    ) -> tuple[_OtelHandle, SpanRef]:
        """Start a span (and make it current unless back-dated); the delivery's root takes ``parent``."""
        if root:
            ctx = otel_context.Context()
            if parent is not None:
                remote = SpanContext(
                    trace_id=int(parent.trace_id, 16),
                    span_id=int(parent.span_id, 16),
                    is_remote=True,
                    trace_flags=TraceFlags(TraceFlags.SAMPLED if parent.sampled else TraceFlags.DEFAULT),
                )
                ctx = trace_api.set_span_in_context(NonRecordingSpan(remote), ctx)
        else:
            ctx = otel_context.get_current()
        span = self._tracer.start_span(
            name, context=ctx, kind=_KINDS[kind], attributes=dict(attributes), start_time=start_ns
        )
        token = None if start_ns is not None else otel_context.attach(trace_api.set_span_in_context(span))
        sc = span.get_span_context()
        made = SpanRef(f"{sc.trace_id:032x}", f"{sc.span_id:016x}", sampled=sc.trace_flags.sampled)
        return _OtelHandle(span, token), made

    def report(self, error: BaseException, reaction: Reaction, tags: Mapping[str, str]) -> None:
        """Spans record failures on end; nothing else to do."""

    def alert(self, message: str, fingerprint: Sequence[str], tags: Mapping[str, str]) -> None:
        """Alerts are Sentry events; the ``agentjobs.judgements`` metric carries the counts here."""

    def flush(self, timeout: float) -> None:
        """Export buffered spans and metrics, waiting at most ``timeout`` s each."""
        self._provider.force_flush(int(timeout * 1000))
        if self._metrics is not None:
            self._metrics.flush(timeout)

    def shutdown(self) -> None:
        """Flush and stop."""
        self._provider.shutdown()
        if self._metrics is not None:
            self._metrics.shutdown()


class OtelMetrics:
    """The facade's instruments, on a ``MeterProvider`` built on first use.

    Instruments: ``agentjobs.jobs`` (counter, ``{job}``), ``agentjobs.job.duration`` and
    ``agentjobs.job.queue_delay`` (histograms, ``s``), ``gen_ai.client.token.usage`` (histogram,
    ``{token}``, by ``gen_ai.token.type`` = ``input``/``output``) and
    ``gen_ai.client.operation.duration`` (histogram, ``s``) from the GenAI semconv,
    ``agentjobs.model.cost`` (counter, ``USD``), ``agentjobs.model.unpriced`` (counter, ``{job}``) and
    ``agentjobs.judgements`` (counter, ``{judgement}``, by judge and outcome) and
    ``agentjobs.feedback`` (counter, ``{feedback}``, by verdict and the job's quality).

    The metrics SDK and OTLP metric exporter (~0.09 s of imports) load on the first recording,
    not at cold start: submit, status and notify record no metrics and never pay for them.

    Args:
        make_provider: Builds the ``MeterProvider`` (with its reader and allow-list view).
    """

    def __init__(self, make_provider: Callable[[], MeterProvider]):
        self._make_provider = make_provider
        self._provider: MeterProvider | None = None
        self._instruments: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _get(self, name: str) -> Any:
        with self._lock:
            if self._provider is None:
                self._provider = self._make_provider()
                meter = self._provider.get_meter("agentjobs")
                self._instruments = {
                    "jobs": meter.create_counter("agentjobs.jobs", unit="{job}", description="Jobs by status"),
                    "duration": meter.create_histogram("agentjobs.job.duration", unit="s"),
                    "queue": meter.create_histogram("agentjobs.job.queue_delay", unit="s"),
                    "tokens": meter.create_histogram("gen_ai.client.token.usage", unit="{token}"),
                    "call_duration": meter.create_histogram("gen_ai.client.operation.duration", unit="s"),
                    "cost": meter.create_counter("agentjobs.model.cost", unit="USD"),
                    "unpriced": meter.create_counter("agentjobs.model.unpriced", unit="{job}"),
                    "judgements": meter.create_counter("agentjobs.judgements", unit="{judgement}"),
                    "feedback": meter.create_counter("agentjobs.feedback", unit="{feedback}"),
                }
            return self._instruments[name]

    def job(self, attributes: Mapping[str, AttributeValue], duration_s: float | None, queue_s: float | None) -> None:
        """Count a job; record its duration and queue delay."""
        attrs = dict(attributes)
        self._get("jobs").add(1, attrs)
        if duration_s is not None:
            self._get("duration").record(duration_s, attrs)
        if queue_s is not None:
            self._get("queue").record(queue_s, attrs)

    def model_call(self, attributes: Mapping[str, AttributeValue], call: ModelCall, seconds: float) -> None:
        """Record a call's input and output tokens and its duration."""
        attrs = dict(attributes)
        self._get("tokens").record(call.input_tokens, attrs | {"gen_ai.token.type": "input"})
        self._get("tokens").record(call.output_tokens, attrs | {"gen_ai.token.type": "output"})
        self._get("call_duration").record(seconds, attrs)

    def cost(self, attributes: Mapping[str, AttributeValue], usd: float | None) -> None:
        """Add ``usd``, or count an unpriced job."""
        if usd is None:
            self._get("unpriced").add(1, dict(attributes))
        else:
            self._get("cost").add(usd, dict(attributes))

    def judgement(self, attributes: Mapping[str, AttributeValue]) -> None:
        """Count one judgement."""
        self._get("judgements").add(1, dict(attributes))

    def feedback(self, attributes: Mapping[str, AttributeValue]) -> None:
        """Count one human feedback."""
        self._get("feedback").add(1, dict(attributes))

    def flush(self, timeout: float) -> None:
        """Export recorded metrics, if any were recorded."""
        if self._provider is not None:
            self._provider.force_flush(int(timeout * 1000))

    def shutdown(self) -> None:
        """Stop the provider, if built."""
        if self._provider is not None:
            self._provider.shutdown()


def _resource(config: TelemetryConfig) -> Resource:
    attributes: dict[str, str] = {"service.name": f"agentjobs-{config.service}", "service.namespace": "agentjobs"}
    if config.sentry_release:
        attributes["service.version"] = config.sentry_release
    if config.sentry_environment:
        attributes["deployment.environment.name"] = config.sentry_environment
    return Resource.create(attributes)


def _valid_url(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def build_providers(
    config: TelemetryConfig,
    span_exporter: SpanExporter,
    metric_reader: MetricReader | Callable[[], MetricReader] | None = None,
) -> tuple[OtelBackend, OtelMetrics | None]:
    """The backend over ``span_exporter`` (wrapped in the allow-list) and, with a reader, the metrics.

    Tests pass an in-memory exporter and reader; :func:`start_otel` passes OTLP ones (the metric
    reader as a factory, so the metrics SDK loads on the first recording).
    """
    resource = _resource(config)
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(AllowListSpanExporter(span_exporter), schedule_delay_millis=60_000))
    metrics: OtelMetrics | None = None
    if metric_reader is not None:
        reader_or_factory = metric_reader

        def make_provider() -> MeterProvider:
            from opentelemetry.sdk.metrics import MeterProvider
            from opentelemetry.sdk.metrics.export import MetricReader
            from opentelemetry.sdk.metrics.view import View

            reader = reader_or_factory if isinstance(reader_or_factory, MetricReader) else reader_or_factory()
            return MeterProvider(
                metric_readers=[reader],
                resource=Resource(allowed_attributes(resource.attributes, ALLOWED_RESOURCE_KEYS)),
                views=[View(instrument_name="*", attribute_keys=set(METRIC_KEYS))],
            )

        metrics = OtelMetrics(make_provider)
    return OtelBackend(provider, metrics), metrics


def start_otel(config: TelemetryConfig) -> tuple[OtelBackend | None, OtelMetrics | None]:
    """The OTLP/HTTP backend for ``config.otlp``, or ``(None, None)`` when its URL is malformed (logged once)."""
    destination = config.otlp
    if destination is None:
        return None, None
    urls = [u for u in (destination.traces_url, destination.metrics_url) if u]
    if not all(_valid_url(u) for u in urls):
        log("telemetry.otlp_disabled", severity="ERROR", reason="malformed_endpoint", destination=destination.name)
        return None, None
    from opentelemetry.exporter.otlp.proto.http import Compression
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    # The exporter logs every failed attempt with its URL; AllowListSpanExporter logs once instead.
    logging.getLogger("opentelemetry.exporter.otlp").setLevel(logging.CRITICAL)
    logging.getLogger("opentelemetry.exporter.otlp.common").setLevel(logging.CRITICAL)
    timeout = config.export_timeout_seconds
    exporter = OTLPSpanExporter(
        endpoint=destination.traces_url,
        headers=destination.headers,
        timeout=timeout,
        compression=Compression.Gzip,
    )
    reader_factory: Callable[[], MetricReader] | None = None
    if destination.metrics_url:
        metrics_url = destination.metrics_url

        def make_reader() -> MetricReader:
            from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
            from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

            metric_exporter = OTLPMetricExporter(
                endpoint=metrics_url, headers=destination.headers, timeout=timeout, compression=Compression.Gzip
            )
            # Exported on flush at the end of each delivery; the long interval is only a backstop.
            return PeriodicExportingMetricReader(metric_exporter, export_interval_millis=300_000)

        reader_factory = make_reader
    probe_in_background(destination.traces_url, event="telemetry.otlp_unreachable", destination=destination.name)
    return build_providers(config, exporter, reader_factory)
