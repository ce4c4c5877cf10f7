"""Telemetry: traces, metrics, error events and logs behind one small facade, never content.

Only this package imports ``sentry_sdk`` and ``opentelemetry`` (and it never imports ``logfire``;
see :mod:`common.telemetry.otel_backend` for why). Importing it imports neither: the SDKs load
in :func:`init`, and only for the destinations configured.

Usage in a function (phase B wiring)::

    telemetry = common.telemetry.init("run_agent")          # once per cold start
    with telemetry.delivery("run_agent", carrier=message.attributes, kind="consumer") as d:
        telemetry.tag(JobTags(tenant_id=..., job_id=..., agent=..., attempt=...))
        with telemetry.stage("download"):
            ...
        attributes = telemetry.inject({})                    # traceparent for the next hop

See :class:`~common.telemetry.facade.Telemetry` for every method.
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
