"""Telemetry: traces, metrics, error events and logs behind one small facade, never content.

Only this package imports ``sentry_sdk`` and ``opentelemetry`` (and it never imports ``logfire``;
see :mod:`common.telemetry.otel_backend` for why). Importing it imports neither: the SDKs load
in :func:`init`, and only for the destinations configured (``SENTRY_DSN``, ``LOGFIRE_TOKEN``,
``OTEL_EXPORTER_OTLP_ENDPOINT`` / ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``; see
:mod:`common.telemetry.config`).

Wiring a function (each entry point, once per cold start, then per request or delivery)::

    telemetry = common.telemetry.init("run_agent")
    with telemetry.delivery("run_agent", carrier=message.attributes, kind="consumer") as d:
        ...parse...
        telemetry.tag(JobTags(tenant_id=..., job_id=..., agent=..., attempt=..., source=..., model=...))
        d.final_attempt = job.attempts >= settings.max_attempts
        with telemetry.stage("download"):
            ...
        telemetry.record_stage("extract_text", seconds)   # stages timed elsewhere
        task_headers = telemetry.inject({})               # traceparent for the next hop
        d.set_outcome("success")                          # or telemetry.report(error, final_attempt=...)

Where ``traceparent`` travels: submit's Pub/Sub publish → message attributes → run_agent's
``carrier=message.attributes``; run_agent's Cloud Tasks task → HTTP headers → notify's
``carrier=request.headers``; Eventarc CloudEvents may carry one as an extension attribute.
The delivery flushes every backend when its block exits, so keep the response after it
(Cloud Run throttles CPU once the response is sent). Model calls need no wiring: the mirascope
adapter opens a ``gen_ai`` span per call on :func:`get`. Log lines inside a delivery carry the
Cloud Logging trace fields by themselves.
"""

from common.telemetry.config import OtlpDestination, TelemetryConfig
from common.telemetry.context import SpanRef
from common.telemetry.facade import Delivery, JobTags, ModelCallSpan, Telemetry, get, init, install, shutdown
from common.telemetry.log import log, where
from common.telemetry.policy import Outcome, Reaction

__all__ = [
    "Delivery",
    "JobTags",
    "ModelCallSpan",
    "OtlpDestination",
    "Outcome",
    "Reaction",
    "SpanRef",
    "Telemetry",
    "TelemetryConfig",
    "get",
    "init",
    "install",
    "log",
    "shutdown",
    "where",
]
