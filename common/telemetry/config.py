"""Telemetry settings, derived from :class:`~common.config.Settings`. Pure.

Destinations, each optional:

* Sentry: ``SENTRY_DSN`` (+ ``SENTRY_ENVIRONMENT``, ``SENTRY_RELEASE``, ``SENTRY_TRACES_SAMPLE_RATE``).
* Traces and metrics over OTLP/HTTP (protobuf): to Logfire with ``LOGFIRE_TOKEN`` (endpoint from
  the token's region, or ``LOGFIRE_BASE_URL``; the token is sent as the ``Authorization`` header,
  as Logfire's own SDK does), or to any backend with ``OTEL_EXPORTER_OTLP_ENDPOINT`` /
  ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` and ``OTEL_EXPORTER_OTLP_HEADERS``. ``LOGFIRE_TOKEN``
  wins when both are set. Other standard ``OTEL_EXPORTER_OTLP_*`` knobs (timeout, certificate)
  are read by the exporter itself.

With none set, :func:`common.telemetry.init` builds a no-op that imports no SDK.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass

from common.config import Settings

__all__ = ["OtlpDestination", "TelemetryConfig", "parse_otlp_headers"]

_LOGFIRE_REGION = re.compile(r"pylf_v[0-9]+_(?P<region>[a-z]+)_")
_LOGFIRE_BASE_URLS = {"us": "https://logfire-us.pydantic.dev", "eu": "https://logfire-eu.pydantic.dev"}


@dataclass(frozen=True, slots=True)
class OtlpDestination:
    """Where spans and metrics go (OTLP/HTTP, protobuf).

    Attributes:
        traces_url: Full URL of the traces endpoint, e.g. ``https://logfire-us.pydantic.dev/v1/traces``.
        metrics_url: Full URL of the metrics endpoint, or ``""`` when only a traces URL was given.
        headers: Request headers (e.g. ``Authorization``). Secret: never logged.
        name: ``logfire`` or ``otlp``, for the start-up log line.
    """

    traces_url: str
    metrics_url: str
    headers: dict[str, str]
    name: str

    def __repr__(self) -> str:
        return f"OtlpDestination(name={self.name!r}, traces_url={self.traces_url!r})"


@dataclass(frozen=True, slots=True)
class TelemetryConfig:
    """What :func:`common.telemetry.init` needs. Build it with :meth:`from_settings`.

    Attributes:
        service: The function's name (``submit``, ``run_agent``, ``status``, ``notify``) or ``cli``.
        project: Google Cloud project, for log lines' trace names.
        sentry_dsn: Empty disables Sentry.
        sentry_environment: Sentry environment, or ``""``.
        sentry_release: Sentry release, or ``""``.
        sentry_traces_sample_rate: Share of transactions sent, 0.0 to 1.0.
        otlp: Destination of spans and metrics, or ``None``.
        export_timeout_seconds: Longest one export (with the exporter's retries) may take (s).
    """

    service: str
    project: str = ""
    sentry_dsn: str = ""
    sentry_environment: str = ""
    sentry_release: str = ""
    sentry_traces_sample_rate: float = 1.0
    otlp: OtlpDestination | None = None
    export_timeout_seconds: float = 3.0

    def __repr__(self) -> str:
        return (
            f"TelemetryConfig(service={self.service!r}, sentry={bool(self.sentry_dsn)}, otlp={self.otlp!r}, "
            f"sample_rate={self.sentry_traces_sample_rate})"
        )

    @property
    def enabled(self) -> bool:
        """Whether anything is configured."""
        return bool(self.sentry_dsn) or self.otlp is not None

    @classmethod
    def from_settings(cls, settings: Settings, service: str) -> TelemetryConfig:
        """The config for ``service`` from ``settings``."""
        return cls(
            service=service,
            project=settings.project,
            sentry_dsn=settings.sentry_dsn.strip(),
            sentry_environment=settings.sentry_environment,
            sentry_release=settings.sentry_release,
            sentry_traces_sample_rate=settings.sentry_traces_sample_rate,
            otlp=_otlp_destination(settings),
        )


def _otlp_destination(s: Settings) -> OtlpDestination | None:
    token = s.logfire_token.strip()
    if token:
        base = s.logfire_base_url.strip().rstrip("/") or _logfire_base_url(token)
        headers = {"Authorization": token}
        return OtlpDestination(f"{base}/v1/traces", f"{base}/v1/metrics", headers, "logfire")
    headers = parse_otlp_headers(s.otlp_headers)
    if s.otlp_traces_endpoint.strip():
        return OtlpDestination(s.otlp_traces_endpoint.strip(), "", headers, "otlp")
    if s.otlp_endpoint.strip():
        base = s.otlp_endpoint.strip().rstrip("/")
        return OtlpDestination(f"{base}/v1/traces", f"{base}/v1/metrics", headers, "otlp")
    return None


def _logfire_base_url(token: str) -> str:
    # Tokens name their region (pylf_v1_eu_...); older tokens have none and belong to the US region.
    match = _LOGFIRE_REGION.match(token)
    region = match.group("region") if match else "us"
    return _LOGFIRE_BASE_URLS.get(region, _LOGFIRE_BASE_URLS["us"])


def parse_otlp_headers(raw: str) -> dict[str, str]:
    """``OTEL_EXPORTER_OTLP_HEADERS`` (``k1=v1,k2=v2``, values percent-encoded) as a dict.

    Malformed pairs are skipped, as the OpenTelemetry SDK does.
    """
    headers: dict[str, str] = {}
    for pair in raw.split(","):
        name, eq, value = pair.partition("=")
        if eq and name.strip():
            headers[name.strip().lower()] = urllib.parse.unquote(value.strip())
    return headers
