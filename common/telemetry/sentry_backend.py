"""The Sentry backend: error events and one transaction per delivery, scrubbed by an allow-list.

Init is explicit and fast (a default ``sentry_sdk.init()`` enables every integration whose
library is installed, LLM SDKs included, and costs seconds at cold start):

* ``default_integrations=False``, ``auto_enabling_integrations=False``, ``integrations=[]``:
  we open transactions and spans ourselves, so no integration is needed. (Sentry's GCP
  integration supports only 1st-gen Cloud Functions anyway.)
* ``data_collection`` with every category off: no user info, cookies, headers, bodies, query
  strings, GraphQL, database query data, queue payloads, stack-frame variables, source lines,
  and ``gen_ai`` inputs and outputs off. In sentry-sdk 2.75 ``data_collection`` supersedes
  ``send_default_pii`` (deprecated; passing both warns and ignores it), so the stricter switch is
  used and :func:`start_sentry` checks that the client resolved PII sending to off.
* ``before_send`` / ``before_send_transaction`` / ``before_breadcrumb``: the allow-list of
  :mod:`common.telemetry.sentry_scrub`.
* ``enable_logs=False``, no profiling, ``max_breadcrumbs=30``, ``server_name`` = the function
  (not the host), ``auto_session_tracking=False``.

Each delivery runs in its own isolation scope (Sentry's per-request state on 2nd-gen functions,
where no integration forks it), and :meth:`SentryBackend.flush` is called before the response.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

import sentry_sdk
from sentry_sdk.tracing import Span as SentrySpan
from sentry_sdk.utils import BadDsn

from common.telemetry.allowlist import AttributeValue, is_safe_text
from common.telemetry.config import TelemetryConfig
from common.telemetry.context import SpanRef
from common.telemetry.log import log
from common.telemetry.policy import Outcome, Reaction
from common.telemetry.probe import probe_in_background
from common.telemetry.sentry_scrub import scrub_breadcrumb, scrub_event

if TYPE_CHECKING:
    from common.telemetry.facade import SpanKindName

__all__ = ["DATA_COLLECTION_OFF", "SentryBackend", "sentry_options", "start_sentry"]

DATA_COLLECTION_OFF: dict[str, Any] = {
    "user_info": False,
    "cookies": {"mode": "off"},
    "http_headers": {"request": {"mode": "off"}},
    "http_bodies": [],
    "url_query_params": {"mode": "off"},
    "graphql": {"document": False, "variables": False},
    "gen_ai": {"inputs": False, "outputs": False},
    "database_query_data": False,
    "queues": False,
    "stack_frame_variables": False,
    "frame_context_lines": 0,
}

_STATUS = {
    Outcome.BUG: "internal_error",
    Outcome.TRANSIENT_FINAL: "unavailable",
    Outcome.TRANSIENT: "unavailable",
    Outcome.PERMANENT: "invalid_argument",
}


def _before_send(event: Any, hint: Any) -> Any:
    return scrub_event(event, hint)


def _before_breadcrumb(crumb: Any, hint: Any) -> Any:
    return scrub_breadcrumb(crumb, hint)


def sentry_options(config: TelemetryConfig) -> dict[str, Any]:
    """The keyword arguments of ``sentry_sdk.init`` for ``config`` (see the module docstring)."""
    options: dict[str, Any] = {
        "dsn": config.sentry_dsn,
        "default_integrations": False,
        "auto_enabling_integrations": False,
        "integrations": [],
        "data_collection": DATA_COLLECTION_OFF,
        "include_local_variables": False,
        "include_source_context": False,
        "attach_stacktrace": False,
        "max_request_body_size": "never",
        "max_breadcrumbs": 30,
        "before_send": _before_send,
        "before_send_transaction": _before_send,
        "before_breadcrumb": _before_breadcrumb,
        "traces_sample_rate": config.sentry_traces_sample_rate,
        "enable_logs": False,
        "auto_session_tracking": False,
        "server_name": config.service,
        "shutdown_timeout": 2,
    }
    if config.sentry_environment:
        options["environment"] = config.sentry_environment
    # An explicit release also stops the SDK from running `git rev-parse` at init to guess one.
    options["release"] = config.sentry_release or os.environ.get("K_REVISION") or "agentjobs"
    return options


class _SentryHandle:
    def __init__(self, span: SentrySpan, scope_cm: AbstractContextManager[Any] | None, entered: bool):
        self._span = span
        self._scope_cm = scope_cm
        self._entered = entered

    def set_attributes(self, attributes: Mapping[str, AttributeValue]) -> None:
        for key, value in attributes.items():
            self._span.set_data(key, value)

    def set_tags(self, tags: Mapping[str, str]) -> None:
        for key, value in tags.items():
            self._span.set_tag(key, value)
            if self._scope_cm is not None:  # the delivery's scope: error events carry the tags too
                sentry_sdk.get_isolation_scope().set_tag(key, value)

    def set_status(self, status: str, reaction: Reaction | None) -> None:
        self._span.set_status(status)

    def end(self, error: BaseException | None = None, end_ns: int | None = None) -> None:
        try:
            if error is not None and self._span.status is None:
                self._span.set_status("internal_error")
            elif self._span.status is None:
                self._span.set_status("ok")
            if self._entered:
                self._span.__exit__(None, None, None)
            else:
                end = datetime.fromtimestamp(end_ns / 1e9, UTC) if end_ns is not None else None
                self._span.finish(end_timestamp=end)
        finally:
            if self._scope_cm is not None:
                self._scope_cm.__exit__(None, None, None)


class SentryBackend:
    """Transactions, spans and error events through the initialised ``sentry_sdk``."""

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
    ) -> tuple[_SentryHandle, SpanRef | None]:
        """A transaction in a fresh isolation scope (root), or a child span of the current one.

        Uses the ids in ``ref`` (the OpenTelemetry span's, or the facade's) so both tools agree.
        """
        ids: dict[str, Any] = {}
        if ref is not None:
            ids = {"trace_id": ref.trace_id, "span_id": ref.span_id}
        start = datetime.fromtimestamp(start_ns / 1e9, UTC) if start_ns is not None else None
        if root:
            scope_cm = sentry_sdk.isolation_scope()
            scope_cm.__enter__()
            try:
                if parent is not None:
                    ids |= {"trace_id": parent.trace_id, "parent_span_id": parent.span_id}
                    ids["parent_sampled"] = parent.sampled
                txn = sentry_sdk.start_transaction(name=name, op=op, source="custom", **ids)
                txn.__enter__()
            except BaseException:
                scope_cm.__exit__(None, None, None)
                raise
            handle = _SentryHandle(cast(SentrySpan, txn), scope_cm, entered=True)
        else:
            kwargs: dict[str, Any] = {"op": op, "name": name}
            if ref is not None:
                kwargs["span_id"] = ref.span_id
            if start is not None:
                kwargs["start_timestamp"] = start
            span = sentry_sdk.start_span(**kwargs)
            entered = start is None
            if entered:
                span.__enter__()
            handle = _SentryHandle(span, None, entered=entered)
        handle.set_attributes(attributes)
        made = None
        if ref is None:
            span_ref = handle._span  # pyright: ignore[reportPrivateUsage]
            made = SpanRef(span_ref.trace_id, span_ref.span_id, sampled=bool(span_ref.sampled))
        return handle, made

    def report(self, error: BaseException, reaction: Reaction, tags: Mapping[str, str]) -> None:
        """Breadcrumb and/or error event for ``error`` per ``reaction``; tag the transaction."""
        scope = sentry_sdk.get_current_scope()
        span = scope.span
        if span is not None:
            span.set_status(_STATUS[reaction.outcome])
            span.set_tag("outcome", reaction.outcome.value)
            if is_safe_text(reaction.code):
                span.set_tag("error_code", reaction.code)
        if reaction.breadcrumb:
            sentry_sdk.add_breadcrumb(
                category="transient", level="warning", data={"code": reaction.code, "outcome": reaction.outcome.value}
            )
        if reaction.event:
            with sentry_sdk.new_scope() as event_scope:
                for key, value in tags.items():
                    if is_safe_text(value):
                        event_scope.set_tag(key, value)
                event_scope.set_tag("outcome", reaction.outcome.value)
                sentry_sdk.capture_exception(error)

    def alert(self, message: str, fingerprint: Sequence[str], tags: Mapping[str, str]) -> None:
        """A warning-level message event grouped by ``fingerprint``, with allow-listed tags."""
        with sentry_sdk.new_scope() as event_scope:
            for key, value in tags.items():
                if is_safe_text(value):
                    event_scope.set_tag(key, value)
            event_scope.fingerprint = [f for f in fingerprint if is_safe_text(f)]
            sentry_sdk.capture_message(message, level="warning")

    def flush(self, timeout: float) -> None:
        """Send queued events, waiting at most ``timeout`` s."""
        sentry_sdk.flush(timeout=timeout)

    def shutdown(self) -> None:
        """Flush and close the client."""
        client = sentry_sdk.get_client()
        client.close(timeout=2)


def start_sentry(config: TelemetryConfig) -> SentryBackend | None:
    """Initialise ``sentry_sdk`` for ``config``; ``None`` (logged once) when the DSN is malformed."""
    dsn = urllib.parse.urlsplit(config.sentry_dsn)
    if dsn.scheme not in ("http", "https") or not dsn.hostname or not dsn.username:
        log("telemetry.sentry_disabled", severity="ERROR", reason="malformed_dsn")
        return None
    try:
        sentry_sdk.init(**sentry_options(config))
    except BadDsn:
        log("telemetry.sentry_disabled", severity="ERROR", reason="malformed_dsn")
        return None
    except Exception as e:
        log("telemetry.sentry_disabled", severity="ERROR", reason=type(e).__name__)
        return None
    probe_in_background(config.sentry_dsn, event="telemetry.sentry_unreachable", destination="sentry")
    if sentry_sdk.get_client().should_send_default_pii():  # pragma: no cover - guards an SDK change
        log("telemetry.sentry_disabled", severity="ERROR", reason="pii_not_off")
        sentry_sdk.get_client().close(timeout=0)
        return None
    return SentryBackend()
