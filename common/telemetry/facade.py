"""The telemetry facade: one small interface for traces, metrics, error events and log correlation.

A function calls :func:`init` once per cold start and wraps each request or delivery in
:meth:`Telemetry.delivery`; code below it opens :meth:`Telemetry.stage` spans, records
finished stages with :meth:`Telemetry.record_stage`, wraps model calls in
:meth:`Telemetry.model_call`, reports failures with :meth:`Telemetry.report`, and puts the W3C
``traceparent`` of the current span on outgoing messages with :meth:`Telemetry.inject`.

Backends are optional and independent: Sentry (errors and transactions) and OpenTelemetry
(spans and metrics over OTLP to Logfire or any backend). Both see the same span ids: the
OpenTelemetry span's ids are given to the Sentry span, so one ``traceparent`` links a job's
functions in both tools. With neither configured the facade imports no SDK; it still gives each
delivery a trace id and span id (continuing an incoming ``traceparent``), so log lines of one
job correlate in Cloud Logging and the trace survives an uninstrumented hop.

Nothing here raises into a request: a backend that fails is logged (once) and skipped.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Generator, Mapping, MutableMapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal, Protocol

from common.config import Settings
from common.telemetry.allowlist import ALLOWED_SPAN_KEYS as _SPAN_KEYS
from common.telemetry.allowlist import AttributeValue, allowed_attributes, is_safe_text, register_span_name
from common.telemetry.config import TelemetryConfig
from common.telemetry.context import (
    TRACEPARENT,
    SpanRef,
    current_span,
    format_traceparent,
    new_span_id,
    new_trace_id,
    set_log_project,
    traceparent_of,
)
from common.telemetry.log import log
from common.telemetry.policy import Outcome, Reaction, classify

if TYPE_CHECKING:
    from common.jobs.models import ModelCall

__all__ = [
    "Delivery",
    "JobTags",
    "ModelCallSpan",
    "SpanKindName",
    "Telemetry",
    "get",
    "init",
    "install",
    "shutdown",
]

SpanKindName = Literal["server", "consumer", "client", "producer", "internal"]


@dataclass(frozen=True, slots=True)
class JobTags:
    """The job a delivery works on; every event, transaction and delivery span carries these.

    Attributes:
        tenant_id: Tenant id.
        job_id: Job id (``job_...``).
        agent: Agent name.
        attempt: Delivery attempt, from 1.
        source: ``https``, ``pubsub`` or ``gcs``.
        model: ``provider/model`` configured for the job.
    """

    tenant_id: str | None = None
    job_id: str | None = None
    agent: str | None = None
    attempt: int | None = None
    source: str | None = None
    model: str | None = None

    def as_tags(self) -> dict[str, str]:
        """Set fields as Sentry tags (strings that pass the allow-list grammar)."""
        out: dict[str, str] = {}
        for key in ("tenant_id", "job_id", "agent", "attempt", "source", "model"):
            value = getattr(self, key)
            if value is not None and is_safe_text(str(value)):
                out[key] = str(value)
        return out


class _Handle(Protocol):
    def set_attributes(self, attributes: Mapping[str, AttributeValue]) -> None: ...

    def set_tags(self, tags: Mapping[str, str]) -> None: ...

    def set_status(self, status: str, reaction: Reaction | None) -> None: ...

    def end(self, error: BaseException | None = None, end_ns: int | None = None) -> None: ...


@dataclass(slots=True)
class _Span:
    ref: SpanRef
    handles: list[_Handle]
    token: Token[SpanRef | None] | None

    def set_attributes(self, attributes: Mapping[str, AttributeValue]) -> None:
        clean = allowed_attributes(attributes, _SPAN_KEYS)
        for handle in self.handles:
            _guard(handle.set_attributes, clean)

    def set_tags(self, tags: Mapping[str, str]) -> None:
        for handle in self.handles:
            _guard(handle.set_tags, tags)

    def end(self, error: BaseException | None = None, end_ns: int | None = None) -> None:
        for handle in reversed(self.handles):
            _guard(handle.end, error, end_ns)
        if self.token is not None:
            current_span.reset(self.token)


def _guard(fn: object, *args: object) -> None:
    """Call a backend method; telemetry never fails the work it observes."""
    try:
        fn(*args)  # type: ignore[operator]  # pyright: ignore[reportCallIssue]
    except Exception as e:
        _warn_once("telemetry.backend_error", error=type(e).__name__)


_warned: set[str] = set()
_warned_lock = threading.Lock()


def _warn_once(event: str, error: str) -> None:
    key = f"{event}:{error}"
    with _warned_lock:
        if key in _warned:
            return
        _warned.add(key)
    log(event, severity="WARNING", error=error)


@dataclass(slots=True)
class Delivery:
    """One request, Pub/Sub delivery or Cloud Tasks call, yielded by :meth:`Telemetry.delivery`.

    Attributes:
        span: Ids of the delivery's root span (its ``trace_id`` is the job's trace).
        final_attempt: Whether a failure now will not be retried; decides whether a transient
            error escaping the delivery becomes an error event. Set it once the attempt count
            is known.
        outcome: Set by :meth:`set_outcome`.
    """

    span: SpanRef
    final_attempt: bool = True
    outcome: str | None = None
    _span: _Span | None = field(default=None, repr=False)

    @property
    def trace_id(self) -> str:
        """The W3C trace id (32 hex digits)."""
        return self.span.trace_id

    def set_attributes(self, attributes: Mapping[str, AttributeValue]) -> None:
        """Add allow-listed attributes to the delivery's root span and transaction data.

        E.g. ``{"agentjobs.cost.total_usd": 0.00042, "agentjobs.cost.unpriced_calls": 0}``.
        """
        if self._span is not None:
            self._span.set_attributes(attributes)

    def set_outcome(self, status: str, error_code: str | None = None) -> None:
        """Tag the transaction and span with the job's outcome, e.g. ``("failed", "no_text_layer")``.

        A permanent failure is reported this way (plus a metric), never as an error event.
        """
        self.outcome = status
        if self._span is None:
            return
        tags = {"outcome": status} | ({"error_code": error_code} if error_code else {})
        self._span.set_tags({k: v for k, v in tags.items() if is_safe_text(v)})
        attributes: dict[str, AttributeValue] = {"agentjobs.outcome": status}
        if error_code:
            attributes |= {"agentjobs.error_code": error_code, "error.type": error_code}
        self._span.set_attributes(attributes)


_REPORTED = "_agentjobs_reported"
_current_delivery: ContextVar[Delivery | None] = ContextVar("agentjobs_delivery", default=None)


@dataclass(slots=True)
class ModelCallSpan:
    """The span of one model call, yielded by :meth:`Telemetry.model_call`."""

    _telemetry: Telemetry
    _span: _Span | None
    _attributes: dict[str, AttributeValue]
    _started: float = field(default_factory=time.perf_counter)

    def record(self, call: ModelCall) -> None:
        """Put the call's usage on the span (OTel GenAI semconv) and into the token metrics.

        Args:
            call: What the provider reported: tokens (input, output, cache read/write,
                reasoning) and the model id it answered with.
        """
        usage: dict[str, AttributeValue] = {
            "gen_ai.response.model": call.response_model or call.request_model,
            "gen_ai.usage.input_tokens": call.input_tokens,
            "gen_ai.usage.output_tokens": call.output_tokens,
            "gen_ai.usage.cache_read.input_tokens": call.cache_read_tokens,
            "gen_ai.usage.cache_creation.input_tokens": call.cache_write_tokens,
            "gen_ai.usage.reasoning.output_tokens": call.reasoning_tokens,
        }
        self._attributes |= usage
        if self._span is not None and self._span.handles:  # no backend: no pricing either
            self._span.set_attributes(usage | _call_cost(call))
        self._telemetry.metrics_model_call(self._attributes, call, time.perf_counter() - self._started)


def _call_cost(call: ModelCall) -> dict[str, AttributeValue]:
    """``agentjobs.cost.*`` of one call at list prices (genai-prices loads on the first call)."""
    try:
        from common.costs.pricing import price_call

        cost = price_call(call)
    except Exception as e:  # a price lookup never fails the call it describes
        _warn_once("telemetry.pricing_failed", error=type(e).__name__)
        return {}
    if cost.input_usd is None or cost.output_usd is None:
        return {"agentjobs.cost.unpriced_calls": 1, "agentjobs.cost.priced_calls": 0}
    out: dict[str, AttributeValue] = {
        "agentjobs.cost.total_usd": float(cost.input_usd + cost.output_usd),
        "agentjobs.cost.input_usd": float(cost.input_usd),
        "agentjobs.cost.output_usd": float(cost.output_usd),
        "agentjobs.cost.priced_calls": 1,
        "agentjobs.cost.unpriced_calls": 0,
    }
    if cost.price_source:
        out["agentjobs.cost.price_source"] = cost.price_source
    return out


class _Backend(Protocol):
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
    ) -> tuple[_Handle, SpanRef | None]: ...

    def report(self, error: BaseException, reaction: Reaction, tags: Mapping[str, str]) -> None: ...

    def alert(self, message: str, fingerprint: Sequence[str], tags: Mapping[str, str]) -> None: ...

    def flush(self, timeout: float) -> None: ...

    def shutdown(self) -> None: ...


class _Metrics(Protocol):
    def job(
        self, attributes: Mapping[str, AttributeValue], duration_s: float | None, queue_s: float | None
    ) -> None: ...

    def model_call(self, attributes: Mapping[str, AttributeValue], call: ModelCall, seconds: float) -> None: ...

    def cost(self, attributes: Mapping[str, AttributeValue], usd: float | None) -> None: ...

    def judgement(self, attributes: Mapping[str, AttributeValue]) -> None: ...

    def feedback(self, attributes: Mapping[str, AttributeValue]) -> None: ...


class Telemetry:
    """Traces, metrics and error events for one process. Get it from :func:`init` / :func:`get`.

    Args:
        config: What is configured.
        otel: The OpenTelemetry backend, when traces are configured.
        sentry: The Sentry backend, when a DSN is configured.
        metrics: The metric instruments, when traces are configured.
    """

    def __init__(
        self,
        config: TelemetryConfig,
        *,
        otel: _Backend | None = None,
        sentry: _Backend | None = None,
        metrics: _Metrics | None = None,
    ):
        self.config = config
        self._otel = otel
        self._sentry = sentry
        self._metrics = metrics

    def __repr__(self) -> str:
        return f"Telemetry(service={self.config.service!r}, otel={self.tracing}, sentry={self.sentry})"

    @property
    def tracing(self) -> bool:
        """Whether spans are exported over OTLP."""
        return self._otel is not None

    @property
    def sentry(self) -> bool:
        """Whether Sentry is initialised."""
        return self._sentry is not None

    # -- spans -----------------------------------------------------------------------------

    def _open(
        self,
        name: str,
        *,
        kind: SpanKindName,
        op: str,
        root: bool,
        parent: SpanRef | None,
        attributes: Mapping[str, AttributeValue],
        start_ns: int | None = None,
        activate: bool = True,
    ) -> _Span:
        name = register_span_name(name)
        clean = allowed_attributes(attributes, _SPAN_KEYS)
        handles: list[_Handle] = []
        ref: SpanRef | None = None
        for backend in (self._otel, self._sentry):
            if backend is None:
                continue
            try:
                handle, made = backend.start(
                    name, kind=kind, op=op, root=root, parent=parent, ref=ref, attributes=clean, start_ns=start_ns
                )
            except Exception as e:
                _warn_once("telemetry.backend_error", error=type(e).__name__)
                continue
            handles.append(handle)
            ref = ref or made
        if ref is None:  # no backend: keep ids anyway, for logs and propagation
            trace_id = parent.trace_id if parent is not None else new_trace_id()
            ref = SpanRef(trace_id, new_span_id(), sampled=parent.sampled if parent else False)
        token = current_span.set(ref) if activate else None
        return _Span(ref=ref, handles=handles, token=token)

    @contextmanager
    def delivery(
        self,
        name: str,
        *,
        carrier: Mapping[str, str] | None = None,
        tags: JobTags | None = None,
        kind: SpanKindName = "server",
        final_attempt: bool = True,
        flush: bool = True,
    ) -> Generator[Delivery]:
        """The root span and Sentry transaction of one request or delivery, in its own Sentry scope.

        Args:
            name: Constant span/transaction name, e.g. ``run_agent`` or ``POST /v1/jobs``.
            carrier: Incoming HTTP headers or Pub/Sub message attributes; a valid ``traceparent``
                there makes this span its child (same trace).
            tags: Job tags known up front; add more with :meth:`tag` once parsed.
            kind: ``server`` (HTTP, Cloud Tasks) or ``consumer`` (Pub/Sub push, Eventarc).
            final_attempt: See :attr:`Delivery.final_attempt`.
            flush: Flush exporters on exit (Cloud Run throttles CPU once the response is sent).

        Yields:
            The :class:`Delivery`. An exception escaping the block is reported with
            :meth:`report` and re-raised.
        """
        parent = traceparent_of(carrier)
        attributes: dict[str, AttributeValue] = {"agentjobs.function": self.config.service}
        span = self._open(name, kind=kind, op=_op(kind), root=True, parent=parent, attributes=attributes)
        delivery = Delivery(span=span.ref, final_attempt=final_attempt, _span=span)
        token = _current_delivery.set(delivery)
        error: BaseException | None = None
        try:
            if tags is not None:
                self.tag(tags)
            yield delivery
        except BaseException as e:
            error = e
            if isinstance(e, Exception):
                self.report(e, final_attempt=delivery.final_attempt)
            raise
        finally:
            span.end(error)
            _current_delivery.reset(token)
            if flush:
                self.flush()

    @contextmanager
    def stage(self, name: str, **attributes: AttributeValue) -> Generator[None]:
        """A child span of the current span for one stage, e.g. ``download`` or ``store``.

        Args:
            name: Constant stage name (``snake_case``).
            **attributes: ``agentjobs.*`` counts and codes, e.g. ``{"agentjobs.bytes": 1024}``;
                pass them as ``**{"agentjobs.bytes": n}``. Keys off the allow-list are dropped.
        """
        span = self._open(
            name,
            kind="internal",
            op="stage",
            root=False,
            parent=None,
            attributes=attributes | {"agentjobs.stage": name},
        )
        error: BaseException | None = None
        try:
            yield
        except BaseException as e:
            error = e
            raise
        finally:
            span.end(error)

    def record_stage(self, name: str, seconds: float, *, end: datetime | None = None) -> None:
        """A finished stage as a child span ending now (or at ``end``) and lasting ``seconds``.

        For stages timed elsewhere, e.g. by ``AgentContext.record_stage``.
        """
        end_ns = int(end.timestamp() * 1e9) if end is not None else time.time_ns()
        start_ns = end_ns - int(max(0.0, seconds) * 1e9)
        span = self._open(
            name,
            kind="internal",
            op="stage",
            root=False,
            parent=None,
            attributes={"agentjobs.stage": name, "agentjobs.duration_s": round(seconds, 6)},
            start_ns=start_ns,
            activate=False,
        )
        span.end(None, end_ns)

    @contextmanager
    def model_call(self, *, provider: str, request_model: str, operation: str = "chat") -> Generator[ModelCallSpan]:
        """A ``gen_ai`` client span for one model call (OTel GenAI semantic conventions).

        Span name ``{operation} {request_model}``; attributes ``gen_ai.operation.name``,
        ``gen_ai.provider.name``, ``gen_ai.request.model``, then (via
        :meth:`ModelCallSpan.record`) ``gen_ai.response.model`` and ``gen_ai.usage.*``. Never
        messages, prompts or completions.

        Args:
            provider: ``gen_ai.provider.name`` value, e.g. ``openai``.
            request_model: The model asked for, without the provider prefix, e.g. ``gpt-4o-mini``.
            operation: ``gen_ai.operation.name``, e.g. ``chat``.
        """
        attributes: dict[str, AttributeValue] = {
            "gen_ai.operation.name": operation,
            "gen_ai.provider.name": provider,
            "gen_ai.request.model": request_model,
        }
        span = self._open(
            f"{operation} {request_model}",
            kind="client",
            op=f"gen_ai.{operation}",
            root=False,
            parent=None,
            attributes=attributes,
        )
        error: BaseException | None = None
        try:
            yield ModelCallSpan(self, span, attributes)
        except BaseException as e:
            error = e
            code = getattr(e, "error_code", None) or type(e).__name__
            if isinstance(code, str):
                span.set_attributes({"error.type": code})
            raise
        finally:
            span.end(error)

    # -- propagation -----------------------------------------------------------------------

    def inject(self, carrier: MutableMapping[str, str] | None = None) -> MutableMapping[str, str]:
        """Add the current span's W3C ``traceparent`` to ``carrier`` (Pub/Sub attributes, task headers).

        Returns:
            ``carrier`` (a new dict when ``None``); unchanged outside any span.
        """
        out: MutableMapping[str, str] = {} if carrier is None else carrier
        span = current_span.get()
        if span is not None:
            out[TRACEPARENT] = format_traceparent(span)
        return out

    # -- tags, events, metrics ---------------------------------------------------------------

    def tag(self, tags: JobTags) -> None:
        """Add job tags to the current delivery's transaction, scope and root span."""
        delivery = _current_delivery.get()
        if delivery is None or delivery._span is None:  # pyright: ignore[reportPrivateUsage]
            return
        span = delivery._span  # pyright: ignore[reportPrivateUsage]
        as_tags = tags.as_tags()
        span.set_tags(as_tags)
        span.set_attributes({f"agentjobs.{k}": (int(v) if k == "attempt" else v) for k, v in as_tags.items()})

    def set_final_attempt(self, final: bool) -> None:
        """Say whether the current delivery's attempt is the last (see :attr:`Delivery.final_attempt`)."""
        delivery = _current_delivery.get()
        if delivery is not None:
            delivery.final_attempt = final

    def set_outcome(self, status: str, error_code: str | None = None) -> None:
        """:meth:`Delivery.set_outcome` on the current delivery, if any."""
        delivery = _current_delivery.get()
        if delivery is not None:
            delivery.set_outcome(status, error_code)

    def annotate(self, attributes: Mapping[str, AttributeValue]) -> None:
        """Add allow-listed attributes to the current delivery's root span and transaction."""
        delivery = _current_delivery.get()
        if delivery is not None:
            delivery.set_attributes(attributes)

    @property
    def trace_id(self) -> str | None:
        """The current span's trace id (32 hex digits), or ``None`` outside any delivery."""
        span = current_span.get()
        return None if span is None else span.trace_id

    def report(self, error: Exception, *, final_attempt: bool | None = None) -> Reaction:
        """Report a failure by the event policy of :mod:`common.telemetry.policy`.

        Unexpected exceptions and transient errors on the final attempt become Sentry error
        events (with the stack, never the message); transient errors leave a breadcrumb; a
        permanent failure only tags the current delivery (``outcome=failed``, ``error_code``).

        An error is reported once: reporting it again (e.g. when it escapes the delivery after
        being reported inside) does nothing.

        Args:
            error: The failure.
            final_attempt: Whether no retry follows; ``None`` takes the current delivery's
                :attr:`Delivery.final_attempt` (``True`` outside any delivery).

        Returns:
            The :class:`~common.telemetry.policy.Reaction` taken.
        """
        delivery = _current_delivery.get()
        if final_attempt is None:
            final_attempt = delivery.final_attempt if delivery is not None else True
        reaction = classify(error, final_attempt=final_attempt)
        if getattr(error, _REPORTED, False):  # reported inside, then re-raised out of the delivery
            return reaction
        with contextlib.suppress(AttributeError):  # __slots__ exceptions: reporting twice is the lesser harm
            setattr(error, _REPORTED, True)
        if delivery is not None and reaction.outcome is Outcome.PERMANENT:
            delivery.set_outcome("failed", reaction.code)
        elif delivery is not None and reaction.outcome is Outcome.TRANSIENT:
            delivery.set_outcome("retry", reaction.code)
        elif delivery is not None:
            delivery.set_outcome("error", reaction.code)
        if self._sentry is not None:
            _guard(self._sentry.report, error, reaction, {"error_code": reaction.code})
        return reaction

    def record_job(
        self,
        *,
        agent: str,
        status: str,
        error_code: str | None = None,
        source: str | None = None,
        duration_s: float | None = None,
        queue_delay_s: float | None = None,
    ) -> None:
        """Count a job reaching ``status`` (metric ``agentjobs.jobs``) with its duration and queue delay.

        Args:
            agent: Agent name.
            status: ``success`` or ``failed`` (or ``retry`` for a released attempt).
            error_code: Why it failed.
            source: How it arrived.
            duration_s: created → finished (s), metric ``agentjobs.job.duration``.
            queue_delay_s: created → running (s), metric ``agentjobs.job.queue_delay``.
        """
        if self._metrics is None:
            return
        attributes: dict[str, AttributeValue] = {"agentjobs.agent": agent, "agentjobs.status": status}
        if error_code:
            attributes["agentjobs.error_code"] = error_code
        if source:
            attributes["agentjobs.source"] = source
        _guard(self._metrics.job, self._metric_attributes(attributes), duration_s, queue_delay_s)

    def record_cost(self, *, agent: str, model: str, usd: float | None) -> None:
        """Add a job's model cost (metric ``agentjobs.model.cost``, USD); ``None`` counts an unpriced job."""
        if self._metrics is None:
            return
        attributes = self._metric_attributes({"agentjobs.agent": agent, "gen_ai.request.model": model})
        _guard(self._metrics.cost, attributes, usd)

    def alert(self, message: str, *, fingerprint: Sequence[str], tags: Mapping[str, str]) -> None:
        """Raise a warning event that is no exception (a flagged job, a judge's pass rate dropping).

        Args:
            message: A fixed text with ids and codes only (it must pass the allow-list grammar
                word by word; content never goes here).
            fingerprint: Sentry's grouping key, e.g. ``["judge", judge, agent]``, so repeats
                group into one issue.
            tags: Event tags (:data:`~common.telemetry.sentry_scrub.EVENT_TAG_KEYS` only).
        """
        if self._sentry is not None:
            _guard(self._sentry.alert, message, fingerprint, tags)

    def record_judgement(self, *, agent: str, judge: str, outcome: str) -> None:
        """Count one judgement (metric ``agentjobs.judgements``), ``outcome`` ``pass``, ``fail`` or ``not_judged``."""
        if self._metrics is None:
            return
        attributes = {"agentjobs.agent": agent, "agentjobs.judge": judge, "agentjobs.outcome": outcome}
        _guard(self._metrics.judgement, self._metric_attributes(attributes))

    def record_feedback(self, *, agent: str, verdict: str, quality: str) -> None:
        """Count one human feedback (metric ``agentjobs.feedback``) by verdict and the job's quality."""
        if self._metrics is None:
            return
        attributes = {"agentjobs.agent": agent, "agentjobs.outcome": verdict, "agentjobs.quality": quality}
        _guard(self._metrics.feedback, self._metric_attributes(attributes))

    def metrics_model_call(self, attributes: Mapping[str, AttributeValue], call: ModelCall, seconds: float) -> None:
        """Record one call in ``gen_ai.client.token.usage`` and ``gen_ai.client.operation.duration``."""
        if self._metrics is not None:
            _guard(self._metrics.model_call, self._metric_attributes(attributes), call, seconds)

    def _metric_attributes(self, attributes: Mapping[str, AttributeValue]) -> dict[str, AttributeValue]:
        return {"agentjobs.function": self.config.service, **attributes}

    # -- lifecycle -------------------------------------------------------------------------

    def flush(self, timeout: float = 2.0) -> None:
        """Send what is buffered, waiting at most about ``timeout`` seconds per backend."""
        for backend in (self._otel, self._sentry):
            if backend is not None:
                _guard(backend.flush, timeout)

    def shutdown(self) -> None:
        """Flush and stop the backends (tests, CLI exit)."""
        for backend in (self._otel, self._sentry):
            if backend is not None:
                _guard(backend.shutdown)


def _op(kind: SpanKindName) -> str:
    return {"server": "http.server", "consumer": "queue.process"}.get(kind, kind)


_instance: list[Telemetry | None] = [None]
_lock = threading.Lock()


def init(service: str, settings: Settings | None = None, *, config: TelemetryConfig | None = None) -> Telemetry:
    """Initialise telemetry once per process; later calls return the same instance.

    Args:
        service: ``submit``, ``run_agent``, ``status``, ``notify`` or ``cli``.
        settings: Default ``Settings.from_env()``.
        config: Overrides ``settings`` (tests).

    Returns:
        The process's :class:`Telemetry`. Never raises for bad telemetry settings: a malformed
        DSN or endpoint disables that backend and is logged once (``telemetry.*_disabled``).
    """
    with _lock:
        existing = _instance[0]
        if existing is not None:
            return existing
        cfg = config or TelemetryConfig.from_settings(settings or Settings.from_env(), service)
        set_log_project(cfg.project)
        otel: _Backend | None = None
        sentry: _Backend | None = None
        metrics: _Metrics | None = None
        if cfg.otlp is not None:
            from common.telemetry.otel_backend import start_otel

            otel, metrics = start_otel(cfg)
        if cfg.sentry_dsn:
            from common.telemetry.sentry_backend import start_sentry

            sentry = start_sentry(cfg)
        telemetry = Telemetry(cfg, otel=otel, sentry=sentry, metrics=metrics)
        _instance[0] = telemetry
        if cfg.enabled:
            log(
                "telemetry.started",
                service=cfg.service,
                sentry=sentry is not None,
                otlp=None if cfg.otlp is None else cfg.otlp.name,
                tracing=otel is not None,
            )
        return telemetry


_NOOP = Telemetry(TelemetryConfig(service="unset"))


def get() -> Telemetry:
    """The process's :class:`Telemetry` from :func:`init`, or a no-op before it."""
    return _instance[0] or _NOOP


def install(telemetry: Telemetry) -> None:
    """Make ``telemetry`` the process's instance, replacing (and shutting down) any other.

    For tests that build a :class:`Telemetry` over in-memory exporters
    (:func:`common.telemetry.otel_backend.build_providers`).
    """
    shutdown()
    with _lock:
        _instance[0] = telemetry


def shutdown() -> None:
    """Shut the process's telemetry down and forget it, so :func:`init` may run again (tests, CLI)."""
    with _lock:
        telemetry, _instance[0] = _instance[0], None
    if telemetry is not None:
        telemetry.shutdown()
